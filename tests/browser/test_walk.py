"""In a real browser (Debian's headless Chromium through its chromedriver, driven by Selenium): a consultation
walked from draft to archive by the applicant's liaison, the three experts and the lead's liaison — in the demo of
`huizhen serve --demo`, beside its fourteen cases — while a second browser, signed in as the auditor, watches the
dashboard update itself over Server-Sent Events without a reload.
Screenshots of the dashboard, the case page and the expert's form are kept in tests/artifacts/.

Without Chromium these tests are skipped on a developer's machine and fail under CI=true."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from browserkit import PASSWORD, chrome, demo_site

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
pytestmark = pytest.mark.browser


@dataclass
class Server:
    url: str
    app: Any
    lead: str


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    """The demo of `huizhen serve --demo` (fourteen cases, every role; its clock starts 2026-12-30 10:00 Beijing
    time and runs on) served by uvicorn in a thread on a free loopback port, over a fresh SQLite file."""
    from workflow import usecases as uc

    with demo_site(tmp_path / "browser.db", secret="b" * 40, sse_poll=0.25) as (url, hz):
        lead = {"JS": "jiangsu", "SH": "shanghai", "ZJ": "zhejiang", "AH": "anhui"}[
            uc.lead_for(hz.services, hz.services.clock.now())]
        yield Server(url, hz, lead)


def _browser() -> Any:
    return chrome(1440, 1000)


@pytest.fixture
def browsers() -> Iterator[tuple[Any, Any]]:
    a = _browser()
    b = _browser()
    try:
        yield a, b
    finally:
        a.quit()
        b.quit()


class Page:
    """One browser with the few moves the walk needs."""

    def __init__(self, driver: Any, base: str) -> None:
        self.d, self.base = driver, base

    def wait(self, cond: Any, timeout: float = 10) -> Any:
        from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
        from selenium.webdriver.support.ui import WebDriverWait

        ignored = (NoSuchElementException, StaleElementReferenceException)
        return WebDriverWait(self.d, timeout, poll_frequency=0.1, ignored_exceptions=ignored).until(cond)

    def by_id(self, element_id: str) -> Any:
        from selenium.webdriver.common.by import By

        return self.wait(lambda d: d.find_element(By.ID, element_id))

    def css(self, selector: str) -> Any:
        from selenium.webdriver.common.by import By

        return self.d.find_element(By.CSS_SELECTOR, selector)

    def go(self, path: str) -> None:
        self.d.get(self.base + path)

    def login(self, name: str) -> None:
        self.go("/login")
        self.by_id("username").send_keys(name)
        self.by_id("password").send_keys(PASSWORD)
        self.by_id("login-button").click()
        self.wait(lambda d: "/login" not in d.current_url)
        assert self.by_id("who").text == name

    def logout(self) -> None:
        self.by_id("logout").click()
        self.wait(lambda d: d.current_url.endswith("/login"))

    def click(self, element_id: str) -> None:
        from selenium.webdriver.common.by import By

        if element_id.startswith("act-"):  # an irreversible action asks first (a <details> confirmation step)
            self.by_id("actions")  # the case page is there
            asks = self.d.find_elements(By.ID, "ask-" + element_id[4:])
            if asks and asks[0].is_displayed():
                asks[0].click()
        self.by_id(element_id).click()

    def done(self, message: str) -> None:
        """The action went through: the next page says so (and shows no error)."""
        from selenium.common.exceptions import TimeoutException

        try:
            self.wait(lambda d: message in d.find_element("id", "ok").text)
        except TimeoutException:
            errors = self.d.find_elements("id", "error")
            raise AssertionError(f"{message!r} not shown; error: {errors[0].text if errors else '-'}") from None

    def status(self) -> str:
        return str(self.by_id("case-status").text)


def _row_status(page: Page, number: str) -> str:
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException

    try:
        return str(page.css(f'tr[data-case="{number}"] [data-role="status"]').text)
    except (NoSuchElementException, StaleElementReferenceException):
        return ""


def _fill_opinion(page: Page, answers: dict[str, str]) -> None:
    for name, value in answers.items():
        page.css(f'input[name="{name}"][value="{value}"]').click()


EXPERTS = ("wangjg", "limin", "chensy")
DEFECT = {"standard_noncompliance": "yes", "nonstandard_danger": "no", "no_standard_danger": "no",
          "cause_design": "yes", "cause_manufacturing": "no", "cause_warning": "no", "universality": "yes",
          "severity": "3", "likelihood": "5", "similar_recall": "no", "public_opinion_risk": "no"}


def test_a_case_from_draft_to_archive_while_the_dashboard_watches(server: Server, browsers: tuple[Any, Any],
                                                                   tmp_path: Path) -> None:
    started = time.monotonic()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    actor, watcher = Page(browsers[0], server.url), Page(browsers[1], server.url)
    lead = server.lead

    # The auditor opens the dashboard and leaves it open: everything below reaches it live.
    watcher.login("auditor")
    watcher.wait(lambda d: "已连接" in d.find_element("id", "live-status").text)
    watcher.d.execute_script("window.__noReload = 'still the same page';")

    # The Shanghai liaison opens the application (产品及生产信息) and submits it.
    actor.login("shanghai")
    actor.click("new-case")
    for field, value in [("product-name", "儿童电动滑板车"), ("product-model", "KS-200"), ("product-brand", "酷速"),
                         ("product-producer", "某某智能科技有限公司"), ("product-test-basis", "GB/T 40019-2021"),
                         ("product-reports", "SH-2026-JC-0815"), ("product-defect", "折叠机构锁止销在行驶中可能脱出。")]:
        actor.by_id(field).send_keys(value)
    from selenium.webdriver.support.ui import Select

    Select(actor.by_id("product-registered")).select_by_value("SH")
    Select(actor.by_id("product-production")).select_by_value("ZJ")
    actor.css('input[name="sources"][value="spot_check"]').click()
    actor.click("save-case")
    actor.done("草稿已创建")
    number = actor.css("#top").get_attribute("data-case")
    watcher.wait(lambda d: _row_status(watcher, number) == "草稿")  # a new row appears, live
    # Art. 7: the preliminary verification on the draft, before the application.
    actor.by_id("verify-note").send_keys("核实检测报告原件与样品一致。")
    actor.click("act-verify")
    actor.done("初步核实已记录")
    actor.click("act-submit")
    actor.done("申请已提交")
    watcher.wait(lambda d: _row_status(watcher, number) == "初步核实")

    # The panel, the materials, and dispatch (T1 starts).
    for expert in ("E0001", "E0002", "E0003"):  # 王建国, 李敏, 陈思远
        actor.css(f'#panel-form input[name="experts"][value="{expert}"]').click()
    actor.click("act-form_panel")
    actor.done("专家组已组建")
    report = tmp_path / "检测报告.pdf"
    report.write_bytes(b"%PDF-1.4\n1 0 obj <<>> endobj\n%%EOF\n")
    actor.by_id("attach-file").send_keys(str(report))
    actor.click("act-attach")
    actor.done("材料已上传")
    actor.click("act-dispatch")
    actor.done("T1 开始计时")
    assert actor.status() == "专家初步分析"
    watcher.wait(lambda d: _row_status(watcher, number) == "专家初步分析")
    actor.logout()

    # The three experts each send their preliminary analysis from "my panels".
    for expert in EXPERTS:
        actor.login(expert)
        assert actor.d.current_url.endswith("/my/panels")
        actor.css(f'tr[data-case="{number}"] a.button').click()
        actor.by_id("analysis-text").send_keys(f"{expert} 的初步分析：锁止销脱出风险真实存在。")
        actor.click("submit-analysis")
        actor.done("初步分析已提交")
        actor.logout()

    actor.login("shanghai")
    actor.go(f"/cases/{number}")
    actor.click("act-refer")
    actor.done("已移交牵头机构")
    watcher.wait(lambda d: _row_status(watcher, number) == "待会诊")
    actor.logout()

    actor.login(lead)
    actor.go(f"/cases/{number}")
    # Art. 5 / 8(4): the online meeting is scheduled before it is held (datetime-local is set by script: typing
    # into it depends on the browser's locale).
    actor.d.execute_script("document.querySelector('#schedule-form input[name=at]').value = '2026-12-10T14:00';")
    actor.d.find_element("css selector", "#schedule-form input[name=platform]").send_keys("腾讯会议")
    actor.click("act-schedule")
    actor.done("会议已安排")
    actor.click("act-convene")
    actor.done("会诊已召开")
    # At the meeting: an institution's staff by name, and an expert's statement (Art. 8(4)–(5)).
    actor.by_id("attendance-staff1").send_keys("王芳")
    actor.click("act-record_attendance")
    actor.done("参会人员已记录")
    actor.by_id("statement-text").send_keys("锁止销在颠簸路面脱出，存在夹伤风险。")
    actor.click("act-record_statement")
    actor.done("专家发言已记录")
    watcher.wait(lambda d: _row_status(watcher, number) == "会诊中")
    actor.d.save_screenshot(str(ARTIFACTS / "case.png"))
    actor.logout()

    # Each expert fills the 会诊表; the conclusions are previewed by the rules as the boxes are ticked.
    for i, expert in enumerate(EXPERTS):
        actor.login(expert)
        actor.go(f"/cases/{number}/opinion")
        actor.wait(lambda d: d.find_element("id", "preview-defect").text == "待填写")
        _fill_opinion(actor, {k: DEFECT[k] for k in ("standard_noncompliance", "nonstandard_danger",
                                                     "no_standard_danger", "cause_design", "cause_manufacturing",
                                                     "cause_warning", "universality")})
        actor.wait(lambda d: d.find_element("id", "preview-defect").text == "是")
        assert actor.by_id("preview-investigate").text == "待填写"
        _fill_opinion(actor, {"severity": "3", "likelihood": "5", "similar_recall": "no", "public_opinion_risk": "no"})
        actor.wait(lambda d: d.find_element("id", "preview-investigate").text == "是")
        actor.wait(lambda d: d.find_element("id", "preview-attention").text == "否")
        if i == 0:
            actor.d.execute_script("document.getElementById('preview').scrollIntoView({block: 'start'});")
            actor.d.save_screenshot(str(ARTIFACTS / "expert-form.png"))
        actor.click("confirm")
        actor.click("sign-opinion")
        actor.done("会诊表已签署提交")
        actor.logout()

    # The lead decides by majority, issues the minutes to the other institutions, and archives.
    actor.login(lead)
    actor.go(f"/cases/{number}")
    actor.click("act-decide")
    actor.done("会诊意见已形成")
    assert "建议开展缺陷调查" in actor.by_id("decision").text
    watcher.wait(lambda d: _row_status(watcher, number) == "已形成意见")
    actor.click("act-issue_minutes")
    actor.done("会议纪要已印发")
    actor.click("act-archive")
    actor.done("案件已归档")
    assert actor.status() == "已归档"
    assert actor.css('g.node.current').get_attribute("data-state") == "archived"
    watcher.wait(lambda d: _row_status(watcher, number) == "已归档", timeout=15)

    # The watcher never reloaded: the same page, updated over SSE.
    assert watcher.d.execute_script("return window.__noReload;") == "still the same page"
    assert "已更新" in watcher.by_id("live-status").text
    watcher.d.save_screenshot(str(ARTIFACTS / "dashboard.png"))
    actor.d.save_screenshot(str(ARTIFACTS / "case-archived.png"))
    for shot in ("dashboard.png", "case.png", "expert-form.png"):
        assert (ARTIFACTS / shot).stat().st_size > 10_000
    assert time.monotonic() - started < 120, "the browser walk should take under two minutes"


def test_a_refusal_reads_clearly_in_the_browser(server: Server, browsers: tuple[Any, Any]) -> None:
    page = Page(browsers[0], server.url)
    page.go("/dashboard")
    assert "/login?next=" in page.d.current_url  # a stranger is asked to sign in
    page.by_id("username").send_keys("shanghai")
    page.by_id("password").send_keys("not the password")
    page.click("login-button")
    assert "用户名或密码错误" in page.by_id("error").text
    page.login("wangjg")
    page.go("/audit")
    assert "无权执行此操作" in page.by_id("error").text


def test_the_year_in_figures_shows_its_charts(server: Server, browsers: tuple[Any, Any]) -> None:
    """年度统计 in the browser: the figures and every chart image load (drawn with the CJK font)."""
    page = Page(browsers[1], server.url)
    page.login("auditor")
    page.go("/reports?year=2026")
    assert "2026年度会诊工作统计" in page.d.title + page.d.page_source
    page.wait(lambda d: d.execute_script(
        "return [...document.querySelectorAll('img.chart')].every(i => i.complete && i.naturalWidth > 300);"),
        timeout=60)
    charts = page.d.execute_script("return document.querySelectorAll('img.chart').length;")
    assert charts >= 5
    page.d.set_window_size(1440, 2400)
    page.d.save_screenshot(str(ARTIFACTS / "yearly-report.png"))
    assert (ARTIFACTS / "yearly-report.png").stat().st_size > 10_000
