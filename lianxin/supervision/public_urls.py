"""Public pages of thematic supervision, under /t/."""

from django.urls import path

from . import public_views

app_name = "supervision_public"

urlpatterns = [
    path("", public_views.topic_list, name="list"),
    path("<int:pk>/", public_views.topic_detail, name="detail"),
]
