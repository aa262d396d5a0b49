"""Citizens' photos: checked by their first bytes (not by name or declared type), then stored.

A browser's Content-Type and the file name are the sender's claims; the magic bytes are what an
image viewer will actually parse. Anything else is refused with a message the citizen can act on.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from lianxin.core import clock

from .models import Attachment, Opinion

MAX_PHOTOS = 3
DEFAULT_MAX_BYTES = 5 * 1024 * 1024


def max_photo_bytes() -> int:
    return int(getattr(settings, "OPINION_PHOTO_MAX_BYTES", DEFAULT_MAX_BYTES))


def sniff_image(head: bytes) -> tuple[str, str] | None:
    """(content type, extension) of a JPEG, PNG or WebP image from its first bytes; None otherwise."""
    if head[:3] == b"\xff\xd8\xff":
        return "image/jpeg", "jpg"
    if head[:8] == b"\x89PNG\r\n\x1a\n":
        return "image/png", "png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp", "webp"
    return None


def check_photo(upload: UploadedFile) -> tuple[str, str]:
    """Validate one upload; returns (content type, extension) or raises ValidationError."""
    limit = max_photo_bytes()
    if upload.size is not None and upload.size > limit:
        raise ValidationError(
            _("The photo “%(name)s” is larger than %(mb)s MB. Please choose a smaller photo."),
            code="too_large",
            params={"name": upload.name, "mb": limit // (1024 * 1024)},
        )
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    kind = sniff_image(head)
    if kind is None:
        raise ValidationError(
            _("The file “%(name)s” is not a JPEG, PNG or WebP photo."),
            code="not_image",
            params={"name": upload.name},
        )
    return kind


def check_photos(uploads: list[UploadedFile]) -> list[tuple[UploadedFile, str, str]]:
    if len(uploads) > MAX_PHOTOS:
        raise ValidationError(
            _("You can attach at most %(count)s photos."), code="too_many", params={"count": MAX_PHOTOS}
        )
    errors: list[ValidationError] = []
    checked: list[tuple[UploadedFile, str, str]] = []
    for upload in uploads:
        try:
            content_type, ext = check_photo(upload)
        except ValidationError as error:
            errors.append(error)
        else:
            checked.append((upload, content_type, ext))
    if errors:
        raise ValidationError(errors)
    return checked


def store_photos(opinion: Opinion, photos: Iterable[tuple[UploadedFile, str, str]]) -> list[Attachment]:
    """Save checked photos under random names (the citizen's file names may carry personal data)."""
    stored = []
    for upload, content_type, ext in photos:
        upload.name = f"{uuid.uuid4().hex}.{ext}"
        stored.append(
            Attachment.objects.create(
                opinion=opinion, file=upload, content_type=content_type, size=upload.size or 0,
                created_at=clock.now(),
            )
        )
    return stored
