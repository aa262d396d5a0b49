"""Public pages for citizens (no account): directory, site, deputy, QR codes and posters."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from . import qr, services
from .forms import DirectoryForm, NearestForm, PosterForm

NEAREST_LIMIT = 10


@require_GET
def directory(request: HttpRequest) -> HttpResponse:
    root = services.deployment_root()
    districts = services.directory_districts(root)
    form = DirectoryForm(request.GET, districts=districts)
    near = NearestForm(request.GET if {"lat", "lng"} & request.GET.keys() else None)
    context = {"form": form, "near": near, "districts": districts, "nearby": None, "groups": [], "page": None}
    if near.is_bound and near.is_valid():
        context["nearby"] = services.nearest_sites(near.cleaned_data["lat"], near.cleaned_data["lng"], NEAREST_LIMIT)
    else:
        valid = form.is_valid()
        keyword = form.cleaned_data.get("q", "") if valid else ""
        district = form.selected_district() if valid else None
        page = services.directory_page(keyword, district, request.GET.get("cursor"))
        context.update(
            page=page,
            groups=services.group_by_district(page.rows, districts, root),
            keyword=keyword,
            district=district,
        )
    return render(request, "public/directory.html", context)


@require_GET
def site(request: HttpRequest, code: str) -> HttpResponse:
    from lianxin.activities.reception import bookable_days

    page = services.site_with_deputies(code)
    return render(request, "public/site.html", {"page": page, "reception_days": bookable_days(page.site, limit=3)})


@require_GET
def deputy(request: HttpRequest, public_code: str) -> HttpResponse:
    return render(request, "public/deputy.html", {"page": services.deputy_profile(public_code)})


@require_GET
def site_qr(request: HttpRequest, code: str, fmt: str) -> HttpResponse:
    station = services.active_site_or_404(code)
    return qr.qr_response(services.qr_payload_for_station(station), fmt, f"lianxin-site-{station.code}")


@require_GET
def deputy_qr(request: HttpRequest, public_code: str, fmt: str) -> HttpResponse:
    person = services.public_deputy_or_404(public_code)
    return qr.qr_response(services.qr_payload_for_deputy(person), fmt, f"lianxin-deputy-{person.public_code}")


@require_GET
def site_poster(request: HttpRequest, code: str) -> HttpResponse:
    page = services.site_with_deputies(code)
    context = {
        "page": page,
        "paper": PosterForm(request.GET).paper_size(),
        "url": services.qr_payload_for_station(page.site),
    }
    return render(request, "public/site_poster.html", context)


@require_GET
def deputy_poster(request: HttpRequest, public_code: str) -> HttpResponse:
    page = services.deputy_profile(public_code)
    context = {
        "page": page,
        "paper": PosterForm(request.GET).paper_size(),
        "url": services.qr_payload_for_deputy(page.deputy),
    }
    return render(request, "public/deputy_poster.html", context)


@require_POST
def toggle_large_text(request: HttpRequest) -> HttpResponse:
    """Elderly-friendly mode (适老化): larger text and touch targets, remembered in a cookie."""
    target = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "/"
    response = redirect(target)
    if request.COOKIES.get("lx_large") == "1":
        response.delete_cookie("lx_large")
    else:
        response.set_cookie("lx_large", "1", max_age=365 * 24 * 3600, samesite="Lax")
    return response
