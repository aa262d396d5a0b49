"""Activities in the system administration (superusers): read and repair, the staff pages are the way to work."""

from django.contrib import admin

from .models import Activity, ActivityFile, Attendance


class AttendanceInline(admin.TabularInline):
    model = Attendance
    extra = 0
    raw_id_fields = ("deputy",)


class FileInline(admin.TabularInline):
    model = ActivityFile
    extra = 0
    readonly_fields = ("name", "content_type", "size", "is_photo", "uploaded_by", "uploaded_at")


@admin.register(Activity)
class ActivityAdmin(admin.ModelAdmin):
    list_display = ("title", "station", "kind", "status", "starts_at", "citizens_received")
    list_filter = ("kind", "status")
    search_fields = ("title", "station__name", "station__code")
    raw_id_fields = ("station", "schedule", "topic", "consultation", "created_by")
    date_hierarchy = "starts_at"
    list_select_related = ("station",)
    inlines = (AttendanceInline, FileInline)
