from django.urls import path

from . import roster_views, views

app_name = "deputies"

urlpatterns = [
    path("", views.deputy_list, name="list"),
    path("<int:pk>/", views.deputy_detail, name="detail"),
    path("<int:pk>/phone/", views.reveal_phone, name="reveal_phone"),
    path("<int:pk>/assign/", views.assign, name="assign"),
    path("assignments/<int:pk>/role/", views.change_role, name="change_role"),
    path("assignments/<int:pk>/end/", views.end_assignment, name="end_assignment"),
    path("sites/<int:station_pk>/", views.station_group, name="station_group"),
    path("sites/<int:station_pk>/add/", views.add_to_group, name="add_to_group"),
    path("roster/", roster_views.roster_home, name="roster"),
    path("roster/template.xlsx", roster_views.roster_template, name="roster_template"),
    path("roster/upload/", roster_views.roster_upload, name="roster_upload"),
    path("roster/<int:pk>/", roster_views.roster_detail, name="roster_detail"),
    path("roster/<int:pk>/progress/", roster_views.roster_progress, name="roster_progress"),
    path("roster/<int:pk>/apply/", roster_views.roster_apply, name="roster_apply"),
]
