"""Staff URLs of reception days at /staff/reception/ (namespace ``reception``)."""

from django.urls import path

from . import reception_views as views

app_name = "reception"

urlpatterns = [
    path("", views.index, name="index"),
    path("mine/", views.mine, name="mine"),
    path("door/", views.door, name="door"),
    path("door/<int:pk>/arrived/", views.arrive, name="arrive"),
    path("door/<int:pk>/no-show/", views.no_show, name="no_show"),
    path("schedules/new/", views.schedule_new, name="schedule_new"),
    path("sites/<int:site>/rota/", views.rota, name="rota"),
    path("schedules/<int:pk>/", views.schedule_detail, name="schedule"),
    path("schedules/<int:pk>/edit/", views.schedule_edit, name="schedule_edit"),
    path("schedules/<int:pk>/active/", views.schedule_active, name="schedule_active"),
    path("schedules/<int:pk>/generate/", views.generate, name="generate"),
    path("days/<int:pk>/", views.day, name="day"),
    path("days/<int:pk>/reveal/", views.reveal, name="reveal"),
    path("days/<int:pk>/publish/", views.publish, name="publish"),
    path("days/<int:pk>/cancel/", views.cancel_day, name="cancel"),
]
