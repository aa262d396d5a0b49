"""URLs of the campaigns app (filled by the views helpers)."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
