"""Documents made by a task (PDFs, workbooks): the shared fields of their rows.

A request row is created (or reset) by the web request, the task claims it (pending → running), renders
the file and stores it (ready), or records why it failed; a second request while one is in progress is
refused. ``TaskDocument`` holds those fields; the request/build flow lives next to it in this module.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
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
