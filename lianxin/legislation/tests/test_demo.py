"""The demo consultation: open, with its sites and ~150 deterministic comments, and no new activity."""

import datetime

from lianxin.activities.models import Activity
from lianxin.legislation.demo import COMMENT_COUNT, DEMO_TITLE, load_consultation
from lianxin.legislation.models import Comment, Consultation

NOW = datetime.datetime(2026, 5, 11, 2, tzinfo=datetime.UTC)


def _snapshot():
    return list(Comment.objects.order_by("id").values_list("article__number", "text", "channel", "moderation",
                                                            "adoption", "station__code"))


def test_demo_consultation_is_open_with_comments_and_is_deterministic(world):
    from lianxin.accounts.models import Role
    from lianxin.activities.services import create_activity

    session = create_activity(world.users[Role.CITY_ADMIN], station=world.station_a, kind="legislation",
                              title="立法座谈", starts_at=NOW - datetime.timedelta(days=3),
                              ends_at=NOW - datetime.timedelta(days=3, hours=-2))
    activities = Activity.objects.count()
    consultation = load_consultation(NOW)
    assert consultation.status == Consultation.Status.OPEN and consultation.title == DEMO_TITLE
    assert consultation.articles.count() == 25
    assert len({a.chapter_number for a in consultation.articles.all()}) == 4
    assert consultation.stations.count() == 2  # the test world has two sites; the demo takes up to 12
    comments = Comment.objects.filter(consultation=consultation)
    assert comments.count() == COMMENT_COUNT
    moderation = {m: comments.filter(moderation=m).count() for m in Comment.Moderation.values}
    assert moderation["approved"] > 100 and moderation["pending"] > 0 and moderation["rejected"] > 0
    assert comments.filter(channel="site").exists() and comments.filter(channel="online").exists()
    at_a = comments.filter(channel="site", station=world.station_a)
    assert at_a.exists() and not at_a.exclude(session=session).exists()  # linked to the existing session
    assert not comments.filter(channel="site", station=world.station_b, session__isnull=False).exists()
    assert comments.exclude(adoption="").exists()
    assert not comments.filter(adoption="not_adopted", adoption_reason="").exists()
    with_phone = comments.exclude(citizen_phone="")
    assert with_phone.exists() and all(c.phone_hash for c in with_phone)
    assert Activity.objects.count() == activities
    first = _snapshot()
    load_consultation(NOW)  # again: replaced, the same rows
    assert Consultation.objects.filter(title=DEMO_TITLE).count() == 1
    assert _snapshot() == first
