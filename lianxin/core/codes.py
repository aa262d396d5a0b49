"""Short random codes people read out over the phone or type at the door (tracking and booking codes)."""

import secrets

# No 0/O, 1/I/L: nothing to confuse when read aloud or typed from a note.
READABLE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def readable_code(length: int) -> str:
    return "".join(secrets.choice(READABLE_ALPHABET) for _ in range(length))
