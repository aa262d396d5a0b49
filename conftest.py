import pytest

from lianxin.testing import build_world


@pytest.fixture(autouse=True)
def _fast_settings(settings, tmp_path):
    # Fast password hashing; huey runs tasks in-process (immediate mode) during tests.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"
    # Each test rolls its rows back: the process's copy of the deadline rules must not outlive them.
    from lianxin.core.keycache import clear_all
    from lianxin.opinions.services import KICK, RULES

    RULES.clear()
    clear_all()
    KICK.reset()  # when this process last queued a drain of new intakes (tests freeze the same instants)
    # Rate-limit counters (the local-memory cache outlives a test otherwise).
    from django.core.cache import cache

    cache.clear()
    yield
    # A request through the test client leaves its language active in this thread: reset it.
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def world(db):
    return build_world()


@pytest.fixture
def client_for(client):
    """Log the test client in as a user: ``client_for(world.users["city_admin"])``."""

    def login(user):
        client.force_login(user)
        return client

    return login
