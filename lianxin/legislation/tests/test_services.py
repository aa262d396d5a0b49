"""Creating a consultation, phases, comments, moderation, adoption and its SMS."""

import datetime

import pytest
from django.test import override_settings

from lianxin.accounts.audit import AuditEntry
from lianxin.accounts.models import Role
from lianxin.core import sms
from lianxin.legislation import services
from lianxin.legislation.models import Comment, Consultation, DraftArticle
from lianxin.legislation.services import ConsultationError, NewComment

from .helpers import DRAFT, TODAY, make_consultation

LOCMEM = {"SMS_BACKEND": "lianxin.core.sms.LocmemBackend"}


def counts():
    return (Consultation.objects.count(), DraftArticle.objects.count(), Comment.objects.count())


def test_create_splits_the_draft_and_keeps_the_introduction(world):
    consultation = make_consultation(world, status=Consultation.Status.DRAFT)
    assert consultation.title == "某某条例（草案）" and consultation.summary == "某某条例（草案）"
    assert list(consultation.articles.values_list("number", "chapter_number")) == [(1, 1), (2, 1), (3, 2)]
    assert AuditEntry.objects.filter(action="consultation.create").count() == 1


@pytest.mark.parametrize(("role", "kwargs", "code"), [
    (Role.SITE_MANAGER, {}, "not_allowed"),
    (Role.DISTRICT_ADMIN, {"text": "没有条文"}, "draft"),
    (Role.DISTRICT_ADMIN, {"text": "第一条 甲。\n第一条 乙。"}, "draft"),
    (Role.DISTRICT_ADMIN, {"closes_on": TODAY - datetime.timedelta(days=10)}, "invalid"),
    (Role.DISTRICT_ADMIN, {"stations": "b"}, "not_allowed"),  # district A's admin, district B's site
])
def test_bad_creation_changes_nothing(world, role, kwargs, code):
    before = counts()
    data = {"title": "", "organiser": "法工委", "text": DRAFT, "opens_on": TODAY, "closes_on": TODAY,
            "stations": [world.station_a]}
    data.update(kwargs)
    if data["stations"] == "b":
        data["stations"] = [world.station_b]
    with pytest.raises(ConsultationError) as error:
        services.create_consultation(world.users[role], **data)
    assert error.value.code == code and counts() == before


def test_phases_by_hand_and_by_date(world):
    admin = world.users[Role.CITY_ADMIN]
    consultation = make_consultation(world, status=Consultation.Status.DRAFT)
    with pytest.raises(ConsultationError):
        services.change_phase(admin, consultation, "close")
    assert services.change_phase(admin, consultation, "open").status == Consultation.Status.OPEN
    assert services.sweep_phases(TODAY) == 0
    assert services.sweep_phases(TODAY + datetime.timedelta(days=6)) == 1
    consultation.refresh_from_db()
    assert consultation.status == Consultation.Status.CLOSED
    assert services.change_phase(admin, consultation, "report").status == Consultation.Status.REPORTED
    with pytest.raises(ConsultationError):
        services.change_phase(world.users[Role.SITE_MANAGER], consultation, "open")


def test_online_comment_is_idempotent_and_waits_for_moderation(world):
    consultation = make_consultation(world)
    article = consultation.articles.get(number=2)
    new = NewComment(text="建议修改", article=article, phone="13900001111", name="王", consent=True)
    comment, created = services.submit_comment(consultation, new, idempotency_key="k" * 20)
    again, created_again = services.submit_comment(consultation, new, idempotency_key="k" * 20)
    assert created and not created_again and comment.pk == again.pk
    assert comment.moderation == Comment.Moderation.PENDING and comment.phone_hash


@pytest.mark.parametrize("case", ["draft", "closed", "future", "deleted", "foreign", "empty", "no_consent"])
def test_bad_comments_change_nothing(world, case):
    consultation = make_consultation(world, status=Consultation.Status.DRAFT if case == "draft" else
                                     Consultation.Status.CLOSED if case == "closed" else Consultation.Status.OPEN)
    article = consultation.articles.get(number=1)
    new = NewComment(text="意见", article=article)
    if case == "future":
        Consultation.objects.filter(pk=consultation.pk).update(opens_on=TODAY + datetime.timedelta(days=1))
        consultation.refresh_from_db()
    elif case == "deleted":
        services.withdraw_article(world.users[Role.CITY_ADMIN], article)
    elif case == "foreign":
        new.article = make_consultation(world).articles.first()
    elif case == "empty":
        new.text = "   "
    elif case == "no_consent":
        new.phone = "13900001111"
    before = counts()
    with pytest.raises(ConsultationError) as error:
        services.submit_comment(consultation, new)
    assert counts() == before
    assert str(error.value.message)


