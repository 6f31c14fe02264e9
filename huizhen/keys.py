"""Key files kept outside the database: the audit key (HMAC of every new event and tombstone) and the checkpoint
signing key (Ed25519). Each is a 0600 file beside the config, made on first need (`huizhen init`); the audit key
may instead come from HUIZHEN_AUDIT_KEY. Rotation: move the key file to a retired path listed in
`audit.retired_key_files` and start again; a new key is made and old hashes still check under their key id."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from huizhen.config import ConfigError, Settings
from storage.chain import Keyring

AUDIT_KEY_ENV = "HUIZHEN_AUDIT_KEY"


def _create_exclusive(path: Path, data: bytes) -> None:
    """Write DATA to PATH, 0600, unless PATH exists (another process won the race: keep its key)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        tmp.unlink(missing_ok=True)


def _read_secret(path: Path, what: str) -> bytes:
    try:
        raw = path.read_bytes().strip()
    except OSError as exc:
        raise ConfigError(f"{what}: cannot read {path} ({exc.strerror})") from exc
    if len(raw) < 32:
        raise ConfigError(f"{what}: {path} holds fewer than 32 bytes")
    return raw


def load_keyring(settings: Settings, *, create: bool = True) -> Keyring:
    env = os.environ.get(AUDIT_KEY_ENV)
    if env:
        if len(env) < 32:
            raise ConfigError(f"{AUDIT_KEY_ENV}: must be at least 32 characters")
        current = env.encode("utf-8")
    else:
        path = settings.resolve(settings.audit.key_file)
        if not path.exists() and create:
            _create_exclusive(path, secrets.token_hex(32).encode("ascii") + b"\n")
        current = _read_secret(path, "audit.key_file")
    retired = tuple(_read_secret(settings.resolve(p), "audit.retired_key_files")
                    for p in settings.audit.retired_key_files)
    return Keyring(current, retired)


def signing_key(settings: Settings, *, create: bool = True) -> Ed25519PrivateKey:
    path = settings.resolve(settings.audit.checkpoint_key_file)
    if not path.exists() and create:
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        _create_exclusive(path, pem)
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigError(f"audit.checkpoint_key_file: {path} is not an Ed25519 private key")
    return key


def public_pem(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    pub = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return pub.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def load_public(pem: str) -> Ed25519PublicKey:
    key = serialization.load_pem_public_key(pem.encode())
    if not isinstance(key, Ed25519PublicKey):
        raise ConfigError("checkpoint: the public key is not an Ed25519 key")
    return key
