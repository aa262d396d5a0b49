from django.urls import path
from django.views.generic import RedirectView

from .api import api
from .opinions_public import submit_view

urlpatterns = [
    # The busiest public write, served without the framework's per-request work (documented with the
    # API's operations; see opinions_public.submit_view).
    path("v1/public/opinions", submit_view, name="public-submit"),
    path("v1/", api.urls),
    # The documentation's short address; the versioned one is canonical.
    path("docs", RedirectView.as_view(url="/api/v1/docs", permanent=False)),
]
