from django.contrib import admin

from .models import Assignment, Deputy, Seat


class SeatInline(admin.TabularInline):
    model = Seat
    extra = 0
    raw_id_fields = ("constituency",)


class AssignmentInline(admin.TabularInline):
    model = Assignment
    extra = 0
    raw_id_fields = ("station",)


@admin.register(Deputy)
class DeputyAdmin(admin.ModelAdmin):
    list_display = ("name", "gender", "occupation", "active")
    list_filter = ("active", "seats__level")
    search_fields = ("name", "occupation")
    inlines = [SeatInline, AssignmentInline]
    raw_id_fields = ("home_region",)
