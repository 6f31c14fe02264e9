# ruff: noqa: F811  (the fixtures come from websupport and are used as arguments)
"""Issue 12 on the case page and the API (Art. 8(4)–(7), 9): the lead records attendance and statements with the
page's forms, words the minutes, previews the PDF in the browser, issues them, and corrects them with a new
numbered issue; refusals name the field in Chinese and write nothing; the custodians are on the page."""

from __future__ import annotations

import subprocess

from conftest import opinion, run_to
from websupport import Site, db_url, error_text, site  # noqa: F401  (fixtures)

from workflow import usecases as uc


def pdf_words(data: bytes) -> str:
    done = subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True)
    return "".join(done.stdout.decode("utf-8").split())


def test_the_lead_records_the_meeting_and_words_the_minutes_on_the_page(site: Site) -> None:
    site.svc.after_commit.clear()
    n = run_to(site.world, "convened")
    ex = site.world.experts
    site.world.clock.advance(minutes=10)
    page = site.client("js").get(f"/cases/{n}").text
    assert 'id="attendance-form"' in page and 'id="statement-form"' in page

    before = site.event_count()
    resp = site.post("js", f"/cases/{n}/attendance", {"institution": "SH", "staff1": "王芳", "staff2": "李强",
                                                      "staff3": "赵六"})
    assert resp.status_code == 400 and "参会人员姓名" in error_text(resp.text) and "最多 2 名" in error_text(resp.text)
    resp = site.post("js", f"/cases/{n}/attendance", {"institution": "AH"})
    assert resp.status_code == 400 and "参会人员姓名" in error_text(resp.text)
    assert site.event_count() == before

    for data in ({"institution": "SH", "staff1": "王芳", "staff2": "李强"}, {"institution": "ZJ", "absent": "yes"},
                 {"institution": "JS", "staff1": "周明"}):
        assert site.post("js", f"/cases/{n}/attendance", data).status_code == 303
    assert site.post("js", f"/cases/{n}/statement", {"expert": ex[1], "text": "先发言的意见"}).status_code == 303
    assert site.post("js", f"/cases/{n}/statement", {"expert": ex[0], "text": "后发言的意见"}).status_code == 303
    page = site.client("sh").get(f"/cases/{n}").text
    assert "王芳、李强" in page and "未派员参会" in page and "未登记" in page  # AH not recorded yet
    assert page.index("先发言的意见") < page.index("后发言的意见")

    for i, e in enumerate(ex[:3], start=1):
        site.world.clock.advance(minutes=1)
        uc.record_opinion(site.svc, f"x{i}", n, e, opinion())
    uc.decide(site.svc, "js", n)
    page = site.client("js").get(f"/cases/{n}").text
    assert 'id="minutes-draft-form"' in page and f"/cases/{n}/minutes/preview.pdf" in page
    assert site.post("js", f"/cases/{n}/minutes/draft", {"summary": "页面上修改的讨论情况"}).status_code == 303
    resp = site.client("js").get(f"/cases/{n}/minutes/preview.pdf")
    assert resp.status_code == 200 and resp.headers["content-type"] == "application/pdf"
    assert resp.headers["content-disposition"].startswith("inline")
    words = pdf_words(resp.content)
    assert "页面上修改的讨论情况" in words and "先发言的意见" in words and "草稿" in words
    assert "王芳、李强" in words and "（未派员参会）" in words

    site.world.clock.advance(hours=1)
    assert site.post("js", f"/cases/{n}/act/issue_minutes").status_code == 303
    page = site.client("js").get(f"/cases/{n}").text
    assert 'id="minutes-draft-form"' not in page and 'id="minutes-correct-form"' in page
    assert 'id="custodians"' in page and "上海市" in page.split('id="custodians"')[1][:400]
    resp = site.post("js", f"/cases/{n}/minutes/correct", {"follow_up": "更正后的后续工作"})
    assert resp.status_code == 409 and "理由" in error_text(resp.text)
    assert site.post("js", f"/cases/{n}/minutes/correct", {"follow_up": "更正后的后续工作", "reason": "笔误"}
                     ).status_code == 303
    page = site.client("zj").get(f"/cases/{n}").text
    assert "更正纪要第2号（更正第1号）" in page
    words = pdf_words(site.client("zj").get(f"/cases/{n}/minutes/preview.pdf").content)
    assert "第2号" in words and "更正第1号" in words and "更正后的后续工作" in words


def test_the_api_refuses_a_third_staff_member_naming_the_field(site: Site) -> None:
    site.svc.after_commit.clear()
    n = run_to(site.world, "convened")
    before = site.event_count()
    resp = site.api("js").post(f"/api/v1/cases/{n}/attendance", json={"institution": "SH",
                                                                    "staff": ["王芳", "李强", "赵六"]})
    assert resp.status_code == 400 and resp.json()["error"]["field"] == "staff"
    resp = site.api("js").post(f"/api/v1/cases/{n}/statements", json={"expert": "E0001", "text": " "})
    assert resp.status_code == 400 and resp.json()["error"]["field"] == "text"
    assert site.event_count() == before
    resp = site.api("js").post(f"/api/v1/cases/{n}/statements", json={"expert": "E0001", "text": "发言", "order": 2})
    assert resp.status_code == 200 and resp.json()["statements"][0]["order"] == 2
