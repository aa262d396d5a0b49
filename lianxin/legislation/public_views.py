"""Citizens' pages at /l/: open consultations, a draft with its articles, comment on an article, thanks."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from lianxin.core import clock, crypto, ratelimit
from lianxin.core.ratelimit import Rate

from . import services
from .forms import PublicCommentForm, new_key
from .models import Comment, Consultation, DraftArticle
from .services import ConsultationError, NewComment

SESSION_THANKS = "legislation_thanks"


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    today = clock.today()
    public = Consultation.objects.public().order_by("-opens_on", "-id")
    open_now = list(public.filter(status=Consultation.Status.OPEN, opens_on__lte=today, closes_on__gte=today)[:50])
    finished = list(public.filter(status__in=[Consultation.Status.CLOSED, Consultation.Status.REPORTED])[:20])
    figures = services.public_figures(open_now + finished)
    for c in open_now + finished:
        c.figures = figures.get(c.pk, {"approved": 0, "adopted": 0, "partly": 0, "decided": 0})  # type: ignore[attr-defined]
    return render(request, "legislation/public/index.html", {"open_now": open_now, "finished": finished})


def _public(pk: int) -> Consultation:
    found = Consultation.objects.public().filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


@require_GET
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    consultation = _public(pk)
    articles = list(consultation.articles.all())
    counts = services.article_counts(consultation)
    for article in articles:
        article.approved_count = counts.get(article.pk, services.EMPTY_COUNTS)["approved"]  # type: ignore[attr-defined]
    figures = services.public_figures([consultation]).get(consultation.pk, {"approved": 0, "adopted": 0,
                                                                             "partly": 0, "decided": 0})
    return render(request, "legislation/public/detail.html", {
        "c": consultation, "articles": articles, "figures": figures,
        "whole_count": counts.get(None, services.EMPTY_COUNTS)["approved"],
        "accepting": services.accepting_comments(consultation), "closed_message": services.closed_message(consultation),
    })


def _limit_message(request: HttpRequest, phone: str) -> str | None:
    ip_rate = Rate.setting("LEGISLATION_RATE_IP", (10, 600))
    phone_rate = Rate.setting("LEGISLATION_RATE_PHONE", (10, 3600))
    if not ratelimit.hit("legislation-ip", ratelimit.client_ip(request), ip_rate):
        return _("Too many comments were sent from this network just now. Please wait a few minutes and try again.")
    if phone and not ratelimit.hit("legislation-phone", crypto.lookup_hash(phone), phone_rate):
        return _("Too many comments were sent with this phone number recently. Please try again in an hour.")
    return None


@require_http_methods(["GET", "POST"])
def comment(request: HttpRequest, pk: int, article: int | None = None) -> HttpResponse:
    consultation = _public(pk)
    target: DraftArticle | None = None
    if article is not None:
        target = DraftArticle.objects.filter(consultation=consultation, pk=article).first()
        if target is None:
            raise Http404
    status = 200
    if request.method == "POST":
        key = request.POST.get("key", "")
        existing = Comment.objects.filter(idempotency_key=key, consultation=consultation).first() if key else None
        if existing is not None:  # a double click or a retry: the same comment, nothing new stored
            return _thanks(request, consultation)
        form = PublicCommentForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            refusal = _limit_message(request, data["phone"])
            if refusal is None:
                new = NewComment(text=data["text"], article=target, name=data["name"], phone=data["phone"],
                                 consent=data["consent"], language=get_language() or "zh-hans")
                try:
                    services.submit_comment(consultation, new, idempotency_key=data["key"] or None)
                except ConsultationError as error:
                    form.add_error(None, str(error.message))
                    status = 409 if error.code in ("closed", "deleted") else 400
                else:
                    return _thanks(request, consultation)
            else:
                form.add_error(None, refusal)
                status = 429
        else:
            status = 400
    else:
        form = PublicCommentForm(initial={"key": new_key()})
    context: dict[str, Any] = {
        "c": consultation, "article": target, "form": form,
        "accepting": services.accepting_comments(consultation) and not (target and target.deleted),
        "closed_message": (_("This article was withdrawn from the draft; comments on it are no longer accepted.")
                           if target and target.deleted else services.closed_message(consultation)),
    }
    return render(request, "legislation/public/comment.html", context, status=status)


def _thanks(request: HttpRequest, consultation: Consultation) -> HttpResponse:
    request.session[SESSION_THANKS] = consultation.pk
    return redirect("legislation_public:thanks", consultation.pk)


@require_GET
def thanks(request: HttpRequest, pk: int) -> HttpResponse:
    consultation = _public(pk)
    if request.session.get(SESSION_THANKS) != consultation.pk:
        return redirect("legislation_public:detail", consultation.pk)
    return render(request, "legislation/public/thanks.html", {"c": consultation})
