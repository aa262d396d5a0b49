"""Text messages (SMS) through a pluggable backend, in the manner of Django's e-mail backends.

``send_sms(phone, text)`` hands the message to the backend named by ``settings.SMS_BACKEND`` (a
dotted path). Backends:

- ``lianxin.core.sms.LogBackend`` (default): one structured log line, the phone masked — for
  development and for installations without a gateway;
- ``lianxin.core.sms.LocmemBackend``: keeps the messages in ``lianxin.core.sms.outbox`` (tests);
- ``lianxin.core.sms.HttpBackend``: POSTs ``{"to", "text", "sign"}`` as JSON to
  ``settings.SMS_GATEWAY_URL`` with the API key in a header; a non-2xx answer or a network error
  raises ``SMSError`` so the task queue retries the job.

Settings (all optional, read with defaults): SMS_BACKEND, SMS_GATEWAY_URL, SMS_API_KEY,
SMS_API_KEY_HEADER ("X-API-Key"), SMS_SIGN ("人大代表联络站"), SMS_TIMEOUT (10 seconds).
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from lianxin.core.masking import mask_phone

logger = logging.getLogger("lianxin.sms")

DEFAULT_BACKEND = "lianxin.core.sms.LogBackend"
DEFAULT_SIGN = "人大代表联络站"


class SMSError(Exception):
    """The gateway refused or could not be reached; the caller (a task) should retry."""


@dataclass(frozen=True)
class Message:
    to: str
    text: str


class Backend(Protocol):
    def send(self, phone: str, text: str) -> None: ...


# Messages "sent" by LocmemBackend, like django.core.mail.outbox; tests clear it.
outbox: list[Message] = []


class LocmemBackend:
    def send(self, phone: str, text: str) -> None:
        outbox.append(Message(phone, text))


class LogBackend:
    """Writes the message to the log instead of sending it; the phone number is masked."""

    def send(self, phone: str, text: str) -> None:
        logger.info("sms", extra={"to": mask_phone(phone), "text": text, "chars": len(text)})


class HttpBackend:
    """A JSON-over-HTTP SMS gateway (the common shape of Chinese SMS platforms' APIs)."""

    def __init__(self) -> None:
        self.url = getattr(settings, "SMS_GATEWAY_URL", "")
        self.api_key = getattr(settings, "SMS_API_KEY", "")
        self.key_header = getattr(settings, "SMS_API_KEY_HEADER", "X-API-Key")
        self.sign = getattr(settings, "SMS_SIGN", DEFAULT_SIGN)
        self.timeout = float(getattr(settings, "SMS_TIMEOUT", 10))
        if not self.url.startswith(("http://", "https://")):
            raise SMSError("SMS_GATEWAY_URL must be an http(s) URL.")

    def send(self, phone: str, text: str) -> None:
        body = json.dumps({"to": phone, "text": text, "sign": self.sign}, ensure_ascii=False).encode()
        request = urllib.request.Request(  # noqa: S310 - scheme checked in __init__
            self.url,
            data=body,
            method="POST",
            headers={"Content-Type": "application/json; charset=utf-8", self.key_header: self.api_key},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                status = response.status
        except urllib.error.HTTPError as error:  # non-2xx
            logger.warning("sms.failed", extra={"to": mask_phone(phone), "status": error.code})
            raise SMSError(f"SMS gateway answered {error.code}") from error
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            logger.warning("sms.failed", extra={"to": mask_phone(phone), "error": str(error)})
            raise SMSError(f"SMS gateway unreachable: {error}") from error
        if not 200 <= status < 300:
            raise SMSError(f"SMS gateway answered {status}")
        logger.info("sms.sent", extra={"to": mask_phone(phone), "status": status})


def get_backend() -> Backend:
    backend: Backend = import_string(getattr(settings, "SMS_BACKEND", DEFAULT_BACKEND))()
    return backend


def send_sms(phone: str, text: str) -> None:
    """Send one text message through the configured backend (raises ``SMSError`` to be retried)."""
    get_backend().send(phone, text)
