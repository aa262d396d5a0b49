from django.urls import path
from django.views.generic import RedirectView

from .api import api

urlpatterns = [
    # v1/public/opinions (POST) is served by opinions_public.submit_view, routed first in lianxin/urls.py.
    path("v1/", api.urls),
    # The documentation's short address; the versioned one is canonical.
    path("docs", RedirectView.as_view(url="/api/v1/docs", permanent=False)),
]
