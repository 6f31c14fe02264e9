"""Checkpoints (issue 15): a signed statement of every chain's head at an instant, kept outside the database (a
folder, the institutions' inboxes), so a rollback, truncation, deletion or rewrite by whoever holds the database is
named later by `huizhen audit verify --checkpoint FILE`. Signed with Ed25519 (huizhen.keys); anyone holding the
public key (`huizhen audit public-key`) can check the signature offline."""

from __future__ import annotations

import base64
import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature

from huizhen import labels
from huizhen.keys import public_pem, signing_key
from storage.chain import canonical_json
from workflow import usecases as uc

FORMAT = "huizhen-checkpoint/1"


def make(app: Any, actor: str | None, now: datetime, *, by_system: bool = False) -> dict[str, Any]:
    """A signed checkpoint for ACTOR (auditors and admins), or for the scheduler's daily issue (BY_SYSTEM)."""
    heads = uc.system_chain_heads(app.services) if by_system else uc.chain_heads(app.services, actor)
    statement = {"format": FORMAT, "issued_at": now.isoformat(), **heads}
    key = signing_key(app.settings)
    signature = key.sign(canonical_json(statement).encode("utf-8"))
    return {"statement": statement, "signature": base64.b64encode(signature).decode("ascii"),
            "public_key": public_pem(key)}


def dumps(checkpoint: dict[str, Any]) -> str:
    return json.dumps(checkpoint, ensure_ascii=False, indent=1, sort_keys=True) + "\n"


def signature_ok(app: Any, checkpoint: dict[str, Any]) -> bool:
    """Checked with this server's own key, never with the key the file carries (anyone can sign a forgery)."""
    pub = signing_key(app.settings).public_key()
    try:
        pub.verify(base64.b64decode(checkpoint["signature"]),
                   canonical_json(checkpoint["statement"]).encode("utf-8"))
    except (InvalidSignature, KeyError, TypeError, ValueError):
        return False
    return True


def verify_files(app: Any, actor: str | None, files: list[Path]) -> list[str]:
    findings: list[str] = []
    for path in files:
        label = f"checkpoint {path.name}"
        try:
            checkpoint = json.loads(path.read_text(encoding="utf-8"))
            statement = checkpoint["statement"]
            if statement.get("format") != FORMAT:
                raise ValueError(statement.get("format"))
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            findings.append(f"{label}: not a readable huizhen checkpoint")
            continue
        if not signature_ok(app, checkpoint):
            findings.append(f"{label}: the signature does not verify with this server's checkpoint key")
            continue
        label = f"the checkpoint of {statement['issued_at']}"
        findings.extend(uc.checkpoint_findings(app.services, actor, statement, label))
    return findings


def keep(app: Any, checkpoint: dict[str, Any]) -> str:
    """Keep a signed checkpoint in the configured folder (outside the database); its file name."""
    issued = datetime.fromisoformat(checkpoint["statement"]["issued_at"])
    folder = app.settings.resolve(app.settings.audit.checkpoint_dir)
    folder.mkdir(parents=True, exist_ok=True)
    name = f"checkpoint-{issued.strftime('%Y%m%dT%H%M%S%f')}.json"
    (folder / name).write_text(dumps(checkpoint), encoding="utf-8")
    return name


def write(app: Any, actor: str | None, now: datetime, out: Path | None) -> Path:
    """Sign a checkpoint and keep it in the configured folder (outside the database), and at OUT if given."""
    checkpoint = make(app, actor, now)
    text = dumps(checkpoint)
    kept: Path = app.settings.resolve(app.settings.audit.checkpoint_dir) / keep(app, checkpoint)
    if out is not None:
        out.write_text(text, encoding="utf-8")
        return out
    return kept


# --- for the pages and the API: kept checkpoints, and a verify whose findings any shell can word ---------------

KEPT_NAME = re.compile(r"checkpoint-\d{8}T\d{12}\.json")


def kept(app: Any) -> list[dict[str, Any]]:
    """The checkpoints kept in the folder, newest first: name, issued_at, size."""
    folder = app.settings.resolve(app.settings.audit.checkpoint_dir)
    rows = []
    for path in sorted(folder.glob("checkpoint-*.json"), reverse=True) if folder.is_dir() else []:
        if not KEPT_NAME.fullmatch(path.name):
            continue
        try:
            issued = json.loads(path.read_text(encoding="utf-8"))["statement"]["issued_at"]
        except (OSError, ValueError, KeyError, TypeError):
            issued = None
        rows.append({"name": path.name, "issued_at": issued, "size": path.stat().st_size})
    return rows


def read_kept(app: Any, name: str) -> bytes | None:
    """A kept checkpoint's bytes by its file name (only names the folder's own pattern allows: no path in it)."""
    if not KEPT_NAME.fullmatch(name):
        return None
    path = app.settings.resolve(app.settings.audit.checkpoint_dir) / name
    return path.read_bytes() if path.is_file() else None


def issue(app: Any, actor: str | None, now: datetime) -> tuple[str, bytes]:
    """Sign a checkpoint now and keep it; its kept name and bytes (for a download)."""
    path = write(app, actor, now, None)
    return path.name, path.read_bytes()


def gaps_of(app: Any, actor: str | None, data: bytes) -> list[dict[str, Any]]:
    """Verify an uploaded checkpoint file: [] when the database extends it, else one gap per finding."""
    uc.chain_heads(app.services, actor)  # auditors and admins only, before the file is even read
    try:
        checkpoint = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return [{"kind": "unreadable"}]
    return gaps_of_checkpoint(app, actor, checkpoint)


def gaps_of_checkpoint(app: Any, actor: str | None, checkpoint: Any) -> list[dict[str, Any]]:
    """[] when the database extends CHECKPOINT (parsed JSON), else one gap per finding: {"kind": "unreadable"},
    {"kind": "signature"} or workflow's checkpoint_gaps, each with the checkpoint's instant."""
    uc.chain_heads(app.services, actor)
    try:
        statement = checkpoint["statement"]
        if statement.get("format") != FORMAT:
            raise ValueError(statement.get("format"))
    except (ValueError, KeyError, TypeError, AttributeError):
        return [{"kind": "unreadable"}]
    if not signature_ok(app, checkpoint):
        return [{"kind": "signature"}]
    issued = str(statement.get("issued_at"))
    return [{**g, "issued_at": issued} for g in uc.checkpoint_gaps(app.services, actor, statement)]


def in_words(gap: dict[str, Any]) -> str:
    """One gap as a sentence for people (huizhen.labels: checkpoint_<kind>)."""
    return labels.t(f"checkpoint_{gap['kind']}", **gap)
