"""Short random codes people read out over the phone or type at the door (tracking and booking codes)."""

import secrets

# No 0/O, 1/I/L: nothing to confuse when read aloud or typed from a note.
READABLE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
# Random bytes below this bound map evenly onto the alphabet (byte % 31); the rest are drawn again.
_EVEN = 256 - 256 % len(READABLE_ALPHABET)


def readable_code(length: int) -> str:
    """``length`` characters of the alphabet, each uniformly random (one ``urandom`` call, not one per
    character: a public submission makes one)."""
    chars: list[str] = []
    while len(chars) < length:
        chars += [READABLE_ALPHABET[b % len(READABLE_ALPHABET)] for b in secrets.token_bytes(length + 4) if b < _EVEN]
    return "".join(chars[:length])
