# ruff: noqa: F811  (the fixtures come from websupport and are used as arguments)
"""Issue 14 from the pages alone: the papers and exports behind the links people see, each permission-checked and
each in the read log that auditors see (not in the case's event chain); the auditor's tools (an event's content in
words, the case compared between two instants, the date-time picker)."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
from conftest import run_to
from websupport import BOTH, Site, db_url, site  # noqa: F401  (fixtures)

from workflow import usecases as uc

ROOT = Path(__file__).resolve().parents[2]


def link(html: str, element_id: str) -> str:
    """The href of the link with id ELEMENT_ID on a page (what a person clicks)."""
    found = re.search(rf'<a href="([^"]+)"[^>]*id="{re.escape(element_id)}"', html)
    assert found, f"no link #{element_id} on the page"
    return found.group(1).replace("&amp;", "&")


def reads_of(site: Site) -> list[dict[str, Any]]:
    resp = site.api("auditor").get("/api/v1/audit/reads")
    assert resp.status_code == 200, resp.text
    return list(resp.json())


@pytest.fixture
def archived(site: Site) -> str:
    site.svc.after_commit.clear()  # the minutes are drawn on demand here; the outbox has its own tests
    return run_to(site.world, "archived")


@pytest.mark.parametrize("db_url", BOTH, indirect=True)
def test_done_when_lead_expert_and_auditor_take_their_papers_from_the_pages(site: Site, archived: str,
                                                                            tmp_path: Path, signing_dir: Path) -> None:
    n = archived
    events_before = site.event_count()

    # The lead (JS) downloads the minutes PDF of the archived case from its page.
    page = site.client("js").get(f"/cases/{n}").text
    pdf = site.client("js").get(link(page, "minutes-pdf"))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert pdf.headers["content-disposition"] == f'attachment; filename="{n}-minutes.pdf"'

    # An expert downloads their own signed form, and sees their answers; not a colleague's.
    page = site.client("x1").get(f"/cases/{n}").text
    assert 'id="form-pdf-E0001"' in page and 'id="form-pdf-E0002"' not in page
    form = site.client("x1").get(link(page, "form-pdf-E0001"))
    assert form.status_code == 200 and form.content.startswith(b"%PDF")
    answers = site.client("x1").get(link(page, "form-view-E0001"))
    assert answers.status_code == 200
    assert "4级" in answers.text and "8级" in answers.text and "标准符合性问题" in answers.text
    assert 'id="answer-standard"><b>是</b>　具体描述：' in answers.text
    refused = site.client("x1").get(f"/cases/{n}/papers/form.pdf?expert=E0002")
    assert refused.status_code == 403 and "只能查看本人签署的会诊表" in refused.text
    assert site.client("x1").get(f"/cases/{n}/forms/E0002").status_code == 403

    # The auditor downloads the dossier ZIP; `huizhen audit dossier-verify` finds it intact.
    page = site.client("auditor").get(f"/cases/{n}").text
    dossier = site.client("auditor").get(link(page, "dossier-zip"))
    assert dossier.status_code == 200 and dossier.headers["content-type"] == "application/zip"
    path = tmp_path / f"{n}-dossier.zip"
    path.write_bytes(dossier.content)
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUIZHEN_")}
    env["HUIZHEN_DATABASE_URL"] = "sqlite:////nonexistent/none.db"  # offline: no database
    # Offline, against the institutions' CA the papers were signed under (issue 15: signed papers).
    r = subprocess.run([str(Path(sys.executable).parent / "huizhen"), "audit", "dossier-verify", str(path),
                        "--ca", str(signing_dir / "ca.pem")],
                       capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"dossier of {n} intact" in r.stdout + r.stderr

    # Every download is in the read log the auditor sees; none of it is in the case's event chain.
    assert site.event_count() == events_before
    got = {(r["user_name"], r["what"], r["case_number"], r["item"]) for r in reads_of(site)}
    assert {("js", "minutes", n, "pdf"), ("x1", "form", n, "E0001.pdf"), ("x1", "expert_record", n, "E0001"),
            ("auditor", "dossier", n, "zip")} <= got
    assert not any(r[0] == "x1" and r[3].startswith("E0002") for r in got)  # refused reads are not reads
    log = site.client("auditor").get(f"/audit/reads?case={n}")
    assert log.status_code == 200
    for words in ("会议纪要", "专家会诊表（已签署）", "归档案卷（ZIP）", "js", "x1"):
        assert words in log.text


def test_the_read_log_filters_and_its_csv_is_formula_safe(site: Site) -> None:
    site.svc.after_commit.clear()
    n = run_to(site.world, "preliminary_review")
    uc.attach(site.svc, "sh", n, "=HYPERLINK(1).pdf", b"%PDF-1.4 a material", "test_report")
    sha = next(m["sha256"] for m in uc.show_case(site.svc, "sh", n)["materials"])
    preview = site.client("sh").get(f"/cases/{n}/materials/{sha}/preview")
    assert preview.status_code == 200 and preview.headers["content-type"] == "application/pdf"
    assert preview.headers["content-disposition"] == "inline" and preview.headers["x-frame-options"] == "SAMEORIGIN"
    assert site.client("js").get(f"/cases/{n}/materials/{sha}").status_code == 200

    page = site.client("auditor").get("/audit/reads?user=sh").text
    assert page.count('data-what="material"') == 1 and "=HYPERLINK(1).pdf" in page
    assert 'data-what="material"' not in site.client("auditor").get("/audit/reads?user=nobody").text
    assert site.client("auditor").get("/audit/reads?since=2099-01-01").text.count("<tr data-what") == 0
    today = site.client("auditor").get("/audit/reads?since=2026-09-01&until=2026-12-31").text
    assert today.count('data-what="material"') == 2

    resp = site.client("auditor").get(link(page, "reads-csv"))
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(resp.content.decode("utf-8-sig"))))
    assert rows[0][0] == "时间（北京时间）" and len(rows) == 2
    assert rows[1][1:7] == ["sh", "联络员", "材料", n, "'=HYPERLINK(1).pdf", "网页"]

    refused = site.client("auditor").get("/audit/reads?since=2026-13-01")
    assert refused.status_code == 400 and "不是有效日期" in refused.text
    assert site.client("sh").get("/audit/reads").status_code == 403
    api = site.api("auditor").get(f"/api/v1/audit/reads?case={n}&user=js").json()
    assert [(r["user_name"], r["what"], r["channel"]) for r in api] == [("js", "material", "web")]


def test_the_papers_card_shows_what_each_reader_may_take(site: Site) -> None:
    site.svc.after_commit.clear()
    n = run_to(site.world, "awaiting_experts")
    sh = site.client("sh").get(f"/cases/{n}").text
    assert 'id="blank-form-pdf"' in sh and 'id="minutes-pdf"' not in sh and 'id="dossier-zip"' not in sh
    auditor = site.client("auditor").get(f"/cases/{n}").text
    assert 'id="dossier-zip"' in auditor and 'id="export-csv"' in auditor
    export = site.client("auditor").get(link(auditor, "export-jsonl"))
    assert export.status_code == 200
    first = json.loads(export.text.splitlines()[0])
    assert first["seq"] == 1 and first["type"] == "CaseOpened"
    assert site.client("sh").get(f"/cases/{n}/export.csv").status_code == 403
    assert site.client("sh").get(f"/cases/{n}/papers/form.odt").status_code == 404


def test_report_page_downloads(site: Site) -> None:
    site.svc.after_commit.clear()
    run_to(site.world, "decided")
    admin = site.client("admin").get("/reports?year=2026").text
    assert 'id="statement-csv-SH"' in admin and 'id="statement-xlsx-JS"' in admin
    sh = site.client("sh").get("/reports?year=2026").text
    assert 'id="statement-csv-SH"' in sh and 'id="statement-csv-JS"' not in sh
    xlsx = site.client("sh").get(link(sh, "statement-xlsx-SH"))
    assert xlsx.status_code == 200 and xlsx.content.startswith(b"PK")
    assert site.client("sh").get("/reports/statement.csv?year=2026&institution=JS").status_code == 403
    md = site.client("sh").get(link(sh, "year-md"))
    assert md.status_code == 200 and "2026" in md.text
    bundle = site.client("sh").get(link(sh, "year-zip"))
    names = zipfile.ZipFile(io.BytesIO(bundle.content)).namelist()
    assert "report-2026.md" in names and "report-2026.json" in names and any(x.endswith(".png") for x in names)
    whats = [r["what"] for r in reads_of(site)]
    assert whats.count("fee_statement") == 1 and whats.count("year_report") == 2


def test_auditor_sees_event_contents_in_words_and_compares_two_instants(site: Site) -> None:
    site.svc.after_commit.clear()
    n = run_to(site.world, "awaiting_experts")
    c = site.client("auditor")
    page = c.get(f"/audit/cases/{n}").text
    assert "记录内容" in page and "核实无误" in page and "疑似缺陷描述" in page
    assert 'type="datetime-local" name="at_local"' in page and 'id="diff-from"' in page
    # The picker's value is Beijing time without an offset.
    picked = c.get(f"/audit/cases/{n}?at_local=2026-09-24T10:00:30")
    assert picked.status_code == 200 and 'id="replay-status">草稿<' in picked.text
    diff = c.get(f"/audit/cases/{n}?from=2026-09-24T10:00:30&to=2026-12-01T00:00")
    assert diff.status_code == 200
    assert re.search(r'id="diff-summary">[^<]*状态 草稿 → 专家初步分析', diff.text)
    assert 'data-field="status"' in diff.text and 'data-field="panel"' in diff.text
    reversed_ = c.get(f"/audit/cases/{n}?from=2026-12-01T00:00&to=2026-09-24T10:00")
    assert reversed_.status_code == 400 and "结束时刻须晚于开始时刻" in reversed_.text
    assert c.get(f"/audit/cases/{n}?from=2026-12-01T00:00").status_code == 400
    api = site.api("sh").get(f"/api/v1/cases/{n}/diff?from=2026-09-24T10:00:30%2B08:00&to=2026-12-01T00:00:00%2B08:00")
    body = api.json()
    assert api.status_code == 200 and body["status_before"] == "drafted" and body["status_after"] == "awaiting_experts"
    assert {"field": "status", "before": "drafted", "after": "awaiting_experts"} in body["changes"]


def test_inbox_minutes_link_to_the_attachment(site: Site) -> None:
    """The minutes' notice says 请查收附件: in the inbox it links to the minutes (the outbox writes it as here)."""
    from huizhen.outbox import minutes_key

    site.svc.after_commit.clear()
    n = run_to(site.world, "minutes")
    with site.svc.uow() as uow:
        uow.inbox.deliver(minutes_key(n, "zj", "inbox"), "zj", n, "【会议纪要】", "会议纪要已印发，请查收附件。",
                          site.svc.clock.now())
        uow.inbox.deliver(f"{n}|before|x|zj|inbox", "zj", n, "【督办】", "请及时处理。", site.svc.clock.now())
        uow.commit()
    page = site.client("zj").get("/inbox").text
    assert page.count('class="attachment"') == 1
    href = link(page.replace('class="attachment"', 'id="attachment"'), "attachment")
    assert href == f"/cases/{n}/papers/minutes.pdf"
    assert site.client("zj").get(href).content.startswith(b"%PDF")


