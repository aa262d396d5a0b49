"""Public pages of the exemplary sites (mounted at /exemplary/, namespace ``exemplary``)."""

from django.urls import path

from . import public_views

urlpatterns = [
    path("", public_views.index, name="index"),
    path("<int:year>/", public_views.year, name="year"),
]
