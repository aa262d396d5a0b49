import datetime

import pytest
import time_machine
from django.core.cache import cache

from .helpers import TODAY


@pytest.fixture(autouse=True)
def _frozen_today():
    cache.clear()
    with time_machine.travel(datetime.datetime(TODAY.year, TODAY.month, TODAY.day, 10, 0,
                                               tzinfo=datetime.timezone(datetime.timedelta(hours=8))), tick=False):
        yield


@pytest.fixture
def english(settings):
    """Messages and pages in English (the default is Chinese): for tests that read English messages."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield
