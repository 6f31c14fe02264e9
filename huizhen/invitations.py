"""The .ics invitation to the online meeting (Art. 5, 8(4)): one UID per case, SEQUENCE grows with each change."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from icalendar import Calendar, Event, vCalAddress, vText

from huizhen.labels import beijing_text
from states.beijing import BEIJING

MEETING_LENGTH = timedelta(hours=2)


def build_ics(case_number: str, product_name: str, meeting: dict[str, Any], organizer: str,
              attendees: Sequence[tuple[str, str | None]], now: datetime) -> bytes:
    """`attendees` are (display name, email or None). A cancelled meeting gives METHOD:CANCEL with the same UID."""
    cancelled = bool(meeting.get("cancelled"))
    start = datetime.fromisoformat(meeting["at"]).astimezone(BEIJING)
    cal = Calendar()
    cal.add("prodid", "-//huizhen//长三角缺陷消费品专家会诊//ZH")
    cal.add("version", "2.0")
    cal.add("method", "CANCEL" if cancelled else "REQUEST")
    ev = Event()
    ev.add("uid", meeting["uid"])
    ev.add("sequence", int(meeting["sequence"]))
    ev.add("dtstamp", now.astimezone(UTC))
    ev.add("dtstart", start)
    ev.add("dtend", start + MEETING_LENGTH)
    ev.add("summary", f"长三角缺陷消费品专家会诊：{product_name}（{case_number}）")
    ev.add("location", meeting.get("platform") or "线上")
    if meeting.get("link"):
        ev.add("url", meeting["link"])
    lines = [f"案件：{case_number}", f"会诊时间：{beijing_text(start)}", f"平台：{meeting.get('platform')}"]
    if meeting.get("link"):
        lines.append(f"链接：{meeting['link']}")
    lines.append("专家发言顺序：" + "、".join(meeting.get("speaking_order", [])))
    ev.add("description", "\n".join(lines))
    ev.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    ev["organizer"] = vCalAddress("mailto:huizhen@localhost")
    ev["organizer"].params["cn"] = vText(organizer)
    for name, email in attendees:
        address = vCalAddress(f"mailto:{email}" if email else f"mailto:{name}@huizhen.invalid")
        address.params["cn"] = vText(name)
        address.params["role"] = vText("REQ-PARTICIPANT")
        ev.add("attendee", address, encode=False)
    cal.add_component(ev)
    cal.add_missing_timezones()
    return bytes(cal.to_ical())
