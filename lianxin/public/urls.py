from django.urls import path

from . import views

app_name = "public"

urlpatterns = [
    path("", views.directory, name="directory"),
    path("large-text/", views.toggle_large_text, name="toggle_large_text"),
]
