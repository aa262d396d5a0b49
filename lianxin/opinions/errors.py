from django.utils.functional import Promise


class CaseError(Exception):
    """A refused case operation: a stable ``code`` for machines and a translated ``message`` for people."""

    def __init__(self, code: str, message: str | Promise) -> None:
        super().__init__(str(message))
        self.code = code
        # Rendered in the active language when raised (the language of the request being served).
        self.message = str(message)
