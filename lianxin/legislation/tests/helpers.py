"""Shared setup of the legislation tests."""

import datetime

from lianxin.accounts.models import Role
from lianxin.legislation import services
from lianxin.legislation.models import Consultation

DRAFT = """某某条例（草案）

第一章 总则

第一条　为了规范。

第二条　适用范围。

第二章 管理

第三条　管理办法。
"""

TODAY = datetime.date(2026, 5, 11)


def make_consultation(world, *, status=Consultation.Status.OPEN, text=DRAFT, stations=None):
    consultation = services.create_consultation(
        world.users[Role.CITY_ADMIN], title="", organiser="市人大常委会法工委", text=text,
        opens_on=TODAY - datetime.timedelta(days=5), closes_on=TODAY + datetime.timedelta(days=5),
        stations=[world.station_a, world.station_b] if stations is None else stations)
    Consultation.objects.filter(pk=consultation.pk).update(status=status)
    consultation.refresh_from_db()
    return consultation
