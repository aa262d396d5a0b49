from django.urls import path

from . import notifications, views

app_name = "dashboard"

urlpatterns = [
    path("", views.home, name="home"),
    path("coverage/", views.coverage, name="coverage"),
    path("notifications/", notifications.notifications, name="notifications"),
    path("notifications/badge/", notifications.unread_badge, name="notification_badge"),
    path("notifications/read/", notifications.mark_read, name="notifications_read"),
]
