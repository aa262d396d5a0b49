from django.urls import path

from . import board_views, notifications, views

app_name = "dashboard"

urlpatterns = [
    path("", views.home, name="home"),
    path("board/", board_views.board, name="board"),
    path("board/sites/", board_views.board_sites, name="board_sites"),
    path("board/refresh/", board_views.board_refresh, name="board_refresh"),
    path("coverage/", views.coverage, name="coverage"),
    path("notifications/", notifications.notifications, name="notifications"),
    path("notifications/badge/", notifications.unread_badge, name="notification_badge"),
    path("notifications/read/", notifications.mark_read, name="notifications_read"),
]

# work reports
from . import report_views  # noqa: E402

urlpatterns += [
    path("reports/", report_views.report_list, name="reports"),
    path("reports/<int:pk>/status/", report_views.report_status, name="report_status"),
    path("reports/<int:pk>/download/", report_views.report_download, name="report_download"),
]
