import datetime

import pytest
from django.utils import timezone

from lianxin.accounts.models import Role
from lianxin.opinions.models import Category
from lianxin.supervision import services
from lianxin.supervision.models import Topic

NOW = timezone.make_aware(datetime.datetime(2027, 3, 1, 10, 0))


@pytest.fixture
def category(db):
    return Category.objects.create(code="urban", name="城乡建设", name_en="Urban construction")


@pytest.fixture
def admin(world):
    return world.users[Role.DISTRICT_ADMIN]


@pytest.fixture
def topic(world, admin):
    return services.create_topic(
        admin, title="老旧小区改造", region=world.district_a, starts_on=datetime.date(2027, 1, 1),
        ends_on=datetime.date(2027, 12, 31), description="督促老旧小区改造", status=Topic.Status.ACTIVE,
        published=True, stations=[world.station_a], deputies=[world.deputy_a], now=NOW,
    )


@pytest.fixture
def recommend(world, admin, topic, category):
    def make(title="加装电梯进度慢", unit=None, **extra):
        return services.create_recommendation(
            admin, topic, title=title, text="坞城小区三栋楼加装电梯停工", unit=unit or world.unit_a,
            category=category, working_days=extra.pop("working_days", 15), station=world.station_a,
            now=extra.pop("now", NOW), **extra)
    return make


@pytest.fixture
def english(settings):
    """Messages and pages in English (the default is Chinese): for tests that read English messages."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield
