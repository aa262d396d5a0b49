"""Every state change of a campaign: templates, campaigns, applications, district review, audit,
final review, decision and designations. Each function checks the permission and the phase window,
runs in a transaction with the row locked, writes an ``ApplicationEvent`` where it concerns an
application, and an audit-log entry (``log_action``). Views and commands call these only."""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Count, Max, Q, QuerySet
from django.utils.translation import gettext as _

from lianxin.accounts.audit import log_action
from lianxin.accounts.models import Role, User
from lianxin.core import clock
from lianxin.stations.models import Station

from .defaults import ensure_default_template  # noqa: F401  (part of the contract)
from .models import (
    Application,
    ApplicationEvent,
    AuditAssignment,
    AuditPhoto,
    AuditScore,
    Campaign,
    CriteriaTemplate,
    Criterion,
    Designation,
    DesignationReview,
    Dimension,
    DimensionCode,
    Evidence,
    Metric,
    Phase,
    SelfScore,
)

if TYPE_CHECKING:
    from lianxin.activities.models import Activity
    from lianxin.opinions.models import Opinion

S = Application.Status
MAX_FILE_BYTES = 10 * 1024 * 1024
TIER_ORDER: dict[str, int] = {Station.Tier.NONE: 0, Station.Tier.STANDARD: 1, Station.Tier.EXEMPLARY: 2, Station.Tier.STAR: 3}


class CampaignError(Exception):
    def __init__(self, code: str, message: Any) -> None:
        super().__init__(str(message))
        self.code = code
        self.message = message


# ---- permissions -----------------------------------------------------------------------------------------------


def _covers(user: User, station: Station) -> bool:
    """A superuser, or an admin whose region subtree holds the site."""
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    if user.role not in (Role.CITY_ADMIN, Role.DISTRICT_ADMIN) or user.region is None:
        return False
    return station.region_path.startswith(user.region.path)


def can_manage(user: User) -> bool:
    return bool(user.is_authenticated and (user.is_superuser or user.role == Role.CITY_ADMIN))


def can_review(user: User, application: Application) -> bool:
    return _covers(user, application.station)


def can_apply(user: User, station: Station) -> bool:
    if not user.is_authenticated:
        return False
    if user.role == Role.SITE_MANAGER:
        return user.stations.filter(pk=station.pk).exists()
    return _covers(user, station)


def _require_manage(user: User) -> None:
    if not can_manage(user):
        raise CampaignError("forbidden", _("Only the city congress administration may do this."))


def _require_phase(campaign: Campaign, *phases: str) -> str:
    phase = campaign.phase()
    if phase not in phases:
        names = ", ".join(str(Phase(p).label) for p in phases)
        raise CampaignError("phase", _("This can only be done in the phase: %(phases)s (now: %(now)s).")
                            % {"phases": names, "now": Phase(phase).label})
    return phase


def _day(value: datetime.date) -> str:
    return value.isoformat()


# ---- templates -------------------------------------------------------------------------------------------------


def latest_templates() -> QuerySet[CriteriaTemplate]:
    """The newest version of each family."""
    newest = CriteriaTemplate.objects.values("family").annotate(top=Max("version"))
    q = Q(pk__in=[])
    for row in newest:
        q |= Q(family=row["family"], version=row["top"])
    return CriteriaTemplate.objects.filter(q).order_by("family")


def _decimal(value: Any, field: str) -> Decimal:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise CampaignError("invalid", _("“%(value)s” is not a number (%(field)s).")
                            % {"value": value, "field": field}) from exc


def save_template_version(user: User, family: str, *, name: str, description: str = "", note: str = "",
                          dimensions: list[dict[str, Any]]) -> CriteriaTemplate:
    """A new version (latest + 1) of ``family`` with the given dimensions and items."""
    _require_manage(user)
    if not name.strip():
        raise CampaignError("invalid", _("Give the template a name."))
    codes = [d.get("code") for d in dimensions]
    if len(set(codes)) != len(codes):
        raise CampaignError("invalid", _("Each dimension may appear only once."))
    if any(code not in DimensionCode.values for code in codes):
        raise CampaignError("invalid", _("Unknown dimension."))
    items = 0
    for dim in dimensions:
        for item in dim.get("criteria", []):
            items += 1
            if not str(item.get("title", "")).strip():
                raise CampaignError("invalid", _("Every item needs a title."))
            if _decimal(item.get("max_points"), "max_points") <= 0:
                raise CampaignError("invalid", _("The item “%(title)s” needs more than 0 points.")
                                    % {"title": item["title"]})
            if item.get("kind", Criterion.Kind.MANUAL) == Criterion.Kind.AUTOMATIC:
                target = item.get("target")
                if item.get("metric") not in Metric.values or target in (None, "") or \
                        _decimal(target, "target") <= 0:
                    raise CampaignError("invalid", _("The automatic item “%(title)s” needs a figure and a "
                                                     "value for full points.") % {"title": item["title"]})
    if not items:
        raise CampaignError("invalid", _("A template needs at least one item."))
    with transaction.atomic():
        top = (CriteriaTemplate.objects.select_for_update().filter(family=family)
               .aggregate(top=Max("version"))["top"]) or 0
        template = CriteriaTemplate.objects.create(family=family, version=top + 1, name=name.strip(),
                                                   description=description, note=note, created_by=user)
        rows = []
        for order, dim in enumerate(dimensions, start=1):
            dimension = Dimension.objects.create(template=template, code=dim["code"],
                                                 name=str(dim.get("name") or DimensionCode(dim["code"]).label),
                                                 order=order)
            for index, item in enumerate(dim.get("criteria", []), start=1):
                automatic = item.get("kind") == Criterion.Kind.AUTOMATIC
                rows.append(Criterion(
                    dimension=dimension, order=index, title=str(item["title"]).strip(),
                    guidance=item.get("guidance", ""), evidence=item.get("evidence", ""),
                    max_points=_decimal(item["max_points"], "max_points"),
                    kind=Criterion.Kind.AUTOMATIC if automatic else Criterion.Kind.MANUAL,
                    metric=item.get("metric", "") if automatic else "",
                    target=_decimal(item["target"], "target") if automatic else None))
        Criterion.objects.bulk_create(rows)
        log_action(user, "campaign.template_version", template, {"family": family, "version": template.version,
                                                                   "items": items})
    return template


# ---- campaigns -------------------------------------------------------------------------------------------------

DATE_FIELDS = ("application_opens", "district_review_opens", "audit_opens", "final_review_opens", "publication_on")
PHASE_OF_DATE = {"application_opens": Phase.APPLICATION, "district_review_opens": Phase.DISTRICT_REVIEW,
                 "audit_opens": Phase.AUDIT, "final_review_opens": Phase.FINAL_REVIEW,
                 "publication_on": Phase.PUBLISHED}
CAMPAIGN_FIELDS = {
    "year", "name", "template", "region", "tier", "quota_stations", "quota_points", *DATE_FIELDS, "data_from",
    "data_to", "weight_self", "weight_audit", "weight_platform", "auditors_per_site", "auditors_outside_district",
    "disagreement_points",
}


def _validate_campaign(campaign: Campaign) -> None:
    if (campaign.weight_self or 0) + (campaign.weight_audit or 0) + (campaign.weight_platform or 0) != 100:
        raise CampaignError("weights", _("The three weights must add up to 100."))
    dates = [getattr(campaign, f) for f in DATE_FIELDS]
    if any(d is None for d in dates) or not (dates[0] < dates[1] < dates[2] < dates[3] <= dates[4]):
        raise CampaignError("dates", _("The phase dates must follow each other: application, district review, "
                                       "on-site audit, final review, publication."))
    if campaign.data_from is None or campaign.data_to is None or campaign.data_from > campaign.data_to:
        raise CampaignError("dates", _("The data period must start before it ends."))
    if not campaign.quota_stations and not campaign.quota_points:
        raise CampaignError("quota", _("Give a quota for stations, for points or for both."))
    if not str(campaign.name).strip():
        raise CampaignError("invalid", _("Give the campaign a name."))


def create_campaign(user: User, **fields: Any) -> Campaign:
    _require_manage(user)
    unknown = set(fields) - CAMPAIGN_FIELDS
    if unknown:
        raise CampaignError("invalid", f"unknown fields: {sorted(unknown)}")
    if "region" not in fields:
        fields["region"] = user.region
    if fields.get("template") is None:
        fields["template"] = ensure_default_template()
    campaign = Campaign(created_by=user, **fields)
    _validate_campaign(campaign)
    with transaction.atomic():
        campaign.save()
        log_action(user, "campaign.create", campaign, {"year": campaign.year, "name": campaign.name})
    return campaign


