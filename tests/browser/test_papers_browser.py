"""Issue 14 in a real browser (the demo, headless Chromium): the lead takes the minutes PDF of an archived case from
its page, a material is previewed in the page only when opened, and the auditor sees both in 阅读记录 — at phone
width without horizontal scrolling."""

from __future__ import annotations

from typing import Any

import pytest
from test_walk import Page, Server, browsers, server  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser
LOGIN = {"JS": "jiangsu", "SH": "shanghai", "ZJ": "zhejiang", "AH": "anhui"}

FETCH = """
const done = arguments[arguments.length - 1];
fetch(arguments[0], {credentials: 'same-origin'}).then(async r => {
  const head = new Uint8Array(await r.arrayBuffer()).slice(0, 4);
  done([r.status, r.headers.get('content-type'), String.fromCharCode(...head)]);
}).catch(e => done([0, String(e), '']));
"""


def test_minutes_and_a_preview_from_the_pages_land_in_the_read_log(server: Server,  # noqa: F811
                                                                   browsers: tuple[Any, Any]) -> None:  # noqa: F811
    from workflow import usecases as uc

    svc = server.app.services
    case = next(c for c in uc.list_cases(svc, "admin", "archived") if c["materials"])
    number, lead = case["number"], LOGIN[case["lead"]]

    page = Page(browsers[0], server.url)
    page.login(lead)
    page.go(f"/cases/{number}")
    href = page.by_id("minutes-pdf").get_attribute("href")
    status, ctype, head = page.d.execute_async_script(FETCH, href)
    assert (status, ctype, head) == (200, "application/pdf", "%PDF")

    # The preview's frame is empty until it is opened: looking at the case page reads no material.
    frame = page.css("details.preview iframe")
    assert not frame.get_attribute("src")
    page.css("details.preview summary").click()
    page.wait(lambda d: frame.get_attribute("src"))
    page.d.switch_to.frame(frame)  # shown inline by the browser's PDF viewer, not offered as a download
    page.wait(lambda d: d.execute_script("return document.contentType;") == "application/pdf")
    page.d.switch_to.default_content()

    auditor = Page(browsers[1], server.url)
    auditor.login("auditor")
    auditor.d.set_window_size(390, 844)
    auditor.go("/audit")
    auditor.by_id("reads-link").click()
    auditor.wait(lambda d: "/audit/reads" in d.current_url)
    auditor.by_id("reads-user").send_keys(lead)
    auditor.css("#reads-filters button[type=submit]").click()
    rows = auditor.wait(lambda d: d.find_elements("css selector", "#reads tr[data-what]") or None)
    whats = {r.get_attribute("data-what") for r in rows}
    assert {"minutes", "material"} <= whats, whats
    wide = auditor.d.execute_script("return document.documentElement.scrollWidth > window.innerWidth + 1;")
    assert not wide, "阅读记录 scrolls sideways at 390 px"
