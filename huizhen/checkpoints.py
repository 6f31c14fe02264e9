"""Checkpoints (issue 15): a signed statement of every chain's head at an instant, kept outside the database (a
folder, the institutions' inboxes), so a rollback, truncation, deletion or rewrite by whoever holds the database is
named later by `huizhen audit verify --checkpoint FILE`. Signed with Ed25519 (huizhen.keys); anyone holding the
public key (`huizhen audit public-key`) can check the signature offline."""

from __future__ import annotations

import base64
import json
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature

from huizhen.keys import public_pem, signing_key
from storage.chain import canonical_json
from workflow import usecases as uc

FORMAT = "huizhen-checkpoint/1"


def make(app: Any, actor: str | None, now: datetime) -> dict[str, Any]:
    statement = {"format": FORMAT, "issued_at": now.isoformat(), **uc.chain_heads(app.services, actor)}
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


def write(app: Any, actor: str | None, now: datetime, out: Path | None) -> Path:
    """Sign a checkpoint and keep it in the configured folder (outside the database), and at OUT if given."""
    text = dumps(make(app, actor, now))
    folder = app.settings.resolve(app.settings.audit.checkpoint_dir)
    folder.mkdir(parents=True, exist_ok=True)
    kept = folder / f"checkpoint-{now.strftime('%Y%m%dT%H%M%S%f')}.json"
    kept.write_text(text, encoding="utf-8")
    if out is not None:
        out.write_text(text, encoding="utf-8")
        return out
    return kept