def update_campaign(user: User, campaign: Campaign, **fields: Any) -> Campaign:
    """Template and data period only before the application phase; quotas until the decision; the date of
    a phase only while that phase has not started; other settings until the decision."""
    _require_manage(user)
    unknown = set(fields) - CAMPAIGN_FIELDS
    if unknown:
        raise CampaignError("invalid", f"unknown fields: {sorted(unknown)}")
    with transaction.atomic():
        locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
        phase = locked.phase()
        if phase in (Phase.DECIDED, Phase.PUBLISHED):
            raise CampaignError("phase", _("The campaign is decided; its settings can no longer change."))
        today = clock.today()
        changes: dict[str, Any] = {}
        for name, value in fields.items():
            old = getattr(locked, name)
            if old == value:
                continue
            if name in ("template", "data_from", "data_to", "region") and phase != Phase.PREPARATION:
                raise CampaignError("phase", _("The criteria, the area and the data period can only change before "
                                               "the application phase opens."))
            if name in DATE_FIELDS and (old <= today or value <= today):
                raise CampaignError("phase", _("The date of a phase that has started cannot change, nor can a "
                                               "phase be moved into the past."))
            setattr(locked, name, value)
            changes[name] = str(value.pk if hasattr(value, "pk") else value)
        _validate_campaign(locked)
        locked.save()
        if changes:
            log_action(user, "campaign.update", locked, changes)
    return locked


# ---- applications ----------------------------------------------------------------------------------------------


def _event(application: Application, action: str, user: User | None, from_status: str = "", to_status: str = "",
           comment: str = "") -> None:
    ApplicationEvent.objects.create(application=application, action=action, from_status=from_status,
                                    to_status=to_status or application.status, comment=comment, actor=user,
                                    at=clock.now())


def _lock(application: Application | int) -> Application:
    pk = application.pk if isinstance(application, Application) else application
    return (Application.objects.select_for_update(of=("self",)).select_related("campaign", "station")
            .get(pk=pk))


def start_application(user: User, campaign: Campaign, station: Station) -> Application:
    if not can_apply(user, station):
        raise CampaignError("forbidden", _("You may not apply for this site."))
    _require_phase(campaign, Phase.APPLICATION)
    if not station.is_active:
        raise CampaignError("inactive", _("A deactivated site cannot apply."))
    if station.kind not in campaign.kinds:
        raise CampaignError("kind", _("This campaign takes no sites of this kind."))
    with transaction.atomic():
        Campaign.objects.select_for_update().filter(pk=campaign.pk).first()
        if Application.objects.filter(campaign=campaign, station=station).exists():
            raise CampaignError("exists", _("This site has already applied in this campaign."))
        application = Application.objects.create(campaign=campaign, station=station, kind=station.kind,
                                                 created_by=user)
        _event(application, "created", user, "", S.DRAFT)
        log_action(user, "campaign.apply", application, {"campaign": campaign.pk, "station": station.pk})
    return application


def _require_editable(user: User, application: Application) -> None:
    if not can_apply(user, application.station):
        raise CampaignError("forbidden", _("You may not change this application."))
    phase = application.campaign.phase()
    if application.status == S.DRAFT:
        if phase != Phase.APPLICATION:
            raise CampaignError("closed", _("The application window closed on %(date)s.")
                                % {"date": _day(application.campaign.district_review_opens
                                                - datetime.timedelta(days=1))})
    elif application.status == S.RETURNED:
        if phase not in (Phase.APPLICATION, Phase.DISTRICT_REVIEW):
            raise CampaignError("closed", _("The district review closed on %(date)s.")
                                % {"date": _day(application.campaign.audit_opens - datetime.timedelta(days=1))})
    else:
        raise CampaignError("state", _("Only a draft or a returned application can be changed."))


def save_self_scores(user: User, application: Application, scores: dict[int, tuple[Decimal, str]],
                     summary: str | None = None) -> Application:
    with transaction.atomic():
        locked = _lock(application)
        _require_editable(user, locked)
        criteria = {c.pk: c for c in Criterion.objects.filter(dimension__template_id=locked.campaign.template_id,
                                                              kind=Criterion.Kind.MANUAL)}
        rows = []
        for cid, (points, note) in scores.items():
            criterion = criteria.get(int(cid))
            if criterion is None:
                raise CampaignError("invalid", _("That item is not a self-assessed item of this campaign."))
            value = _decimal(points, criterion.title)
            if value < 0 or value > criterion.max_points:
                raise CampaignError("invalid", _("The points for “%(title)s” must be between 0 and %(max)s.")
                                    % {"title": criterion.title, "max": criterion.max_points})
            rows.append(SelfScore(application=locked, criterion=criterion, points=value, note=note or ""))
        if rows:
            SelfScore.objects.bulk_create(rows, update_conflicts=True, unique_fields=["application", "criterion"],
                                          update_fields=["points", "note"])
        if summary is not None:
            locked.summary = summary
        locked.updated_at = clock.now()
        locked.save(update_fields=["summary", "updated_at"])
        log_action(user, "campaign.self_scores", locked, {"items": len(rows)})
    return locked


