from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from lianxin.accounts.views import set_language
from lianxin.api.opinions_public import submit_view
from lianxin.core.views import healthz

admin.site.site_header = "连心桥 Lianxin"


def _superusers_only(request):  # type: ignore[no-untyped-def]
    # Django admin bypasses the role scoping, so only superusers may use it; staff use /staff/.
    return request.user.is_active and request.user.is_superuser


admin.site.has_permission = _superusers_only  # type: ignore[method-assign]

urlpatterns = [
    # The busiest public write, resolved first and served without the API framework's per-request work
    # (the API documents it among its operations; see lianxin.api.opinions_public.submit_view).
    path("api/v1/public/opinions", submit_view, name="public-submit"),
    path("healthz", healthz, name="healthz"),
    path("i18n/setlang/", set_language, name="set_language"),
    path("django-admin/", admin.site.urls),
    path("accounts/", include("lianxin.accounts.urls")),
    path("staff/", include("lianxin.dashboard.urls")),
    path("staff/regions/", include("lianxin.regions.urls")),
    path("staff/sites/", include("lianxin.stations.urls")),
    path("staff/deputies/", include("lianxin.deputies.urls")),
    path("staff/units/", include("lianxin.units.urls")),
    path("staff/opinions/", include("lianxin.opinions.urls")),
    path("staff/activities/", include(("lianxin.activities.urls", "activities"))),
    path("staff/reception/", include(("lianxin.activities.reception_urls", "reception"))),
    path("staff/supervision/", include(("lianxin.supervision.urls", "supervision"))),
    path("staff/legislation/", include(("lianxin.legislation.urls", "legislation"))),
    path("staff/grouping/", include("lianxin.grouping.urls")),
    path("staff/performance/", include("lianxin.performance.urls")),
    path("staff/campaigns/", include(("lianxin.campaigns.urls", "campaigns"))),
    path("staff/audits/", include(("lianxin.campaigns.audit_urls", "audits"))),
    path("o/", include("lianxin.opinions.public_urls")),
    path("r/", include(("lianxin.activities.public_urls", "reception_public"))),
    path("t/", include(("lianxin.supervision.public_urls", "supervision_public"))),
    path("l/", include(("lianxin.legislation.public_urls", "legislation_public"))),
    path("exemplary/", include(("lianxin.campaigns.public_urls", "exemplary"))),
    path("api/", include("lianxin.api.urls")),
    path("", include("lianxin.public.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
