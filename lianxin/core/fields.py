from typing import Any

from django.db import models

from . import crypto


class EncryptedTextField(models.TextField):
    """A text column stored encrypted; Python code sees plain text.

    Encrypted values cannot be filtered or sorted in SQL: pair the field with a lookup-hash
    column where equality search is needed (see ``crypto.lookup_hash``).
    """

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return crypto.encrypt(str(value))

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None or value == "":
            return value
        return crypto.decrypt(value)
