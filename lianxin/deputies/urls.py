from django.urls import path

from . import views

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
]
