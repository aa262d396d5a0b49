"""Citizens' pages (no account): submit an opinion, follow it, rate the outcome."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import public_services as citizen
from . import services
from .errors import CaseError
from .models import Status
from .public_forms import MeTooForm, OpinionForm, RateForm, TrackForm

TARGET_PARAMS = ("site", "deputy", "via")


def _target_query(request: HttpRequest) -> str:
    return urlencode({k: request.GET[k] for k in TARGET_PARAMS if request.GET.get(k)})


@require_http_methods(["GET", "POST"])
def new(request: HttpRequest) -> HttpResponse:
    target = citizen.resolve_target(request.GET)
    if target is None:
        return _choose_site(request)
    if request.method == "POST":
        existing = citizen.already_submitted(request.POST.get("key", ""))
        if existing is not None:  # a double click or a retry: the same case, nothing new stored
            return _submitted(request, existing.tracking_code)
    query = urlencode(target.query())
    form_kwargs: dict[str, Any] = {
        "sites": target.sites, "deputies": target.choosable_deputies,
        "similar_url": reverse("opinions_public:similar") + f"?{query}",
    }
    status, similar = 200, None
    if request.method == "POST" and "check_similar" in request.POST:
        # Without JavaScript: show similar opinions for the title typed so far, save nothing.
        form = OpinionForm(initial=request.POST.dict(), **form_kwargs)
        similar = citizen.similar_opinions(request.POST.get("title", ""), target.area_path)
    elif request.method == "POST":
        form = OpinionForm(request.POST, request.FILES, **form_kwargs)
        if form.is_valid():
            refusal = citizen.limit_message(request, form.cleaned_data.get("phone", ""))
            if refusal is None:
                opinion = citizen.submit(form, target, get_language() or "zh-hans")
                return _submitted(request, opinion.tracking_code)
            form.add_error(None, str(refusal))
            status = 429
        elif form.cleaned_data.get("title"):
            similar = citizen.similar_opinions(form.cleaned_data["title"], target.area_path)
    else:
        form = OpinionForm(**form_kwargs)
    context = {"form": form, "target": target, "query": query, "similar": similar}
    return render(request, "opinions/public/new.html", context, status=status)


def _choose_site(request: HttpRequest) -> HttpResponse:
    """The portal's way in: pick a district, then a site (plain links, no JavaScript needed)."""
    chosen = citizen.district_sites(request.GET.get("district", "")) if request.GET.get("district") else None
    context: dict[str, Any] = {"districts": citizen.districts(), "district": None, "sites": None}
    if chosen is not None:
        context["district"], context["sites"] = chosen
    return render(request, "opinions/public/choose_site.html", context)


def _submitted(request: HttpRequest, code: str) -> HttpResponse:
    citizen.remember(request, code)
    request.session[citizen.SESSION_SUBMITTED] = code
    return redirect("opinions_public:thanks")


@require_GET
def thanks(request: HttpRequest) -> HttpResponse:
    code = request.session.get(citizen.SESSION_SUBMITTED)
    if not code:
        return redirect("opinions_public:track")
    return render(request, "opinions/public/thanks.html", {"code": code})


@require_GET
def similar(request: HttpRequest) -> HttpResponse:
    """htmx: similar open opinions of the same area while the citizen types a title."""
    target = citizen.resolve_target(request.GET)
    found = citizen.similar_opinions(request.GET.get("title", ""), target.area_path) if target else []
    return render(request, "opinions/public/_similar.html", {"similar": found, "query": _target_query(request)})


@require_POST
def metoo(request: HttpRequest) -> HttpResponse:
    form = MeTooForm(request.POST)
    ok = False
    if not form.is_valid():
        message = str(next(iter(form.errors.get("phone") or form.errors.get("metoo") or [_("Please try again.")])))
    elif not citizen.metoo_allowed(request):
        message = _("Too many requests from this network just now. Please wait a few minutes.")
    else:
        opinion = citizen.opinion_from_token(form.cleaned_data["metoo"])
        if opinion is None:
            message = _("This list has expired. Please reload the page.")
        else:
            try:
                counted = services.add_supporter(opinion, form.cleaned_data["phone"])
            except CaseError as error:
                message = str(error.message)
            else:
                ok = True
                message = (_("Thank you: your support was added to this case.") if counted
                           else _("Your phone number already supports this case."))
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "opinions/public/_metoo_result.html", {"ok": ok, "message": message})
    messages.add_message(request, messages.SUCCESS if ok else messages.ERROR, message)
    query = _target_query(request)
    return redirect(reverse("opinions_public:new") + (f"?{query}" if query else ""))


@require_GET
def privacy(request: HttpRequest) -> HttpResponse:
    return render(request, "opinions/public/privacy.html")


@require_http_methods(["GET", "POST"])
def track(request: HttpRequest) -> HttpResponse:
    form = TrackForm(request.POST or None, initial={"code": request.GET.get("code", "")})
    status = 200
    if request.method == "POST" and form.is_valid():
        code, digits = form.cleaned_data["code"], form.cleaned_data["digits"]
        if citizen.track_blocked(request, code):
            form.add_error(None, _("Too many attempts. Please wait a while and try again."))
            status = 429
        else:
            opinion = citizen.verify(code, digits)
            if opinion is not None:
                citizen.remember(request, opinion.tracking_code)
                return redirect("opinions_public:case", opinion.tracking_code)
            citizen.track_failed(code)
            form.add_error(None, _("No case matches this tracking code and these digits. Please check both."))
    return render(request, "opinions/public/track.html", {"form": form}, status=status)


@require_GET
def case(request: HttpRequest, code: str) -> HttpResponse:
    if not citizen.is_verified(request, code):
        return redirect(reverse("opinions_public:track") + "?" + urlencode({"code": code}))
    page = citizen.case_page(code)
    return render(request, "opinions/public/case.html", {"page": page, "rate_form": RateForm()})


@require_POST
def rate(request: HttpRequest, code: str) -> HttpResponse:
    if not citizen.is_verified(request, code):
        return redirect(reverse("opinions_public:track") + "?" + urlencode({"code": code}))
    form = RateForm(request.POST)
    if not form.is_valid():
        page = citizen.case_page(code)
        return render(request, "opinions/public/case.html", {"page": page, "rate_form": form}, status=200)
    try:
        opinion = citizen.rate(code, **form.cleaned_data)
    except CaseError as error:
        messages.error(request, str(error.message))
    else:
        if opinion.status == Status.CLOSED:
            messages.success(request, _("Thank you for your rating. The case is now closed."))
        else:
            messages.info(request, _("Thank you. Your case was reopened and sent back to the handling unit, "
                                     "which will reply again."))
    return redirect("opinions_public:case", code)
