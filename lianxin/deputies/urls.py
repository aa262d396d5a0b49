from django.urls import path

from . import views

app_name = "deputies"

urlpatterns = [
    path("", views.object_list, name="list"),
]
