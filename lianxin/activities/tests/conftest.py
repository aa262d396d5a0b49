import pytest
from django.utils import translation


@pytest.fixture
def english(settings):
    """Messages and pages in English (the default is Chinese): for tests that read English messages."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield
