"""Notifications: staff in-app and e-mail in their language, the citizen's SMS in the opinion's language, SMS backends."""

import datetime
import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import time_machine
from django.core import mail
from django.utils import timezone, translation

from lianxin.core import sms
from lianxin.opinions import notify, services
from lianxin.opinions.models import Category, Notification, OpinionEvent

NOW = timezone.make_aware(datetime.datetime(2026, 3, 2, 10, 0))
PHONE = "13900001111"


@pytest.fixture(autouse=True)
def locmem_sms(settings):
    settings.SMS_BACKEND = "lianxin.core.sms.LocmemBackend"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    sms.outbox.clear()
    yield sms.outbox
    sms.outbox.clear()


@pytest.fixture
def category(db):
    return Category.objects.create(code="urban", name="城乡建设", name_en="Urban construction")


def submit(world, category, language="zh-hans", phone=PHONE):
    opinion, _ = services.submit_opinion(
        category=category, title="小区路灯不亮", text="3号楼前路灯坏了一个月", channel="site_qr",
        station=world.station_a, citizen_name="王小二", citizen_phone=phone, language=language,
    )
    return opinion


@time_machine.travel(NOW, tick=False)
def test_citizen_gets_the_tracking_code_by_sms_in_their_language(world, category, locmem_sms,
                                                                django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        english = submit(world, category, language="en", phone="13900002222")
    assert [m.to for m in locmem_sms] == ["13900002222"]
    assert english.tracking_code in locmem_sms[0].text
    assert "Tracking code" in locmem_sms[0].text  # English, although the active language is Chinese
    assert translation.get_language() == "zh-hans"

    locmem_sms.clear()
    with django_capture_on_commit_callbacks(execute=True):
        chinese = submit(world, category)
    assert chinese.tracking_code in locmem_sms[0].text
    assert "查询码" in locmem_sms[0].text


@time_machine.travel(NOW, tick=False)
def test_citizen_is_told_of_each_public_step(world, category, locmem_sms, django_capture_on_commit_callbacks):
    admin, unit_user = world.users["district_admin"], world.users["unit_staff"]
    with django_capture_on_commit_callbacks(execute=True):
        opinion = submit(world, category, language="en")
        services.accept(opinion, admin)
        services.transfer(opinion, admin, unit=world.unit_a, working_days=5)
        services.acknowledge(opinion, unit_user)  # internal: no SMS
        services.reply(opinion, unit_user, text="The street lamp was replaced on 1 March.")
        services.rate(opinion, satisfaction="satisfied", resolved=True)
    texts = [m.text for m in locmem_sms]
    assert len(texts) == 5
    assert "accepted by 坞城街道人大代表联络站" in texts[1]
    assert "小店区住房和城乡建设局" in texts[2] and "2026-03-09" in texts[2]
    assert "The street lamp was replaced" in texts[3]
    assert "closed" in texts[4]


@time_machine.travel(NOW, tick=False)
def test_rejection_sms_carries_the_reason_and_where_to_go(world, category, locmem_sms,
                                                         django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        opinion = submit(world, category, language="en")
        services.reject(opinion, world.users["site_manager"], reason="litigation")
    text = locmem_sms[-1].text
    assert opinion.tracking_code in text
    assert "litigation" in text and "court" in text  # the standard reason and the guidance


@time_machine.travel(NOW, tick=False)
def test_no_sms_without_a_phone(world, category, locmem_sms, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        submit(world, category, phone="")
    assert locmem_sms == []


@time_machine.travel(NOW, tick=False)
def test_staff_get_a_translated_sentence_and_an_email_when_they_have_an_address(
    world, category, django_capture_on_commit_callbacks
):
    unit_user = world.users["unit_staff"]
    unit_user.email = "unit@example.org"
    unit_user.save()
    opinion = submit(world, category)
    admin = world.users["district_admin"]
    services.accept(opinion, admin)
    with django_capture_on_commit_callbacks(execute=True):
        services.transfer(opinion, admin, unit=world.unit_a, working_days=5)
    notice = Notification.objects.get(user=unit_user, opinion=opinion)
    assert "transfer" not in notice.message.split()  # a sentence, not the action code
    assert opinion.tracking_code in notice.message and "2026-03-09" in notice.message
    with translation.override("zh-hans"):
        event = OpinionEvent.objects.get(opinion=opinion, action="transfer")
        assert notice.message == notify.staff_message(event)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["unit@example.org"]
    assert opinion.tracking_code in mail.outbox[0].subject
    assert f"/staff/opinions/inbox/{opinion.pk}/" in mail.outbox[0].body


def test_staff_who_chose_english_get_english_notifications(world, category, django_capture_on_commit_callbacks):
    unit_user = world.users["unit_staff"]
    unit_user.language = "en"
    unit_user.email = "unit@example.org"
    unit_user.save()
    opinion = submit(world, category)
    admin = world.users["district_admin"]
    services.accept(opinion, admin)
    with django_capture_on_commit_callbacks(execute=True):
        services.transfer(opinion, admin, unit=world.unit_a, working_days=5)
    notice = Notification.objects.get(user=unit_user, opinion=opinion)
    with translation.override("en"):
        event = OpinionEvent.objects.get(opinion=opinion, action="transfer")
        assert notice.message == notify.staff_message(event)
    assert notice.message.startswith("Case ") and "was transferred to" in notice.message
    assert translation.get_language() == "zh-hans"  # the sender's language is untouched
    assert mail.outbox[0].subject.startswith("Case ")


@time_machine.travel(NOW, tick=False)
def test_every_action_has_its_own_staff_sentence(world, category):
    opinion = submit(world, category)
    messages = set()
    for action in notify.STAFF_MESSAGES:
        event = OpinionEvent(opinion=opinion, action=action, data={})
        messages.add(notify.staff_message(event))
    assert len(messages) == len(notify.STAFF_MESSAGES)
    rated = OpinionEvent(opinion=opinion, action="rate", data={"satisfaction": "basic", "reopened": False})
    with translation.override("en"):
        assert "Basically satisfied" in notify.staff_message(rated)


@time_machine.travel(NOW, tick=False)
def test_muted_transitions_notify_nobody(world, category, locmem_sms, django_capture_on_commit_callbacks):
    with notify.muted(), django_capture_on_commit_callbacks(execute=True):
        opinion = submit(world, category)
        services.accept(opinion, world.users["district_admin"])
        services.transfer(opinion, world.users["district_admin"], unit=world.unit_a)
    assert locmem_sms == [] and not Notification.objects.exists()
    assert notify.MUTED.get() is False


def test_log_backend_masks_the_phone(settings, caplog):
    settings.SMS_BACKEND = "lianxin.core.sms.LogBackend"
    with caplog.at_level(logging.INFO, logger="lianxin.sms"):
        sms.send_sms("13912345678", "您的意见已收到。")
    record = next(r for r in caplog.records if r.name == "lianxin.sms")
    assert record.to == "139****5678"
    assert record.text == "您的意见已收到。"
    assert all("13912345678" not in str(value) for value in vars(record).values())


def test_default_backend_is_the_log(settings):
    del settings.SMS_BACKEND
    assert isinstance(sms.get_backend(), sms.LogBackend)


class Gateway(BaseHTTPRequestHandler):
    received: list = []
    status = 200

    def do_POST(self):  # noqa: N802 - http.server's naming
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Gateway.received.append({"path": self.path, "key": self.headers.get("X-API-Key"),
                                 "json": json.loads(body)})
        self.send_response(Gateway.status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"ok": true}')

    def log_message(self, *args):
        pass


@pytest.fixture
def gateway(settings):
    server = ThreadingHTTPServer(("127.0.0.1", 0), Gateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    Gateway.received, Gateway.status = [], 200
    settings.SMS_BACKEND = "lianxin.core.sms.HttpBackend"
    settings.SMS_GATEWAY_URL = f"http://127.0.0.1:{server.server_address[1]}/send"
    settings.SMS_API_KEY = "secret-key"
    settings.SMS_SIGN = "太原人大"
    settings.SMS_TIMEOUT = 5
    yield Gateway
    server.shutdown()
    server.server_close()
    thread.join()


def test_http_backend_posts_json_with_the_api_key(gateway):
    sms.send_sms("13912345678", "您的意见已收到，查询码 ABC。")
    assert gateway.received == [{
        "path": "/send", "key": "secret-key",
        "json": {"to": "13912345678", "text": "您的意见已收到，查询码 ABC。", "sign": "太原人大"},
    }]


def test_http_backend_raises_on_an_error_answer_so_the_task_is_retried(gateway, world, category,
                                                                       django_capture_on_commit_callbacks):
    gateway.status = 503
    with pytest.raises(sms.SMSError, match="503"):
        sms.send_sms("13912345678", "x")
    # The SMS task itself raises (huey retries it); the in-app notices are a separate task, not repeated.
    from lianxin.opinions.tasks import send_citizen_sms

    with time_machine.travel(NOW, tick=False):
        opinion = submit(world, category)
    event = OpinionEvent.objects.get(opinion=opinion, action="submit")
    with pytest.raises(sms.SMSError):
        send_citizen_sms.call_local(event.pk)
    assert len(gateway.received) == 2


def test_http_backend_raises_when_the_gateway_is_unreachable(gateway, settings):
    settings.SMS_GATEWAY_URL = "http://127.0.0.1:9/send"  # discard port: nothing listens
    with pytest.raises(sms.SMSError):
        sms.send_sms("13912345678", "x")