def test_the_cli_lists_reads_and_compares_two_instants(site: Site, monkeypatch: pytest.MonkeyPatch,
                                                       tmp_path: Path) -> None:
    """`huizhen audit reads` and `huizhen audit diff`, over the same use cases; the CLI's papers are logged too."""
    from typer.testing import CliRunner

    from huizhen.cli import papers, reads
    from huizhen.cli.main import build_app, main

    site.svc.after_commit.clear()
    n = run_to(site.world, "decided")
    for module in (reads, papers):
        monkeypatch.setattr(module, "get_app", lambda: site.world.app)
    monkeypatch.setenv("HUIZHEN_USER", "js")
    made = CliRunner().invoke(build_app(), ["docs", "minutes", n, "--out", str(tmp_path / "m.docx")])
    assert made.exit_code == 0, made.output
    monkeypatch.setenv("HUIZHEN_USER", "auditor")
    listed = CliRunner().invoke(build_app(), ["audit", "reads", "--case", n, "--json"])
    assert listed.exit_code == 0, listed.output
    rows = json.loads(listed.stdout)
    assert [(r["user_name"], r["what"], r["item"], r["channel"]) for r in rows] == [("js", "minutes", "docx", "cli")]
    diffed = CliRunner().invoke(build_app(), ["audit", "diff", n, "--from", "2026-09-24T10:00:30+08:00",
                                              "--to", "2026-12-01T00:00:00+08:00", "--json"])
    assert diffed.exit_code == 0, diffed.output
    body = json.loads(diffed.stdout)
    assert body["status_before"] == "drafted" and body["status_after"] == "decided"
    assert "tally.forms" in {c["field"] for c in body["changes"]}
    monkeypatch.setenv("HUIZHEN_USER", "sh")
    with pytest.raises(SystemExit) as refused:  # the read log is the auditors' (and admins')
        main(["audit", "reads"])
    assert refused.value.code == 3
