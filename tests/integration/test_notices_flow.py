"""Issue 12 over the real loopback SMTP server and the inbox: the experts are told when put on the panel and when
the materials go out (T1's due date written for people), the lead's liaison when the case is referred, and the
meeting's invitation mail and .ics text say Beijing time."""

from __future__ import annotations

from datetime import datetime
from email.header import decode_header, make_header
from typing import Any

from support import World, run_to
from test_papers_flow import attachment, mailing, smtp, vevent  # noqa: F401  (smtp is a fixture)

from workflow import usecases as uc


def subject(msg: Any) -> str:
    return str(make_header(decode_header(str(msg["Subject"]))))


def body(msg: Any) -> str:
    for part in msg.walk():
        if part.get_content_type() == "text/plain" and not part.get_filename():
            text = part.get_payload(decode=True)
            assert isinstance(text, bytes)
            return text.decode("utf-8")
    raise AssertionError("no text body")


def test_the_person_who_must_act_is_told_by_mail_and_inbox_once(world: World, smtp: Any) -> None:  # noqa: F811
    controller, mails = smtp
    app = mailing(world, controller.port)
    number = run_to(world, "awaiting_experts")
    x1 = [body(m) for m in mails.to("x1@example.org")]
    assert any("会诊专家组" in b and "接受邀请" in b for b in x1)
    (dispatched,) = [m for m in mails.to("x1@example.org") if "会诊材料" in subject(m)]
    assert "（当日24:00截止）" in body(dispatched) and "+00:00" not in body(dispatched)
    with world.svc.uow(readonly=True) as uow:
        inbox = uow.inbox.of("x1")
    assert [m["subject"][:6] for m in inbox] == ["【会诊邀请】", "【会诊材料】"]
    # Offered again (a retry, a catch-up): nothing doubles.
    with world.svc.uow(readonly=True) as uow:
        events = [s.event for s in uow.cases.events(number)]
    app.outbox(number, events, world.svc)
    with world.svc.uow(readonly=True) as uow:
        assert len(uow.inbox.of("x1")) == 2
    assert len(mails.to("x1@example.org")) == len(x1)


def test_referral_reaches_the_lead_and_invitations_say_beijing_time(world: World, smtp: Any) -> None:  # noqa: F811
    controller, mails = smtp
    mailing(world, controller.port)
    number = run_to(world, "convening")
    assert any("移交贵单位牵头组织线上会诊" in body(m) for m in mails.to("js@example.org"))
    with world.svc.uow(readonly=True) as uow:
        assert [m["subject"][:6] for m in uow.inbox.of("js")] == ["【会诊移交】"]
    world.clock.set("2026-10-09T15:00:00+08:00")
    uc.schedule_meeting(world.svc, "js", number, datetime.fromisoformat("2026-10-14T06:00:00+00:00"), "腾讯会议",
                        "https://meeting.example.org/123", attendees=["js", "sh"], order=world.experts[:3])
    invite = [m for m in mails.to("x1@example.org") if "线上专家会诊" in subject(m)][-1]  # run_to scheduled one too
    assert "会诊时间：2026-10-14 14:00（北京时间）" in body(invite)
    _, ev = vevent(attachment(invite, "text/calendar"))
    assert "2026-10-14 14:00（北京时间）" in str(ev["description"])
    assert "T06:00" not in body(invite)


def test_mail_off_keeps_the_inbox_and_every_mail_asks(world: World, smtp: Any) -> None:  # noqa: F811
    from workflow import timekeeping

    controller, mails = smtp
    mailing(world, controller.port)
    assert timekeeping.set_email_notices(world.svc, "x2", "x2", False)["email"] is False
    assert timekeeping.notification_prefs(world.svc, "admin", "x2") == {
        "name": "x2", "email": False, "inbox": True, "address": "x2@example.org"}
    number = run_to(world, "convening")
    assert mails.to("x2@example.org") == [] and mails.to("x1@example.org")
    with world.svc.uow(readonly=True) as uow:
        # the panel, the materials, and the meeting run_to scheduled (convening needs one, Art. 8(4))
        assert [m["subject"][:6] for m in uow.inbox.of("x2")] == ["【会诊邀请】", "【会诊材料】", "【会诊邀请】"]
    world.clock.set("2026-10-09T15:00:00+08:00")
    uc.schedule_meeting(world.svc, "js", number, datetime.fromisoformat("2026-10-14T06:00:00+00:00"), "腾讯会议",
                        attendees=["js"], order=world.experts[:3])
    assert mails.to("x2@example.org") == []  # the invitation too
    import pytest

    from workflow.errors import NotPermitted

    with pytest.raises(NotPermitted):
        timekeeping.set_email_notices(world.svc, "x1", "x2", True)  # only the person, or an admin
