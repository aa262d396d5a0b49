"""Encryption of personal data at rest and keyed hashes for exact-match lookups.

Values are encrypted with Fernet (AES-128-CBC + HMAC). Keys come from FIELD_ENCRYPTION_KEYS (first
key encrypts, every key decrypts, so keys rotate without downtime); without it a key is derived
from SECRET_KEY so the embedded defaults work out of the box.
"""

import base64
import functools
import hashlib
import hmac

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings


def _derived_key(secret: str, purpose: str) -> bytes:
    digest = hashlib.sha256(f"lianxin:{purpose}:{secret}".encode()).digest()
    return base64.urlsafe_b64encode(digest)


@functools.cache
def _fernet() -> MultiFernet:
    keys = list(settings.FIELD_ENCRYPTION_KEYS) or [_derived_key(settings.SECRET_KEY, "fields").decode()]
    return MultiFernet([Fernet(key.encode() if isinstance(key, str) else key) for key in keys])


def encrypt(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    return _fernet().decrypt(token.encode()).decode()


def lookup_hash(value: str) -> str:
    """A keyed hash of a normalised value: lets us find equal values without decrypting."""
    key = _derived_key(settings.SECRET_KEY, "lookup")
    normalised = "".join(value.split()).lower()
    return hmac.new(key, normalised.encode(), hashlib.sha256).hexdigest()
