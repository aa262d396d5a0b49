"""Personal data at rest: AES-256-GCM tokens, earlier Fernet tokens still read, keys rotated."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest
from cryptography.fernet import Fernet, InvalidToken

from lianxin.core import crypto


def _forget_ciphers() -> None:
    crypto._aeads.cache_clear()
    crypto._fernet.cache_clear()


@pytest.fixture
def keys(settings) -> Iterator[object]:
    """Settings whose FIELD_ENCRYPTION_KEYS a test may change; the ciphers are made again for it."""
    _forget_ciphers()
    yield settings
    _forget_ciphers()


def test_a_value_is_sealed_with_a_fresh_nonce_and_read_back():
    first, second = crypto.encrypt("13900001111"), crypto.encrypt("13900001111")
    assert first.startswith(crypto.PREFIX) and first != second  # a new nonce each time
    assert "13900001111" not in first and "王小二" not in crypto.encrypt("王小二")
    assert crypto.decrypt(first) == crypto.decrypt(second) == "13900001111"
    assert crypto.decrypt(crypto.encrypt("王小二")) == "王小二"
    # Nonce (12 bytes), 11 bytes of phone, tag (16 bytes): 52 characters of base64 after the prefix.
    assert len(first) == len(crypto.PREFIX) + 52


def test_values_written_as_fernet_tokens_are_still_read(keys):
    key = Fernet.generate_key()
    keys.FIELD_ENCRYPTION_KEYS = [key.decode()]
    legacy = Fernet(key).encrypt("王小二".encode()).decode()
    assert legacy.startswith("gAAAA")
    assert crypto.decrypt(legacy) == "王小二"


def test_keys_rotate_the_first_seals_every_one_opens(keys):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    keys.FIELD_ENCRYPTION_KEYS = [old]
    sealed_before = crypto.encrypt("13900001111")
    legacy_before = Fernet(old.encode()).encrypt(b"13900001111").decode()
    _forget_ciphers()
    keys.FIELD_ENCRYPTION_KEYS = [new, old]
    sealed_after = crypto.encrypt("13900001111")
    assert {crypto.decrypt(token) for token in (sealed_before, legacy_before, sealed_after)} == {"13900001111"}
    # Without the old key the old values no longer open; the new ones do.
    _forget_ciphers()
    keys.FIELD_ENCRYPTION_KEYS = [new]
    assert crypto.decrypt(sealed_after) == "13900001111"
    with pytest.raises(InvalidToken):
        crypto.decrypt(sealed_before)
    with pytest.raises(InvalidToken):
        crypto.decrypt(legacy_before)


@pytest.mark.parametrize("token", [
    "v2:", "v2:!!!", "v2:" + base64.urlsafe_b64encode(b"short").decode(), "gAAAAAnot-a-token", "plain text",
])
def test_a_damaged_or_foreign_token_is_refused(token):
    with pytest.raises(InvalidToken):
        crypto.decrypt(token)


def test_a_changed_byte_is_detected():
    token = crypto.encrypt("13900001111")
    data = bytearray(base64.urlsafe_b64decode(token[len(crypto.PREFIX):]))
    data[-1] ^= 1
    with pytest.raises(InvalidToken):
        crypto.decrypt(crypto.PREFIX + base64.urlsafe_b64encode(bytes(data)).decode())
