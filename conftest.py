import pytest

from lianxin.testing import build_world


@pytest.fixture(autouse=True)
def _fast_settings(settings, tmp_path):
    # Fast password hashing; huey runs tasks in-process (immediate mode) during tests.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"


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
