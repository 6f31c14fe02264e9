"""The archive dossier (Art. 9): one ZIP an auditor can check offline, years later, with no database.

Inside: the case as stored (case.json), its event history (history.jsonl, hash-chained), every signed form and the
minutes (DOCX and PDF; each earlier numbered issue a correction replaced beside them), every material, and
manifest.json listing each file's SHA-256 (also as manifest.sha256, for `sha256sum -c`) and, by Art. 9, who keeps
which paper (`custodians`: the forms the applicant institution, the minutes the lead institution). Files are stored uncompressed, so a changed byte shows as a changed file.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
import zipfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from huizhen.papers import atomic_write
from states.errors import InvalidInput
from storage.chain import GENESIS, Keyring, canonical_json, event_hash
from workflow import usecases as uc
from workflow.documents import form_context, minutes_context
from workflow.usecases import Services

FORMAT = "huizhen-dossier/1"


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _render(fn: Callable[[dict[str, Any], Path], Path], ctx: dict[str, Any], suffix: str) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        return fn(ctx, Path(tmp) / f"paper{suffix}").read_bytes()


def _custodians(svc: Services, case: dict[str, Any], paths: list[str]) -> dict[str, Any]:
    names = svc.policy.members

    def who(code: str | None, folder: str) -> dict[str, Any]:
        return {"institution": code, "name": names.get(code or "", code or ""),
                "files": [p for p in paths if p.startswith(folder)]}

    return {"forms": who(case["applicant"], "forms/"), "minutes": who(case.get("lead"), "minutes/")}


def build(svc: Services, actor: str | None, number: str, out: Path, now: datetime) -> dict[str, Any]:
    from huizhen.papers import render_form, render_minutes

    case = uc.show_case(svc, actor, number)
    events = uc.export_events(svc, actor, number)
    files: dict[str, bytes] = {
        "case.json": json.dumps(case, ensure_ascii=False, indent=2, sort_keys=True).encode("utf-8"),
        "history.jsonl": "".join(json.dumps(e, ensure_ascii=False, sort_keys=True) + "\n" for e in events).encode(),
    }
    for expert in case["opinions"]:
        ctx = form_context(svc, actor, number, expert)
        for suffix in (".docx", ".pdf"):
            files[f"forms/{expert}{suffix}"] = _render(render_form, ctx, suffix)
    if case.get("minutes"):
        ctx = minutes_context(svc, actor, number)
        for suffix in (".docx", ".pdf"):
            files[f"minutes/minutes{suffix}"] = _render(render_minutes, ctx, suffix)
        # Issued minutes never change: each earlier numbered issue a correction replaced is kept beside them.
        for issue in range(1, len(case.get("minutes_corrections") or []) + 1):
            ctx = minutes_context(svc, actor, number, issue)
            for suffix in (".docx", ".pdf"):
                files[f"minutes/minutes-issue-{issue}{suffix}"] = _render(render_minutes, ctx, suffix)
    for m in case["materials"]:
        _, data = uc.material(svc, actor, number, m["sha256"])
        files[f"materials/{m['sha256'][:12]}-{m['filename']}"] = data
    manifest = {
        "format": FORMAT,
        "case": number,
        "status": case["status"],
        "built_at": now.isoformat(),
        "events": len(events),
        "last_event_hash": events[-1]["hash"] if events else None,
        "files": [{"path": p, "sha256": _sha(d), "size": len(d)} for p, d in sorted(files.items())],
        # Art. 9: the applicant institution keeps the forms, the lead institution keeps the minutes.
        "custodians": _custodians(svc, case, sorted(files)),
    }
    def write(part: Path) -> None:
        with zipfile.ZipFile(part, "w", compression=zipfile.ZIP_STORED) as zf:
            for path, data in sorted(files.items()):
                zf.writestr(path, data)
            zf.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2))
            zf.writestr("manifest.sha256", "".join(f"{f['sha256']}  {f['path']}\n" for f in manifest["files"]))
            zf.writestr("README.txt", README)

    atomic_write(out, write)  # never leave a half-written dossier under the final name
    return manifest


README = """This is a huizhen archive dossier (长三角缺陷消费品专家会诊 归档材料).
Check it offline:  huizhen audit dossier-verify THIS.zip   (needs no database)
or:  unzip into a folder and run  sha256sum -c manifest.sha256
history.jsonl holds the case's events; each line's `hash` is SHA-256 over its fields and the previous hash.
Each signed form (forms/*.pdf) and the issued minutes carry a PDF signature (PAdES) by the issuing institution's
key; any PDF reader shows it, and dossier-verify checks it against the CA (--ca CA.pem).
"""


def paper_findings(name: str, data: bytes, ca_pem: bytes | None) -> list[str]:
    """An issued paper's PDF signatures, checked offline: unsigned, changed after signing, or signed by a
    certificate the CA did not issue (when CA_PEM is given) are each named."""
    from huizhen.signing import verify_pdf

    checks = verify_pdf(data, ca_pem)
    if checks is None:
        return [f"{name}: not a readable PDF (damaged)"]
    if not checks:
        return [f"{name}: not signed — an issued paper carries its institution's PDF signature"]
    found = []
    for c in checks:
        if not (c.intact and c.valid):
            found.append(f"{name}: the signature of {c.signer or c.field} does not match the paper (changed after "
                         "signing)")
        elif ca_pem is not None and not c.trusted:
            found.append(f"{name}: signed by {c.signer or c.field}, whose certificate was not issued by the CA")
    if not found and not checks[-1].covers_whole:
        found.append(f"{name}: changed after its last signature")
    return found


def signed_papers(names: set[str]) -> list[str]:
    """The dossier's papers that must carry a signature: each expert's signed form and the minutes (PDF)."""
    return sorted(n for n in names if n.endswith(".pdf") and n.startswith(("forms/", "minutes/")))


def verify(path: Path, keyring: Keyring | None = None, ca_pem: bytes | None = None) -> list[str]:
    """Every problem found, one line each, naming the file; [] when the dossier (or a single signed PDF paper) is
    intact."""
    if path.suffix.lower() == ".pdf":
        try:
            return paper_findings(path.name, path.read_bytes(), ca_pem)
        except FileNotFoundError:
            raise InvalidInput(f"FILE: {path} not found") from None
    try:
        zf = zipfile.ZipFile(path)
    except FileNotFoundError:
        raise InvalidInput(f"FILE: {path} not found") from None
    except zipfile.BadZipFile:
        return [f"{path.name}: not a readable ZIP archive"]
    findings: list[str] = []
    with zf:
        names = set(zf.namelist())
        try:
            manifest = json.loads(zf.read("manifest.json"))
        except Exception as exc:  # a damaged manifest is itself a finding
            return [f"manifest.json: unreadable ({type(exc).__name__})"]
        if manifest.get("format") != FORMAT:
            findings.append(f"manifest.json: unknown format {manifest.get('format')!r}")
        listed = {f["path"]: f for f in manifest.get("files", [])}
        for p, entry in sorted(listed.items()):
            if p not in names:
                findings.append(f"{p}: missing")
                continue
            try:
                data = zf.read(p)
            except Exception:  # a CRC error names the file like any other change
                findings.append(f"{p}: damaged (does not read back as stored)")
                continue
            if _sha(data) != entry["sha256"]:
                findings.append(f"{p}: SHA-256 differs from the manifest")
        for extra in sorted(names - set(listed) - {"manifest.json", "manifest.sha256", "README.txt"}):
            findings.append(f"{extra}: not in the manifest")
        if "history.jsonl" in names and not any(f.startswith("history.jsonl") for f in findings):
            findings += _chain(zf.read("history.jsonl"), manifest, keyring)
        for p in signed_papers(names & set(listed)):
            try:
                findings += paper_findings(p, zf.read(p), ca_pem)
            except Exception:  # already named above as damaged
                continue
    return findings


def _chain(raw: bytes, manifest: dict[str, Any], keyring: Keyring | None) -> list[str]:
    """The history's chain: every link, and every hash that can be recomputed here (the older kind always; a keyed
    one where the audit key is at hand, e.g. on the institutions' own server)."""
    prev, found = GENESIS, []
    events = [json.loads(line) for line in raw.decode("utf-8").splitlines() if line.strip()]
    for e in events:
        key = None
        if e.get("key_id"):
            key = keyring.secret(e["key_id"]) if keyring else None
            if key is None:  # no key here: only the links are checked
                if e["prev_hash"] != prev:
                    found.append(f"history.jsonl: event {e['seq']} breaks the hash chain")
                prev = e["hash"]
                continue
        expected = event_hash(
            case_number=e["case"], seq=e["seq"], type_=e["type"], schema_version=e["schema_version"], actor=e["actor"],
            occurred_at=datetime.fromisoformat(e["occurred_at"]), recorded_at=datetime.fromisoformat(e["recorded_at"]),
            payload=canonical_json(e["payload"]), prev_hash=e["prev_hash"], key=key)
        if e["prev_hash"] != prev or expected != e["hash"]:
            found.append(f"history.jsonl: event {e['seq']} breaks the hash chain")
        prev = e["hash"]
    if events and manifest.get("last_event_hash") != prev:
        found.append("history.jsonl: the last event's hash is not the one the manifest recorded")
    return found


def read_manifest(path: Path) -> dict[str, Any]:
    with zipfile.ZipFile(path) as zf:
        return dict(json.loads(zf.read("manifest.json")))


