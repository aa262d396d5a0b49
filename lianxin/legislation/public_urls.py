"""Citizens' URLs at /l/: consultations on draft laws, comments per article."""

from django.urls import path

from . import public_views as views

app_name = "legislation_public"

urlpatterns = [
    path("", views.index, name="index"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/comment/", views.comment, name="comment_whole"),
    path("<int:pk>/articles/<int:article>/comment/", views.comment, name="comment"),
    path("<int:pk>/thanks/", views.thanks, name="thanks"),
]
