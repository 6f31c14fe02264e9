"""`huizhen case list` finds (issue 14 item 3): --q with a Chinese substring, --page/--limit, --export to CSV, a
bad option refused in one line; `case new` warns of earlier similar cases on stderr."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from test_cli import EXAMPLES, Hz, case_file, refused

pytestmark = pytest.mark.e2e


def test_case_list_searches_pages_and_exports(tmp_path: Path) -> None:
    hz = Hz(f"sqlite:///{tmp_path / 'hz.db'}")
    hz.ok("init", "--admin", "admin")
    hz.ok("users", "add", "zj", "--role", "liaison", "--institution", "ZJ", user="admin")
    now = "2026-09-24T10:00:00+08:00"
    first = hz.last("case", "new", str(EXAMPLES / "case.yaml"), user="zj", now=now)
    other = case_file(tmp_path, "other.yaml", lambda d: d["product"].update(producer="浙江某某电器有限公司",
                                                                             report_numbers=["Z-1"]))
    r = hz.ok("case", "new", str(other), user="zj", now=now)
    second = r.stdout.strip().splitlines()[-1]
    assert first in r.stderr and "注意" in r.stderr and "型号相同" in r.stderr  # a warning, and it was opened
    assert [c["number"] for c in hz.json("case", "list", "--q", "某电器", user="zj")] == [second]
    assert [c["number"] for c in hz.json("case", "list", "--sort", "number", "--limit", "1", "--page", "2",
                                         user="zj")] == [second]
    out = tmp_path / "list.csv"
    r = hz.ok("case", "list", "--q", "某某", "--export", str(out), user="zj")
    rows = list(csv.reader(io.StringIO(out.read_bytes().decode("utf-8-sig"))))
    assert rows[0][0] == "案件编号" and sorted(r[0] for r in rows[1:]) == sorted([first, second])
    refused(hz("case", "list", "--sort", "size", user="zj"), 2, "sort")
    refused(hz("case", "list", "--export", str(tmp_path / "x.pdf"), user="zj"), 2, "export")
    assert json.loads(hz.ok("case", "list", "--json", user="admin").stdout)  # an admin sees the drafts too