def test_staff_entry_at_a_site_session(world):
    consultation = make_consultation(world, stations=[world.station_a])
    manager = world.users[Role.SITE_MANAGER]
    start = datetime.datetime(2026, 5, 10, 9, tzinfo=datetime.UTC)
    session = services.new_session(manager, consultation, world.station_a, title="立法征求意见座谈会",
                                   starts_at=start, ends_at=start + datetime.timedelta(hours=2))
    assert session.kind == "legislation" and session.consultation_id == consultation.pk
    comment = services.enter_site_comment(manager, consultation, NewComment(text="座谈会意见"),
                                          station=world.station_a, session=session)
    assert comment.channel == Comment.Channel.SITE and comment.moderation == Comment.Moderation.APPROVED
    assert comment.entered_by == manager
    # another district's admin cannot enter for station_a; a site not taking part is refused
    before = counts()
    with pytest.raises(ConsultationError):
        services.enter_site_comment(world.outsider, consultation, NewComment(text="x"), station=world.station_a)
    with pytest.raises(ConsultationError):
        services.enter_site_comment(world.users[Role.CITY_ADMIN], consultation, NewComment(text="x"),
                                    station=world.station_b)
    assert counts() == before


def test_moderation(world):
    consultation = make_consultation(world)
    admin = world.users[Role.DISTRICT_ADMIN]
    a, _ = services.submit_comment(consultation, NewComment(text="一"))
    b, _ = services.submit_comment(consultation, NewComment(text="二"))
    assert services.moderate(admin, consultation, [a.pk], Comment.Moderation.APPROVED) == 1
    with pytest.raises(ConsultationError):  # already moderated: nothing changes, b included
        services.moderate(admin, consultation, [a.pk, b.pk], Comment.Moderation.REJECTED)
    b.refresh_from_db()
    assert b.moderation == Comment.Moderation.PENDING
    with pytest.raises(ConsultationError):
        services.moderate(world.users[Role.SITE_MANAGER], consultation, [b.pk], Comment.Moderation.APPROVED)
    services.moderate(admin, consultation, [b.pk], Comment.Moderation.REJECTED)
    assert AuditEntry.objects.filter(action__startswith="consultation.moderate.").count() == 2
    assert services.public_figures([consultation])[consultation.pk]["approved"] == 1


@override_settings(**LOCMEM)
def test_adoption_sends_one_sms_in_the_commenters_language(world, django_capture_on_commit_callbacks):
    consultation = make_consultation(world)
    admin = world.users[Role.CITY_ADMIN]
    article = consultation.articles.get(number=3)
    zh, _ = services.submit_comment(consultation, NewComment(text="中文意见", article=article, phone="13900001111",
                                                             consent=True, language="zh-hans"))
    en, _ = services.submit_comment(consultation, NewComment(text="English", phone="13900002222", consent=True,
                                                             language="en"))
    silent, _ = services.submit_comment(consultation, NewComment(text="无联系方式"))
    services.moderate(admin, consultation, [zh.pk, en.pk, silent.pk], Comment.Moderation.APPROVED)
    sms.outbox.clear()
    with pytest.raises(ConsultationError):  # not adopted needs a reason
        services.decide(admin, zh, Comment.Adoption.NOT_ADOPTED)
    with django_capture_on_commit_callbacks(execute=True):
        services.decide(admin, zh, Comment.Adoption.ADOPTED)
        services.decide(admin, en, Comment.Adoption.NOT_ADOPTED, "已有规定")
        services.decide(admin, silent, Comment.Adoption.PARTLY)
    assert [m.to for m in sms.outbox] == ["13900001111", "13900002222"]
    assert "第三条" in sms.outbox[0].text and "某某条例（草案）" in sms.outbox[0].text
    assert "was not adopted" in sms.outbox[1].text and "已有规定" in sms.outbox[1].text
    with django_capture_on_commit_callbacks(execute=True):
        services.decide(admin, zh, Comment.Adoption.PARTLY)  # changed later: told once only
    assert len(sms.outbox) == 2
    zh.refresh_from_db()
    assert zh.notified_at is not None and zh.decided_by == admin
    assert AuditEntry.objects.filter(action="consultation.decide").count() == 4


def test_rejected_comment_cannot_be_adopted(world):
    consultation = make_consultation(world)
    admin = world.users[Role.CITY_ADMIN]
    comment, _ = services.submit_comment(consultation, NewComment(text="广告"))
    services.moderate(admin, consultation, [comment.pk], Comment.Moderation.REJECTED)
    with pytest.raises(ConsultationError):
        services.decide(admin, comment, Comment.Adoption.ADOPTED)
    with pytest.raises(ConsultationError):
        services.decide(world.outsider, comment, Comment.Adoption.ADOPTED)
