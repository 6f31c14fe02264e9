"""The guide's pictures, taken from the product (issue 18): the demo of `huizhen serve --demo` in headless Chromium,
signed in as each account the screenshot list (docs/guide/images.md) names, each page at its width (1366: a
computer, 390: a phone), written where the guide reads them (docs/guide/images/<name>.png, 8-bit palette so the
repository stays small) with a manifest of this run (its id and each picture's SHA-256).

tests/unit/test_guide.py then checks, without a browser, that every picture the guide embeds is in
the manifest and unchanged since it was taken; this test checks that every one was taken by this very run.

Without Chromium this test is skipped on a developer's machine and fails under CI=true (see test_walk.py)."""

from __future__ import annotations

import io
import json
import os
import uuid
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

import pytest
from test_walk import PASSWORD, Server, _browser, server  # noqa: F401  (the demo server fixture)

from huizhen import guide

pytestmark = pytest.mark.browser
HEIGHT = {1366: 900, 390: 844}  # the first screen of a laptop and of a phone
MAX_HEIGHT = 2000  # a long page is cut here: the guide shows its top part


def _sign_in(driver: Any, base: str, account: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver.delete_all_cookies()
    if not account:
        return
    driver.get(base + "/login")
    driver.find_element(By.ID, "username").send_keys(account)
    driver.find_element(By.ID, "password").send_keys(PASSWORD)
    driver.find_element(By.ID, "login-button").click()
    WebDriverWait(driver, 10).until(lambda d: "/login" not in d.current_url)


def _shoot(driver: Any, base: str, picture: guide.Picture) -> bytes:
    from PIL import Image

    width = picture.width
    metrics = {"width": width, "height": HEIGHT[width], "deviceScaleFactor": 1, "mobile": width < 500}
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
    driver.get(base + picture.url)
    driver.execute_script("return document.fonts.ready")
    height = int(driver.execute_script("return Math.max(document.body.scrollHeight, window.innerHeight)"))
    metrics["height"] = min(max(height, HEIGHT[width]), MAX_HEIGHT)
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
    assert "服务器内部错误" not in driver.page_source, picture.url
    assert driver.find_elements("css selector", "a.help-link"), f"{picture.url}: no 帮助 link"
    raw = driver.get_screenshot_as_png()
    image = Image.open(io.BytesIO(raw)).convert("RGB").quantize(colors=64, dither=Image.Dither.NONE)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def test_the_guide_pictures_are_taken_from_the_demo(server: Server) -> None:  # noqa: F811
    run = os.environ.get("HUIZHEN_RUN_ID") or f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"
    folder = guide.GUIDE_DIR / guide.IMAGES
    folder.mkdir(parents=True, exist_ok=True)
    pictures = guide.picture_list()
    assert pictures, "the screenshot list (docs/guide/images.md) names no picture"
    by_account: dict[str, list[guide.Picture]] = defaultdict(list)
    for p in pictures:
        by_account[p.account].append(p)
    taken: dict[str, Any] = {}
    shots_taken: dict[str, bytes] = {}
    driver = _browser()
    try:
        for account, shots in by_account.items():
            _sign_in(driver, server.url, account)
            for picture in shots:
                png = shots_taken[picture.name] = _shoot(driver, server.url, picture)
                taken[picture.name] = {"sha256": guide.hashlib.sha256(png).hexdigest(), "width": picture.width,
                                       "url": picture.url, "account": account or "-", "bytes": len(png)}
    finally:
        driver.quit()
    # written together at the end, so a check running beside this test (pytest -n 2) meets a torn state briefly
    for name, png in shots_taken.items():
        (folder / name).write_bytes(png)
    manifest = {"run": run, "taken_at": f"{datetime.now(UTC):%Y-%m-%dT%H:%M:%SZ}",
                "images": dict(sorted(taken.items()))}
    (folder / guide.MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n",
                                         encoding="utf-8")
    assert guide.picture_problems(run=run) == []
    total = sum(t["bytes"] for t in taken.values())
    assert total < 4_000_000, f"the pictures take {total} bytes: keep the repository small"


def test_the_help_link_opens_the_step_and_the_guide_fits_a_phone(server: Server) -> None:  # noqa: F811
    """On a phone (390 px): the 帮助 link of a case page in 待会诊 opens the lead's chapter at 安排会议, scrolled
    there, and the chapter does not run off the screen sideways."""
    driver = _browser()
    try:
        _sign_in(driver, server.url, "jiangsu")
        metrics = {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True}
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
        driver.get(server.url + "/cases/YRD-2026-0005")
        driver.find_element("css selector", "details.nav-phone > summary").click()  # the phone's 菜单 first
        driver.find_element("css selector", "details.nav-phone a.help-link").click()
        from selenium.webdriver.support.ui import WebDriverWait

        WebDriverWait(driver, 10).until(lambda d: "/help/" in d.current_url)
        assert driver.current_url.endswith("/help/lead-liaison#step-schedule")
        assert driver.execute_script("return window.scrollY") > 0  # at the step, not the top
        width = driver.execute_script("return document.documentElement.scrollWidth")
        assert width <= 390, f"the help page is {width} px wide on a 390 px phone"
        assert "下载全文（PDF）" in driver.find_element("id", "guide-pdf").text
    finally:
        driver.quit()
