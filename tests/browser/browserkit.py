"""What every browser test needs, once: Debian's Chromium and its chromedriver (found, or the test is skipped on a
developer's machine and fails under CI=true), the demo of `huizhen serve --demo` served by uvicorn in a thread on a
free loopback port over a fresh SQLite file, and a headless Chrome driven by Selenium."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "config.yaml"
PASSWORD = "huizhen-demo"  # the demo logins' password


def _find(env: str, path: str, name: str) -> str | None:
    """HUIZHEN_TEST_CHROMIUM / HUIZHEN_TEST_CHROMEDRIVER, else Debian's paths, else PATH."""
    chosen = os.environ.get(env)
    if chosen:
        return chosen if Path(chosen).exists() else None
    return path if Path(path).exists() else shutil.which(name)


CHROMIUM = _find("HUIZHEN_TEST_CHROMIUM", "/usr/bin/chromium", "chromium")
CHROMEDRIVER = _find("HUIZHEN_TEST_CHROMEDRIVER", "/usr/bin/chromedriver", "chromedriver")


def require_chromium() -> None:
    if CHROMIUM and CHROMEDRIVER:
        return
    message = "headless Chromium is not installed (apt-get install chromium chromium-driver; ./dev test does it)"
    if os.environ.get("CI"):
        pytest.fail(message + " — CI=true: the browser tests must run, not skip")
    pytest.skip(message)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def demo_site(db: Path, secret: str, sse_poll: float) -> Iterator[tuple[str, Any]]:
    """The demo (its fourteen cases, every role; its clock starts 2026-12-30 10:00 Beijing time and runs on), served
    on a free loopback port: yields (base URL, the bootstrapped app)."""
    require_chromium()
    import uvicorn

    from huizhen.bootstrap import bootstrap
    from huizhen.web import create_app
    from huizhen.web.auth import make_hasher
    from huizhen.web.demo_seed import DemoClock, demo_banner, seed
    from storage.web_repo import WebStore

    hz = bootstrap(CONFIG, database_url=f"sqlite:///{db}", clock=DemoClock())
    hz.init()
    store, hashed = WebStore(hz.engine), make_hasher(fast=True).hash(PASSWORD)
    seed(hz, lambda name, _: store.set_password_hash(name, hashed))
    web = create_app(hz, secret=secret, sse_poll=sse_poll, demo_note=demo_banner())
    port = free_port()
    srv = uvicorn.Server(uvicorn.Config(web, host="127.0.0.1", port=port, log_level="warning", lifespan="off",
                                        timeout_graceful_shutdown=1))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    for _ in range(200):
        if srv.started:
            break
        time.sleep(0.05)
    assert srv.started, "the web server did not start"
    try:
        yield f"http://127.0.0.1:{port}", hz
    finally:
        srv.should_exit = True
        thread.join(timeout=10)
        hz.engine.dispose()


def chrome(width: int = 1366, height: int = 900) -> Any:
    """A headless Chromium (Debian's, through its chromedriver; nothing is downloaded)."""
    require_chromium()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                f"--window-size={width},{height}", "--lang=zh-CN", "--disable-extensions", "--no-first-run"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.implicitly_wait(0)
    return driver
