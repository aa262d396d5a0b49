from django.urls import path

from . import views

app_name = "regions"

urlpatterns = [
    path("", views.object_list, name="list"),
    path("<int:pk>/", views.detail, name="detail"),
]
