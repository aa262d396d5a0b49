"""Form helpers: Bootstrap classes on widgets and accessible error markup."""

from typing import Any

from django import forms


class BootstrapMixin:
    """Give every widget Bootstrap's classes; fields with errors get ``is-invalid`` and aria.

    Error classes are added after validation (``full_clean``), never in ``__init__``, so forms may
    still set per-request choices or querysets after calling ``super().__init__``.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[call-arg]
        for field in self.fields.values():  # type: ignore[attr-defined]
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, (forms.CheckboxSelectMultiple, forms.RadioSelect)):
                css = ""
            elif isinstance(widget, (forms.Select, forms.SelectMultiple)):
                css = "form-select"
            else:
                css = "form-control"
            if css:
                widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()

    def full_clean(self) -> None:
        super().full_clean()  # type: ignore[misc]
        for name in self.errors:  # type: ignore[attr-defined]
            field = self.fields.get(name)  # type: ignore[attr-defined]
            if field is not None:
                field.widget.attrs["class"] = f"{field.widget.attrs.get('class', '')} is-invalid".strip()
                field.widget.attrs["aria-invalid"] = "true"
