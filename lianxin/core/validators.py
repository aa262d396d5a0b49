import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE_RE = re.compile(r"^0\d{2,3}-?\d{7,8}(-\d{1,6})?$")


def validate_phone(value: str) -> None:
    """A mainland mobile number (11 digits) or a landline with area code (0351-1234567)."""
    compact = value.replace(" ", "")
    if not (MOBILE_RE.match(compact) or LANDLINE_RE.match(compact)):
        raise ValidationError(
            _("Enter a valid phone number: an 11-digit mobile number or a landline with its area code."),
            code="invalid_phone",
        )


def validate_mobile(value: str) -> None:
    if not MOBILE_RE.match(value.replace(" ", "")):
        raise ValidationError(_("Enter a valid 11-digit mobile number."), code="invalid_mobile")
