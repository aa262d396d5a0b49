"""Documents made by a task (PDFs, workbooks): the shared fields of their rows.

A request row is created (or reset) by the web request, the task claims it (pending → running), renders
the file and stores it (ready), or records why it failed; a second request while one is in progress is
refused. ``TaskDocument`` holds those fields; the request/build flow lives next to it in this module.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.db import models, transaction
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from lianxin.core import clock


class DocumentStatus(models.TextChoices):
    PENDING = "pending", pgettext_lazy("pdf", "Waiting to be prepared")
    RUNNING = "running", pgettext_lazy("pdf", "Being prepared")
    READY = "ready", pgettext_lazy("pdf", "Ready")
    FAILED = "failed", pgettext_lazy("pdf", "Failed")


class TaskDocument(models.Model):
    """Abstract: status, the stored file (subclasses set ``upload_to``), who asked and when."""

    Status = DocumentStatus

    status = models.CharField(_("status"), max_length=10, choices=DocumentStatus.choices,
                              default=DocumentStatus.PENDING)
    file = models.FileField(_("file"), blank=True)
    size = models.PositiveIntegerField(default=0)
    language = models.CharField(max_length=10, default="zh-hans")
    error = models.CharField(max_length=500, blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    requested_at = models.DateTimeField(default=clock.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def in_progress(self) -> bool:
        return self.status in (DocumentStatus.PENDING, DocumentStatus.RUNNING)


# ---- the request/build flow ----------------------------------------------------------------------------

STALE_AFTER = datetime.timedelta(minutes=10)  # a request older than this no longer blocks a new one

logger = logging.getLogger(__name__)

D = TypeVar("D", bound=models.Model)  # TaskDocument or a model with the same fields


class DocumentBusy(Exception):
    """A document of the same key is already being prepared (``code`` "busy", translated ``message``)."""

    code = "busy"

    def __init__(self, message: str | None = None) -> None:
        self.message = message or str(_("The document is already being prepared."))
        super().__init__(self.message)


def request_document(model: type[D], lookup: dict[str, Any], user: Any, language: str,
                     task: Callable[[int], Any], busy_message: str | None = None) -> D:
    """Create or reset the row found by ``lookup`` to pending and queue ``task(pk)`` after the commit.

    Refuses (``DocumentBusy``) while a recent request of the same row is still pending or running; a
    stale one (older than ``STALE_AFTER``, e.g. its worker died) is replaced. Callers wrap this in their
    own transaction to log the action with it."""
    now = clock.now()
    with transaction.atomic():
        document: Any
        document, created = model.objects.select_for_update().get_or_create(**lookup)  # type: ignore[attr-defined]
        if not created and document.in_progress and document.requested_at > now - STALE_AFTER:
            raise DocumentBusy(busy_message)
        document.status, document.error, document.started_at = DocumentStatus.PENDING, "", None
        document.requested_by = user if getattr(user, "is_authenticated", False) else None
        document.requested_at, document.language = now, language
        document.save()
        pk = document.pk
        transaction.on_commit(lambda: task(pk))
    return document  # type: ignore[no-any-return]


def build_document(model: type[D], pk: int, render: Callable[[D], bytes | tuple[bytes, dict[str, Any]]],
                   filename: str) -> bool:
    """The task's body: claim the request (pending → running), render, store under an unguessable name
    (the field's ``upload_to``), mark it ready. A failure is recorded on the row ("unavailable" when the
    PDF library or its system libraries are missing, "failed" otherwise); a result superseded by a newer
    request meanwhile is thrown away. ``render`` may also return ``(content, {field: value})`` to store
    more fields with the file (e.g. what it was made from). True when a file was stored."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    started = clock.now()
    rows = model.objects  # type: ignore[attr-defined]
    if not rows.filter(pk=pk, status=DocumentStatus.PENDING).update(status=DocumentStatus.RUNNING, started_at=started):
        return False
    document: Any = rows.get(pk=pk)
    try:
        rendered = render(document)
    except (ImportError, OSError) as error:  # WeasyPrint or Pango missing on this server
        logger.warning("%s %s: %s", model.__name__, pk, error)
        rows.filter(pk=pk, started_at=started).update(status=DocumentStatus.FAILED, error="unavailable",
                                                       finished_at=clock.now())
        return False
    except Exception:
        logger.exception("%s %s failed", model.__name__, pk)
        rows.filter(pk=pk, started_at=started).update(status=DocumentStatus.FAILED, error="failed",
                                                       finished_at=clock.now())
        return False
    content, extra = rendered if isinstance(rendered, tuple) else (rendered, {})
    name = default_storage.save(document.file.field.generate_filename(document, filename), ContentFile(content))
    with transaction.atomic():
        current = rows.select_for_update().get(pk=pk)
        if current.status != DocumentStatus.RUNNING or current.started_at != started:
            default_storage.delete(name)  # superseded meanwhile
            return False
        old = current.file.name
        current.file.name = name
        current.status, current.size, current.finished_at = DocumentStatus.READY, len(content), clock.now()
        current.error = ""
        for field_name, value in extra.items():
            setattr(current, field_name, value)
        current.save()
    if old and old != name:
        default_storage.delete(old)
    return True
