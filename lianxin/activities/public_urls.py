"""Citizens' URLs of reception days at /r/ (namespace ``reception_public``)."""

from django.urls import path

from . import public_views as views

app_name = "reception_public"

urlpatterns = [
    path("booked/", views.booked, name="booked"),
    path("cancel/", views.cancel, name="cancel"),
    path("day/<int:pk>/", views.book, name="book"),
    path("<str:code>.ics", views.feed, name="feed"),
    path("<str:code>/", views.site_days, name="site"),
]
