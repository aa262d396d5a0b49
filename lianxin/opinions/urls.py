"""Staff URLs of the case engine: the congress staff's queues and case pages, the units' inbox, suggestions."""

from django.urls import include, path

app_name = "opinions"

urlpatterns = [
    path("", include("lianxin.opinions.staff_urls")),
    path("inbox/", include("lianxin.opinions.unit_urls")),
]
