"""A citizen's contact details on a model: encrypted name and phone, the phone's lookup hash, masks.

Models holding them (an opinion, a reception booking, a comment on a draft law) declare the columns
``citizen_name`` and ``citizen_phone`` (``EncryptedTextField``) and ``phone_hash`` themselves, and take
the behaviour from ``CitizenContact``: the hash kept by ``save()`` (also with ``update_fields``), the
masked values every screen shows unless the role may see them in full.
"""

from __future__ import annotations

from typing import Any

from .crypto import lookup_hash
from .masking import mask_name, mask_phone


class CitizenContact:
    citizen_name: str
    citizen_phone: str
    phone_hash: str

    def save(self, *args: Any, **kwargs: Any) -> None:
        fields = kwargs.get("update_fields")
        if fields is None or "citizen_phone" in fields:
            self.phone_hash = lookup_hash(self.citizen_phone) if self.citizen_phone else ""
            if fields is not None:
                kwargs["update_fields"] = {*fields, "phone_hash"}
        super().save(*args, **kwargs)  # type: ignore[misc]

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.citizen_phone)

    @property
    def masked_name(self) -> str:
        return mask_name(self.citizen_name)
