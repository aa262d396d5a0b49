"""Encryption of personal data at rest and keyed hashes for exact-match lookups.

Values are encrypted with AES-256-GCM (authenticated, a random 96-bit nonce per value) and stored as
``v2:`` followed by the URL-safe base64 of nonce, ciphertext and tag. Keys come from
FIELD_ENCRYPTION_KEYS (Fernet keys: URL-safe base64 of 32 bytes; the first key encrypts, every key
decrypts, so keys rotate without downtime); without it a key is derived from SECRET_KEY so the
embedded defaults work out of the box. Each configured key yields its AES key by HKDF-SHA256.

Values written before (Fernet tokens: AES-128-CBC with HMAC-SHA256, starting ``gAAAA``) are still
read with the same keys. AES-GCM was chosen over Fernet for new values because a Fernet token costs
an IV, a CBC cipher, padding and an HMAC object per value — about half of the public submission's
preparation of its INSERT (two values each) — and is twice as long.
"""

import base64
import functools
import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

PREFIX = "v2:"
NONCE_BYTES = 12
_HKDF_INFO = b"lianxin:fields:aes-256-gcm"


def _derived_key(secret: str, purpose: str) -> bytes:
    digest = hashlib.sha256(f"lianxin:{purpose}:{secret}".encode()).digest()
    return base64.urlsafe_b64encode(digest)


def _keys() -> list[bytes]:
    """The configured keys (URL-safe base64 of 32 bytes each), the one that encrypts first."""
    keys = list(settings.FIELD_ENCRYPTION_KEYS) or [_derived_key(settings.SECRET_KEY, "fields").decode()]
    return [key.encode() if isinstance(key, str) else key for key in keys]


@functools.cache
def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(key) for key in _keys()])


@functools.cache
def _aeads() -> tuple[AESGCM, ...]:
    """An AES-256-GCM cipher per configured key (the key's 32 bytes through HKDF-SHA256)."""
    return tuple(
        AESGCM(HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HKDF_INFO).derive(
            base64.urlsafe_b64decode(key)))
        for key in _keys()
    )


def encrypt(value: str) -> str:
    nonce = os.urandom(NONCE_BYTES)
    sealed = _aeads()[0].encrypt(nonce, value.encode(), None)
    return PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode()


def decrypt(token: str) -> str:
    """The value of a token made by ``encrypt`` (or an earlier Fernet token) with any configured key.

    A token no key opens raises ``cryptography.fernet.InvalidToken``."""
    if not token.startswith(PREFIX):
        return _fernet().decrypt(token.encode()).decode()
    try:
        data = base64.urlsafe_b64decode(token[len(PREFIX):])
    except ValueError:
        raise InvalidToken from None
    if len(data) < NONCE_BYTES + 16:  # a nonce and a tag at least
        raise InvalidToken
    nonce, sealed = data[:NONCE_BYTES], data[NONCE_BYTES:]
    for aead in _aeads():
        try:
            return aead.decrypt(nonce, sealed, None).decode()
        except InvalidTag:
            continue
    raise InvalidToken


def lookup_hash(value: str) -> str:
    """A keyed hash of a normalised value: lets us find equal values without decrypting."""
    key = _derived_key(settings.SECRET_KEY, "lookup")
    normalised = "".join(value.split()).lower()
    return hmac.new(key, normalised.encode(), hashlib.sha256).hexdigest()
