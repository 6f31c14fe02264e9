"""Signed papers (issue 15): the issued minutes, each expert's signed 会诊表 and the destruction list carry a PDF
signature (PAdES, pyHanko) by the issuing institution's key, made under a CA generated at `init`; `audit
dossier-verify` checks them offline against the CA and names a paper with one flipped byte, an unsigned one, and one
signed under another CA."""

from __future__ import annotations

import os
import stat
import zipfile
from pathlib import Path

import pytest
from conftest import World, run_to

from huizhen import dossier, signing
from huizhen.signing import verify_pdf
from huizhen.yearly_render import DESTRUCTION_COLUMNS, write_destruction_list


def _ca(world: World) -> bytes:
    return (signing.key_dir(world.app.settings) / "ca.pem").read_bytes()


def _paper(zip_path: Path, name: str) -> bytes:
    with zipfile.ZipFile(zip_path) as zf:
        return zf.read(name)


def test_init_makes_a_ca_and_a_key_per_institution_each_0600(world: World) -> None:
    folder = signing.key_dir(world.app.settings)
    for name in ("ca.key", "ca.pem", "sh.key", "sh.pem", "js.key", "js.pem", "zj.key", "zj.pem", "ah.key", "ah.pem"):
        assert stat.S_IMODE(os.stat(folder / name).st_mode) == 0o600, name
    before = (folder / "js.key").read_bytes()
    world.app.init()  # again: nothing is made over the keys that exist
    assert (folder / "js.key").read_bytes() == before


def test_issued_minutes_and_signed_forms_are_signed_by_their_institutions(world: World, tmp_path: Path) -> None:
    number = run_to(world, "archived")
    out = tmp_path / f"{number}.zip"
    dossier.build(world.svc, "auditor", number, out, world.clock.now())
    ca = _ca(world)
    assert dossier.verify(out, ca_pem=ca) == []
    (minutes,) = verify_pdf(_paper(out, "minutes/minutes.pdf"), ca) or []
    assert minutes.ok and minutes.signer == "江苏省缺陷消费品召回技术机构"  # JS leads in 2026 and issues them
    (form,) = verify_pdf(_paper(out, f"forms/{world.experts[0]}.pdf"), ca) or []
    assert form.ok and form.signer == "上海市缺陷消费品召回技术机构"  # SH applied: the form is SH's

    # One flipped byte in a signed paper, alone: dossier-verify names it.
    data = bytearray(_paper(out, "minutes/minutes.pdf"))
    data[len(data) // 3] ^= 0x01
    flipped = tmp_path / "minutes.pdf"
    flipped.write_bytes(bytes(data))
    (finding,) = dossier.verify(flipped, ca_pem=ca)
    assert finding.startswith("minutes.pdf: ") and ("changed after signing" in finding or "damaged" in finding)
    # An untouched one passes alone too.
    good = tmp_path / "good.pdf"
    good.write_bytes(_paper(out, "minutes/minutes.pdf"))
    assert dossier.verify(good, ca_pem=ca) == []


def test_an_unsigned_paper_and_another_ca_are_named(world: World, tmp_path: Path) -> None:
    number = run_to(world, "archived")
    signing.configure(None)  # type: ignore[arg-type]  # a server without keys: its papers go out unsigned
    try:
        dossier.build(world.svc, "auditor", number, tmp_path / "unsigned.zip", world.clock.now())
    finally:
        signing.configure(world.app.settings)
    findings = dossier.verify(tmp_path / "unsigned.zip", ca_pem=_ca(world))
    assert "minutes/minutes.pdf: not signed — an issued paper carries its institution's PDF signature" in findings
    assert f"forms/{world.experts[0]}.pdf: not signed — an issued paper carries its institution's PDF signature" \
        in findings

    other = world.app.settings.audit.model_copy(update={"signing_dir": tmp_path / "other-ca"})
    signing.ensure_keys(world.app.settings.model_copy(update={"audit": other}))
    foreign_ca = (tmp_path / "other-ca" / "ca.pem").read_bytes()
    dossier.build(world.svc, "auditor", number, tmp_path / "signed.zip", world.clock.now())
    assert any("whose certificate was not issued by the CA" in f
               for f in dossier.verify(tmp_path / "signed.zip", ca_pem=foreign_ca))


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_destruction_list_is_signed_by_each_institution_on_it(world: World, tmp_path: Path) -> None:
    rows = []
    for i, applicant in enumerate(("SH", "ZJ", "SH"), start=1):
        row = {c: "" for c in DESTRUCTION_COLUMNS}
        row.update(number=f"YRD-2020-000{i}", product_name="滑板车", product_model="K1", applicant=applicant,
                   lead="JS", status="archived", outcome="no_defect", purged_by="admin", events=9, materials=1)
        rows.append(row)
    files = write_destruction_list("B1", rows, world.app.settings.members, tmp_path)
    checks = verify_pdf(Path(files["pdf"]).read_bytes(), _ca(world)) or []
    assert [c.signer for c in checks] == ["上海市缺陷消费品召回技术机构", "浙江省缺陷消费品召回技术机构"]
    assert all(c.ok for c in checks) and checks[-1].covers_whole
