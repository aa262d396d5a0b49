"""Staff pages of the assessment: rules, rankings (raw and normalised), the posting board, recomputation."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from lianxin.accounts.decorators import staff_required
from lianxin.core import clock
from lianxin.core.export import xlsx_response
from lianxin.core.pagination import keyset_page
from lianxin.regions.models import Region
from lianxin.stations.models import Station

from . import boards, scoring, services
from .forms import RulesForm
from .models import Grade, RecomputeRun, RuleSet
from .services import PerformanceError
from .views import _year


def _quarter(request: HttpRequest) -> int | None:
    value = request.GET.get("quarter", "")
    return int(value) if value in ("1", "2", "3", "4") else None


@staff_required
def rules(request: HttpRequest) -> HttpResponse:
    current = scoring.current_rules()
    history = list(RuleSet.objects.select_related("created_by").order_by("-version")[:20])
    return render(request, "performance/rules.html", {
        "rules": current, "history": history, "can_edit": services.can_edit_rules(request.user),  # type: ignore[arg-type]
        "kinds": [(kind.label, current.points.get(kind, 0), current.caps.get(kind))
                  for kind in scoring.POSITIVE_KINDS],
        "run": RecomputeRun.objects.first(),
    })


@staff_required
@require_http_methods(["GET", "POST"])
def rules_edit(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    if not services.can_edit_rules(user):
        raise PermissionDenied
    form = RulesForm(request.POST or None, rules=scoring.current_rules())
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                saved = services.save_rules(user, form.values(), request)
            except PerformanceError as failure:
                form.add_error(None, failure.message)
            else:
                messages.success(request, _("Rules version %(version)d saved; the scores are being recomputed.")
                                 % {"version": saved.version})
                return redirect("performance:rules")
        status = 400
    return render(request, "performance/rules_edit.html", {"form": form}, status=status)


@staff_required
@require_POST
def recompute(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    if not services.can_edit_rules(user):
        raise PermissionDenied
    run = scoring.start_recompute(user)
    from lianxin.accounts.audit import log_action

    log_action(user, "performance.recompute", None, {"run": run.pk, "years": run.years}, request)
    run.refresh_from_db()
    if request.headers.get("HX-Request"):
        return render(request, "performance/_recompute.html", {"run": run})
    return redirect("performance:rules")


@staff_required
def recompute_status(request: HttpRequest, pk: int) -> HttpResponse:
    run = RecomputeRun.objects.filter(pk=pk).first()
    return render(request, "performance/_recompute.html", {"run": run})


@staff_required
def rankings(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    year, quarter = _year(request), _quarter(request)
    order = request.GET.get("order", "raw")
    rows, ordering = boards.ranking(user, year, quarter, order)
    page = keyset_page(rows, ordering, request.GET.get("cursor"), settings.PAGE_SIZE)
    return render(request, "performance/rankings.html", {
        "page": page, "total": rows.count(), "year": year, "quarter": quarter, "order": order,
        "years": range(clock.today().year, clock.today().year - 5, -1), "quarters": (1, 2, 3, 4),
        "can_edit": services.can_edit_rules(user),
    })


@staff_required
def rankings_xlsx(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    year, quarter = _year(request), _quarter(request)
    rows, ordering = boards.ranking(user, year, quarter, request.GET.get("order", "raw"))
    grades = dict(Grade.choices)
    body = ([s.deputy.name, s.year, s.quarter or "", float(s.total), str(grades.get(s.grade, s.grade)), s.site_visits,
             s.opinions_received, s.citizens_served,
             float(s.per_opinion) if s.per_opinion is not None else "",
             float(s.per_100_citizens) if s.per_100_citizens is not None else "", s.rule_version]
            for s in rows.order_by(*ordering).iterator(chunk_size=2000))
    heads = [_("Deputy"), _("Year"), _("Quarter"), _("Total"), _("Grade"), _("Site visits"),
             _("Opinions received at the sites"), _("Citizens served at the sites"),
             _("Points per opinion received"), _("Points per 100 citizens served"), _("Rule version")]
    return xlsx_response(_("duty-scores-%(year)d.xlsx") % {"year": year}, heads, body)


@staff_required
def posting(request: HttpRequest) -> HttpResponse:
    """The quarterly posting (亮分) of a site or a district."""
    user: Any = request.user
    year = _year(request)
    quarter = _quarter(request) or ((clock.today().month - 1) // 3 + 1 if year == clock.today().year else 4)
    stations = Station.objects.visible_to(user).order_by("region_path", "code")
    districts = Region.objects.visible_to(user).filter(level=Region.Level.COUNTY).order_by("path")
    station_id, district_id = request.GET.get("station", ""), request.GET.get("district", "")
    station = stations.filter(pk=int(station_id)).first() if station_id.isdigit() else None
    district = districts.filter(pk=int(district_id)).first() if station is None and district_id.isdigit() else None
    rows = boards.posting(user, year, quarter, station=station, district=district)
    return render(request, "performance/posting.html", {
        "rows": rows, "summary": boards.summary(rows), "year": year, "quarter": quarter, "station": station,
        "district": district, "stations": stations.only("pk", "name"), "districts": districts.only("pk", "name"),
        "years": range(clock.today().year, clock.today().year - 5, -1), "quarters": (1, 2, 3, 4),
    })