def sniff_evidence(head: bytes) -> tuple[str, str] | None:
    """(content type, extension) of a JPEG / PNG / WebP image or a PDF; None otherwise."""
    from lianxin.opinions.attachments import sniff_image

    image = sniff_image(head)
    if image is not None:
        return image
    if head.startswith(b"%PDF-"):
        return "application/pdf", "pdf"
    return None


def _check_upload(upload: Any, *, images_only: bool) -> str:
    import secrets

    name = str(getattr(upload, "name", "") or "file")
    if (upload.size or 0) > MAX_FILE_BYTES:
        raise CampaignError("invalid", _("The file “%(name)s” is larger than %(mb)s MB.")
                            % {"name": name, "mb": MAX_FILE_BYTES // (1024 * 1024)})
    if not upload.size:
        raise CampaignError("invalid", _("The file “%(name)s” is empty.") % {"name": name})
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    kind = sniff_evidence(head)
    if kind is None or (images_only and kind[1] == "pdf"):
        if images_only:
            raise CampaignError("invalid", _("The file “%(name)s” is not a JPEG, PNG or WebP photo.")
                                % {"name": name})
        raise CampaignError("invalid", _("The file “%(name)s” is not a photo (JPEG, PNG, WebP) or a PDF.")
                            % {"name": name})
    upload.name = f"{secrets.token_hex(8)}.{kind[1]}"
    return name


def add_evidence(user: User, application: Application, criterion: Criterion, *, file: Any = None,
                 activity: Activity | None = None, opinion: Opinion | None = None, caption: str = "") -> Evidence:
    from lianxin.activities.models import Activity as ActivityModel
    from lianxin.opinions.models import Opinion as OpinionModel

    if sum(x is not None and x != "" for x in (file, activity, opinion)) != 1:
        raise CampaignError("invalid", _("Give one piece of evidence: a file, an activity or an opinion."))
    original = _check_upload(file, images_only=False) if file else ""
    with transaction.atomic():
        locked = _lock(application)
        _require_editable(user, locked)
        if criterion.dimension.template_id != locked.campaign.template_id:
            raise CampaignError("invalid", _("That item is not part of this campaign's criteria."))
        if activity is not None and not ActivityModel.objects.visible_to(user).filter(
                pk=activity.pk, station_id=locked.station_id).exists():
            raise CampaignError("invalid", _("The activity must be one of the applying site's."))
        if opinion is not None and not OpinionModel.objects.visible_to(user).filter(
                pk=opinion.pk, station_id=locked.station_id).exists():
            raise CampaignError("invalid", _("The opinion must be one of the applying site's."))
        evidence = Evidence(application=locked, criterion=criterion, activity=activity, opinion=opinion,
                            caption=(caption or original)[:200], created_by=user)
        if file:
            evidence.file = file
        evidence.save()
        log_action(user, "campaign.evidence_add", locked, {"evidence": evidence.pk, "criterion": criterion.pk})
    return evidence


def remove_evidence(user: User, evidence: Evidence) -> None:
    with transaction.atomic():
        locked = _lock(evidence.application_id)
        _require_editable(user, locked)
        found = Evidence.objects.filter(pk=evidence.pk, application=locked).first()
        if found is None:
            raise CampaignError("not_found", _("No such evidence."))
        if found.file:
            found.file.delete(save=False)
        found.delete()
        log_action(user, "campaign.evidence_remove", locked, {"evidence": evidence.pk})


def submit_application(user: User, application: Application) -> Application:
    with transaction.atomic():
        locked = _lock(application)
        if not can_apply(user, locked.station):
            raise CampaignError("forbidden", _("You may not submit this application."))
        _require_editable(user, locked)
        scored = set(SelfScore.objects.filter(application=locked).values_list("criterion_id", flat=True))
        missing = Criterion.objects.filter(dimension__template_id=locked.campaign.template_id,
                                           kind=Criterion.Kind.MANUAL).exclude(pk__in=scored)
        if missing.exists():
            titles = "、".join(missing.values_list("title", flat=True)[:5])
            raise CampaignError("incomplete", _("Score every item before submitting. Missing: %(items)s")
                                % {"items": titles})
        before = locked.status
        locked.status = S.SUBMITTED
        locked.submitted_at = locked.updated_at = clock.now()
        locked.save(update_fields=["status", "submitted_at", "updated_at"])
        _event(locked, "resubmitted" if before == S.RETURNED else "submitted", user, before, S.SUBMITTED)
        log_action(user, "campaign.submit", locked, {"from": before})
    return locked


def withdraw_application(user: User, application: Application) -> Application:
    with transaction.atomic():
        locked = _lock(application)
        if not can_apply(user, locked.station):
            raise CampaignError("forbidden", _("You may not withdraw this application."))
        if locked.campaign.phase() in (Phase.DECIDED, Phase.PUBLISHED):
            raise CampaignError("phase", _("The campaign is decided; the application can no longer be withdrawn."))
        if locked.status == S.WITHDRAWN:
            raise CampaignError("state", _("The application is already withdrawn."))
        before = locked.status
        locked.status = S.WITHDRAWN
        locked.within_quota = False
        locked.updated_at = clock.now()
        locked.save(update_fields=["status", "within_quota", "updated_at"])
        AuditAssignment.objects.filter(application=locked, status=AuditAssignment.Status.ASSIGNED).delete()
        _event(locked, "withdrawn", user, before, S.WITHDRAWN)
        log_action(user, "campaign.withdraw", locked, {"from": before})
    return locked


def _district_decision(user: User, application: Application, action: str, to_status: str, comment: str,
                       *, comment_required: bool) -> Application:
    comment = (comment or "").strip()
    if comment_required and not comment:
        raise CampaignError("comment", _("Write a comment for the site."))
    with transaction.atomic():
        locked = _lock(application)
        if not can_review(user, locked):
            raise CampaignError("forbidden", _("Only the congress staff of the site's area may review it."))
        _require_phase(locked.campaign, Phase.APPLICATION, Phase.DISTRICT_REVIEW)
        if locked.status != S.SUBMITTED:
            raise CampaignError("state", _("Only a submitted application can be reviewed."))
        locked.status = to_status
        locked.district_comment = comment
        locked.reviewed_by = user
        locked.reviewed_at = locked.updated_at = clock.now()
        locked.save(update_fields=["status", "district_comment", "reviewed_by", "reviewed_at", "updated_at"])
        _event(locked, action, user, S.SUBMITTED, to_status, comment)
        log_action(user, f"campaign.{action}", locked, {"comment": comment})
    return locked


def recommend(user: User, application: Application, comment: str = "") -> Application:
    return _district_decision(user, application, "recommended", S.RECOMMENDED, comment, comment_required=False)


def return_application(user: User, application: Application, comment: str) -> Application:
    return _district_decision(user, application, "returned", S.RETURNED, comment, comment_required=True)


def not_recommend(user: User, application: Application, comment: str) -> Application:
    return _district_decision(user, application, "not_recommended", S.NOT_RECOMMENDED, comment,
                              comment_required=True)


# ---- audit -----------------------------------------------------------------------------------------------------


def _conflict(campaign: Campaign, auditor: User, station: Station) -> bool:
    if not campaign.auditors_outside_district or auditor.region_id is None:
        return False
    return station.region_path.startswith(auditor.region.path)  # type: ignore[union-attr]


def eligible_auditors(campaign: Campaign, application: Application) -> QuerySet[User]:
    auditors = User.objects.filter(is_active=True, role=Role.AUDITOR)
    if not campaign.auditors_outside_district:
        return auditors.order_by("username")
    station = application.station
    conflicting = [u.pk for u in auditors.filter(region__isnull=False).select_related("region")
                   if station.region_path.startswith(u.region.path)]  # type: ignore[union-attr]
    return auditors.exclude(pk__in=conflicting).order_by("username")


def _assign(user: User, application: Application, auditor: User) -> AuditAssignment:
    campaign = application.campaign
    if not auditor.is_active or auditor.role != Role.AUDITOR:
        raise CampaignError("invalid", _("%(name)s is not an active auditor.") % {"name": auditor})
    if _conflict(campaign, auditor, application.station):
        raise CampaignError("conflict", _("%(name)s belongs to %(district)s and may not audit a site there.")
                            % {"name": auditor, "district": auditor.region.name})  # type: ignore[union-attr]
    found, _created = AuditAssignment.objects.get_or_create(application=application, auditor=auditor,
                                                            defaults={"assigned_by": user, "assigned_at": clock.now()})
    return found


def assign_auditors(user: User, application: Application, auditors: list[User]) -> list[AuditAssignment]:
    _require_manage(user)
    with transaction.atomic():
        locked = _lock(application)
        _require_phase(locked.campaign, Phase.DISTRICT_REVIEW, Phase.AUDIT)
        if locked.status != S.RECOMMENDED:
            raise CampaignError("state", _("Only a recommended application is audited."))
        made = [_assign(user, locked, auditor) for auditor in auditors]
        _event(locked, "auditors_assigned", user, comment="、".join(str(a) for a in auditors))
        log_action(user, "campaign.assign", locked, {"auditors": [a.pk for a in auditors]})
    return made


def auto_assign(user: User, campaign: Campaign) -> int:
    """Fill each recommended application up to ``auditors_per_site``, the least loaded auditors first."""
    _require_manage(user)
    _require_phase(campaign, Phase.DISTRICT_REVIEW, Phase.AUDIT)
    made = 0
    with transaction.atomic():
        Campaign.objects.select_for_update().filter(pk=campaign.pk).first()
        auditors = list(User.objects.filter(is_active=True, role=Role.AUDITOR).select_related("region")
                        .order_by("id"))
        load = dict(AuditAssignment.objects.filter(application__campaign=campaign).values("auditor_id")
                    .annotate(n=Count("id")).values_list("auditor_id", "n"))
        taken: dict[int, set[int]] = {}
        for app_id, auditor_id in AuditAssignment.objects.filter(application__campaign=campaign).values_list(
                "application_id", "auditor_id"):
            taken.setdefault(app_id, set()).add(auditor_id)
        rows = []
        for application in (Application.objects.filter(campaign=campaign, status=S.RECOMMENDED)
                            .select_related("station").order_by("id")):
            have = taken.get(application.pk, set())
            need = campaign.auditors_per_site - len(have)
            if need <= 0:
                continue
            candidates = sorted((a for a in auditors if a.pk not in have
                                 and not _conflict(campaign, a, application.station)),
                                key=lambda a: (load.get(a.pk, 0), a.pk))
            for auditor in candidates[:need]:
                rows.append(AuditAssignment(application=application, auditor=auditor, assigned_by=user,
                                            assigned_at=clock.now()))
                load[auditor.pk] = load.get(auditor.pk, 0) + 1
        AuditAssignment.objects.bulk_create(rows)
        made = len(rows)
        log_action(user, "campaign.auto_assign", campaign, {"assignments": made})
    return made


def unassign(user: User, assignment: AuditAssignment) -> None:
    _require_manage(user)
    with transaction.atomic():
        locked = AuditAssignment.objects.select_for_update().filter(pk=assignment.pk).first()
        if locked is None:
            raise CampaignError("not_found", _("No such assignment."))
        if locked.status == AuditAssignment.Status.SUBMITTED:
            raise CampaignError("state", _("A submitted audit cannot be removed."))
        application = locked.application
        locked.delete()
        _event(application, "auditor_removed", user, comment=str(locked.auditor))
        log_action(user, "campaign.unassign", application, {"auditor": locked.auditor_id})


def _lock_assignment(user: User, assignment: AuditAssignment) -> AuditAssignment:
    locked = (AuditAssignment.objects.select_for_update(of=("self",))
              .select_related("application__campaign", "application__station").filter(pk=assignment.pk).first())
    if locked is None or locked.auditor_id != user.pk:
        raise CampaignError("forbidden", _("Only the assigned auditor may score this visit."))
    _require_phase(locked.application.campaign, Phase.AUDIT)
    if locked.status == AuditAssignment.Status.SUBMITTED:
        raise CampaignError("state", _("This audit is submitted and can no longer change."))
    return locked


def save_audit(user: User, assignment: AuditAssignment, scores: dict[int, tuple[Decimal, str]], *,
               notes: str = "", latitude: Decimal | None = None, longitude: Decimal | None = None,
               accuracy: int | None = None, submit: bool = False) -> AuditAssignment:
    with transaction.atomic():
        locked = _lock_assignment(user, assignment)
        criteria = {c.pk: c for c in Criterion.objects.filter(
            dimension__template_id=locked.application.campaign.template_id, kind=Criterion.Kind.MANUAL)}
        rows = []
        for cid, (points, note) in scores.items():
            criterion = criteria.get(int(cid))
            if criterion is None:
                raise CampaignError("invalid", _("That item is not an audited item of this campaign."))
            value = _decimal(points, criterion.title)
            if value < 0 or value > criterion.max_points:
                raise CampaignError("invalid", _("The points for “%(title)s” must be between 0 and %(max)s.")
                                    % {"title": criterion.title, "max": criterion.max_points})
            rows.append(AuditScore(assignment=locked, criterion=criterion, points=value, note=note or ""))
        if rows:
            AuditScore.objects.bulk_create(rows, update_conflicts=True, unique_fields=["assignment", "criterion"],
                                           update_fields=["points", "note"])
        now = clock.now()
        if locked.visited_at is None:
            locked.visited_at = now
        if locked.latitude is None and latitude is not None and longitude is not None:
            locked.latitude, locked.longitude, locked.location_accuracy = latitude, longitude, accuracy
        locked.notes = notes
        saved = dict(AuditScore.objects.filter(assignment=locked).values_list("criterion_id", "points"))
        locked.total = sum(saved.values(), Decimal("0"))
        if submit:
            missing = [c.title for pk, c in criteria.items() if pk not in saved]
            if missing:
                raise CampaignError("incomplete", _("Score every item before submitting. Missing: %(items)s")
                                    % {"items": "、".join(missing[:5])})
            locked.status = AuditAssignment.Status.SUBMITTED
            locked.submitted_at = now
        locked.save()
        if submit:
            _event(locked.application, "audited", user, comment=str(locked.total))
        log_action(user, "campaign.audit_submit" if submit else "campaign.audit_save", locked,
                   {"items": len(rows), "total": str(locked.total)})
    return locked


def add_audit_photo(user: User, assignment: AuditAssignment, file: Any,
                    criterion: Criterion | None = None) -> AuditPhoto:
    _check_upload(file, images_only=True)
    with transaction.atomic():
        locked = _lock_assignment(user, assignment)
        if criterion is not None and criterion.dimension.template_id != locked.application.campaign.template_id:
            raise CampaignError("invalid", _("That item is not part of this campaign's criteria."))
        photo = AuditPhoto.objects.create(assignment=locked, criterion=criterion, file=file)
        log_action(user, "campaign.audit_photo", locked, {"photo": photo.pk})
    return photo


# ---- final review, decision, designations ----------------------------------------------------------------------


def set_override(user: User, application: Application, override: str, reason: str) -> Application:
    _require_manage(user)
    reason = (reason or "").strip()
    if override not in Application.Override.values:
        raise CampaignError("invalid", _("Unknown override."))
    if override and not reason:
        raise CampaignError("reason", _("Give the reason for the override."))
    with transaction.atomic():
        locked = _lock(application)
        _require_phase(locked.campaign, Phase.FINAL_REVIEW)
        if locked.status != S.RECOMMENDED:
            raise CampaignError("state", _("Only a recommended application is ranked."))
        locked.override = override
        locked.override_reason = reason if override else ""
        locked.override_by = user if override else None
        locked.save(update_fields=["override", "override_reason", "override_by"])
        _event(locked, "override", user, comment=f"{override or '-'}: {reason}")
        log_action(user, "campaign.override", locked, {"override": override, "reason": reason})
    return locked


def _certificate_prefix(campaign: Campaign) -> str:
    return f"SF{campaign.year}-"


def decide(user: User, campaign: Campaign) -> list[Designation]:
    from . import scoring

    _require_manage(user)
    with transaction.atomic():
        locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
        _require_phase(locked, Phase.FINAL_REVIEW)
        scoring.refresh(locked)
        recommended = list(Application.objects.filter(campaign=locked, status=S.RECOMMENDED)
                           .select_related("station").annotate(
                               audited=Count("audits", filter=Q(audits__status=AuditAssignment.Status.SUBMITTED)))
                           .order_by("kind", "rank", "id"))
        unaudited = [a.station.name for a in recommended if not a.audited]  # type: ignore[attr-defined]
        if unaudited:
            raise CampaignError("unaudited", _("These applications have no submitted audit yet: %(names)s")
                                % {"names": "、".join(unaudited[:10])})
        chosen: list[Application] = []
        for kind in (Station.Kind.STATION, Station.Kind.POINT):
            rows = [a for a in recommended if a.kind == kind]
            inside = [a for a in rows if a.decided_in]
            quota = locked.quota(kind)
            if len(inside) > quota:
                tied = [a for a in inside if a.tied and not a.override]
                if tied:
                    raise CampaignError("tie", _(
                        "%(kind)s: %(names)s tie at the quota line (%(quota)s places). Resolve the tie with an "
                        "override before deciding.") % {"kind": Station.Kind(kind).label,
                                                          "names": "、".join(a.station.name for a in tied),
                                                          "quota": quota})
                raise CampaignError("quota", _("%(kind)s: %(count)s would be designated but the quota is "
                                               "%(quota)s.") % {"kind": Station.Kind(kind).label,
                                                                "count": len(inside), "quota": quota})
            chosen.extend(inside)
        now = clock.now()
        prefix = _certificate_prefix(locked)
        taken = Designation.objects.filter(certificate_no__startswith=prefix).count()
        # a site designated the same tier before: the older designation is superseded (kept as history)
        Designation.objects.filter(station_id__in=[a.station_id for a in chosen], tier=locked.tier,
                                   withdrawn_at__isnull=True).update(
            withdrawn_at=now, withdrawn_reason=_("Renewed by the %(year)s designation.") % {"year": locked.year})
        designations = Designation.objects.bulk_create([
            Designation(station_id=a.station_id, campaign=locked, application=a, tier=locked.tier,
                        year=locked.year, certificate_no=f"{prefix}{taken + i:04d}", designated_at=now)
            for i, a in enumerate(sorted(chosen, key=lambda a: (a.kind != Station.Kind.STATION, a.rank or 0, a.pk)),
                                  start=1)])
        Station.objects.filter(pk__in=[a.station_id for a in chosen]).update(tier=locked.tier, updated_at=now)
        Application.objects.filter(pk__in=[a.pk for a in chosen]).update(designated=True)
        ApplicationEvent.objects.bulk_create([
            ApplicationEvent(application=a, action="designated", to_status=a.status, actor=user, at=now)
            for a in chosen])
        locked.decided_at, locked.decided_by = now, user
        locked.save(update_fields=["decided_at", "decided_by"])
        counts = {kind: sum(1 for a in chosen if a.kind == kind) for kind in (Station.Kind.STATION,
                                                                               Station.Kind.POINT)}
        log_action(user, "campaign.decide", locked, {"designated": counts, "recommended": len(recommended),
                                                      "overrides": sum(1 for a in recommended if a.override)})
    campaign.decided_at, campaign.decided_by = locked.decided_at, user
    return designations


def publish(user: User, campaign: Campaign) -> Campaign:
    _require_manage(user)
    with transaction.atomic():
        locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if locked.decided_at is None:
            raise CampaignError("phase", _("Decide the campaign before publishing it."))
        if locked.published_at is not None:
            raise CampaignError("phase", _("The campaign is already published."))
        locked.published_at = clock.now()
        locked.save(update_fields=["published_at"])
        log_action(user, "campaign.publish", locked, {})
    campaign.published_at = locked.published_at
    return locked


def _restore_tier(station_id: int) -> str:
    tiers = list(Designation.objects.current().filter(station_id=station_id).values_list("tier", flat=True))
    tier = max(tiers, key=lambda t: TIER_ORDER.get(t, 0)) if tiers else Station.Tier.NONE
    Station.objects.filter(pk=station_id).update(tier=tier, updated_at=clock.now())
    return tier


def review_designation(user: User, designation: Designation, *, year: int, keep: bool,
                       reason: str) -> DesignationReview:
    _require_manage(user)
    reason = (reason or "").strip()
    if not reason:
        raise CampaignError("reason", _("Write the findings of the re-check."))
    with transaction.atomic():
        locked = Designation.objects.select_for_update().get(pk=designation.pk)
        if locked.withdrawn_at is not None:
            raise CampaignError("state", _("This designation has been withdrawn."))
        if year <= locked.year:
            raise CampaignError("year", _("A re-check is made in a year after the designation (%(year)s).")
                                % {"year": locked.year})
        if DesignationReview.objects.filter(designation=locked, year=year).exists():
            raise CampaignError("exists", _("This designation was already re-checked in %(year)s.") % {"year": year})
        review = DesignationReview.objects.create(
            designation=locked, year=year, reason=reason, reviewed_by=user, reviewed_at=clock.now(),
            outcome=DesignationReview.Outcome.KEPT if keep else DesignationReview.Outcome.WITHDRAWN)
        if not keep:
            locked.withdrawn_at = clock.now()
            locked.withdrawn_reason = reason[:300]
            locked.save(update_fields=["withdrawn_at", "withdrawn_reason"])
            _restore_tier(locked.station_id)
        log_action(user, "campaign.designation_review", locked, {"year": year, "outcome": review.outcome})
    return review
