"""Citizens' URLs at /o/: submit (/o/new/?site=… or ?deputy=…, &via=qr from a QR code), follow, rate."""

from django.urls import path

from . import public_views as views

app_name = "opinions_public"

urlpatterns = [
    path("new/", views.new, name="new"),
    path("new/similar/", views.similar, name="similar"),
    path("new/thanks/", views.thanks, name="thanks"),
    path("metoo/", views.metoo, name="metoo"),
    path("privacy/", views.privacy, name="privacy"),
    path("track/", views.track, name="track"),
    path("track/<str:code>/", views.case, name="case"),
    path("track/<str:code>/rate/", views.rate, name="rate"),
]
