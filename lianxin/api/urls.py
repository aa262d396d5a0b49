from django.urls import path
from django.views.generic import RedirectView

from .api import api

urlpatterns = [
    path("v1/", api.urls),
    # The documentation's short address; the versioned one is canonical.
    path("docs", RedirectView.as_view(url="/api/v1/docs", permanent=False)),
]
