"""A staff account's in-app notices: new cases at its sites, transfers to its unit, replies, deadline
warnings, mid-year pace warnings … (``opinions.Notification``, written by the case engine and the tasks).

The list is newest first with keyset pagination; a notice is marked read one by one or all at once.
The top bar shows the unread count, fetched by htmx after the page loads (no query added to any page).
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from lianxin.accounts.decorators import staff_required
from lianxin.core import clock
from lianxin.core.pagination import keyset_page
from lianxin.opinions.models import Notification

PAGE_SIZE = 30


@require_GET
@staff_required
def notifications(request: HttpRequest) -> HttpResponse:
    show = "all" if request.GET.get("show") == "all" else "unread"
    mine = Notification.objects.visible_to(request.user)
    listed = mine if show == "all" else mine.unread()
    page = keyset_page(listed.select_related("opinion").only(
        "id", "message", "created_at", "read_at", "opinion__id", "opinion__tracking_code"),
        ("-created_at", "-id"), request.GET.get("cursor"), PAGE_SIZE)
    context = {"page": page, "show": show, "unread": mine.unread().count()}
    return render(request, "dashboard/notifications.html", context)


@require_GET
@staff_required
def unread_badge(request: HttpRequest) -> HttpResponse:
    count = Notification.objects.visible_to(request.user).unread().count()
    return render(request, "dashboard/_notification_badge.html", {"count": count})


@require_POST
@staff_required
def mark_read(request: HttpRequest) -> HttpResponse:
    """Mark one notice (``id``) or every unread one (``all``) as read; another account's notice is a 404."""
    mine = Notification.objects.visible_to(request.user).unread()
    if request.POST.get("all") == "1":
        count = mine.update(read_at=clock.now())
        messages.success(request, _("%(count)d notices marked as read.") % {"count": count})
    else:
        value = request.POST.get("id", "")
        if not value.isdigit() or not Notification.objects.visible_to(request.user).filter(pk=int(value)).exists():
            raise Http404
        mine.filter(pk=int(value)).update(read_at=clock.now())
    target = request.POST.get("next", "")
    if target.startswith("/staff/") and "//" not in target:
        return redirect(target)
    return redirect("dashboard:notifications")
