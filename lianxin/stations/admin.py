from django.contrib import admin

from .models import Station


@admin.register(Station)
class StationAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "region", "status", "tier")
    list_filter = ("kind", "status", "tier")
    search_fields = ("code", "name", "address")
    raw_id_fields = ("region", "parent")
