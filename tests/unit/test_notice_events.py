"""`huizhen.notify` skips its read (a transaction after every command) when no event is in NOTICE_EVENTS: the set
must name every event type `notices()` looks at, or a notice would silently stop (issue 17)."""

from __future__ import annotations

import inspect
import re

from workflow import notices


def test_notice_events_names_every_event_type_notices_looks_at() -> None:
    looked_at = set(re.findall(r'ev\.type == "(\w+)"', inspect.getsource(notices.notices)))
    assert looked_at == notices.NOTICE_EVENTS
