"""Signed papers (issue 15): a PDF signature (PAdES B-B, pyHanko) by the issuing institution's key on the issued
minutes, each expert's signed 会诊表 and the destruction lists, and their check offline against the CA.

Keys (docs/keys.md): `huizhen init` makes, once, in `audit.signing_dir` (default `var/signing`, beside the audit
key), a small CA (`ca.key`, `ca.pem`) and one key and certificate per institution (`sh.key`, `sh.pem`, ...) issued
by it; every file 0600. To use certificates from a real CA, put the institution's key and certificate (PEM) and the
CA's certificate under the same names: nothing is made over files that exist.

`sign_pdf(data, institution)` is the one hook the paper code calls."""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from huizhen.config import Settings
from huizhen.keys import _create_exclusive

CA_NAME = "huizhen 长三角缺陷消费品会诊 CA"
_configured: Settings | None = None


def configure(settings: Settings) -> None:
    """The settings whose key folder `sign_pdf` uses (bootstrap sets it: one service, one key set)."""
    global _configured
    _configured = settings


def key_dir(settings: Settings) -> Path:
    return settings.resolve(settings.audit.signing_dir)


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _name(common: str, unit: str | None = None) -> x509.Name:
    parts = [x509.NameAttribute(NameOID.ORGANIZATION_NAME, "长三角缺陷消费品专家会诊"),
             x509.NameAttribute(NameOID.COMMON_NAME, common)]
    if unit:
        parts.insert(1, x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, unit))
    return x509.Name(parts)


def ensure_keys(settings: Settings, now: datetime | None = None) -> list[str]:
    """Make the CA and each institution's key and certificate where missing; the files made."""
    folder = key_dir(settings)
    now = now or datetime.now(UTC)
    made: list[str] = []
    ca_key_path, ca_pem_path = folder / "ca.key", folder / "ca.pem"
    if not ca_pem_path.exists():
        ca_key = ec.generate_private_key(ec.SECP256R1())
        name = _name(CA_NAME)
        cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(ca_key.public_key())
                .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(days=1))
                .not_valid_after(now + timedelta(days=365 * 20))
                .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
                .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False,
                                             key_encipherment=False, data_encipherment=False, key_agreement=False,
                                             key_cert_sign=True, crl_sign=True, encipher_only=False,
                                             decipher_only=False), critical=True)
                .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
                .sign(ca_key, hashes.SHA256()))
        _create_exclusive(ca_key_path, _pem_key(ca_key))
        _create_exclusive(ca_pem_path, cert.public_bytes(serialization.Encoding.PEM))
        made += ["ca.key", "ca.pem"]
    if not ca_key_path.exists():
        return made  # a real CA's certificate without its key: institutions' certificates come from that CA
    ca_key_any = serialization.load_pem_private_key(ca_key_path.read_bytes(), password=None)
    ca_cert = x509.load_pem_x509_certificate(ca_pem_path.read_bytes())
    for inst in settings.institutions:
        code = inst.code.lower()
        if (folder / f"{code}.pem").exists():
            continue
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (x509.CertificateBuilder().subject_name(_name(inst.name, inst.code)).issuer_name(ca_cert.subject)
                .public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=365 * 10))
                .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True,
                                             key_encipherment=False, data_encipherment=False, key_agreement=False,
                                             key_cert_sign=False, crl_sign=False, encipher_only=False,
                                             decipher_only=False), critical=True)
                .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                    ca_cert.public_key()), critical=False)  # type: ignore[arg-type]
                .sign(ca_key_any, hashes.SHA256()))  # type: ignore[arg-type]
        _create_exclusive(folder / f"{code}.key", _pem_key(key))
        _create_exclusive(folder / f"{code}.pem", cert.public_bytes(serialization.Encoding.PEM))
        made += [f"{code}.key", f"{code}.pem"]
    return made


def _signer(settings: Settings, institution: str) -> Any:
    from pyhanko.sign import signers

    folder = key_dir(settings)
    code = institution.lower()
    key, cert, ca = folder / f"{code}.key", folder / f"{code}.pem", folder / "ca.pem"
    if not (key.exists() and cert.exists()):
        return None
    return signers.SimpleSigner.load(str(key), str(cert), ca_chain_files=(str(ca),) if ca.exists() else None)


def sign_pdf(data: bytes, institution: str) -> bytes:
    """DATA (a PDF) signed by INSTITUTION's key (PAdES B-B, invisible, an incremental update); DATA unchanged when
    no key set is configured or the institution has no key (`audit dossier-verify` then names it unsigned)."""
    if _configured is None:
        return data
    signer = _signer(_configured, institution)
    if signer is None:
        return data
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
    taken = {name for name, _, _ in fields.enumerate_sig_fields(writer.prev)}
    field = next(f"huizhen-{institution.lower()}-{i}" for i in range(1, 100) if f"huizhen-{institution.lower()}-{i}"
                 not in taken)
    meta = signers.PdfSignatureMetadata(field_name=field, subfilter=fields.SigSeedSubFilter.PADES,
                                        reason="长三角缺陷消费品专家会诊", location=institution.upper())
    out = signers.sign_pdf(writer, meta, signer=signer)
    return bytes(out.getbuffer())


def sign_file(path: Path, institution: str) -> None:
    """The PDF at PATH signed in place (the `.part` file of an atomic write)."""
    path.write_bytes(sign_pdf(path.read_bytes(), institution))


def code_of(settings: Settings | None, name_or_code: str) -> str | None:
    """An institution's code from its code or its name (the papers' contexts carry names)."""
    settings = settings or _configured
    if settings is None:
        return None
    for inst in settings.institutions:
        if name_or_code in (inst.code, inst.name):
            return inst.code
    return None


@dataclass(frozen=True)
class SignatureCheck:
    field: str
    signer: str  # the certificate's common name
    intact: bool  # the signed bytes hash to what was signed
    valid: bool  # the signature is the certificate's
    trusted: bool  # the certificate chains to the CA given
    covers_whole: bool  # nothing was added after it (but further signatures)

    @property
    def ok(self) -> bool:
        return self.intact and self.valid and self.trusted


def verify_pdf(data: bytes, ca_pem: bytes | None) -> list[SignatureCheck] | None:
    """Every signature of a PDF, checked offline against the CA (no fetching); None when the file is not a
    readable PDF."""
    from asn1crypto import pem as asn1_pem
    from asn1crypto import x509 as asn1_x509
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    # A signature that fails is a finding we word ourselves; pyHanko's own tracebacks would only be noise.
    logging.getLogger("pyhanko").setLevel(logging.CRITICAL)
    logging.getLogger("pyhanko_certvalidator").setLevel(logging.CRITICAL)
    roots = []
    if ca_pem:
        _, _, der = asn1_pem.unarmor(ca_pem)
        roots.append(asn1_x509.Certificate.load(der))
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        sigs = list(reader.embedded_signatures)
    except Exception:  # a damaged file is a finding, not a crash
        return None
    found = []
    for sig in sigs:
        context = ValidationContext(trust_roots=roots, allow_fetching=False, revocation_mode="soft-fail")
        try:
            status = validate_pdf_signature(sig, context, skip_diff=True)
            name = status.signing_cert.subject.native.get("common_name", "") if status.signing_cert else ""
            covers = sig.coverage is not None and sig.coverage.name in ("ENTIRE_FILE", "ENTIRE_REVISION")
            found.append(SignatureCheck(sig.field_name, str(name), bool(status.intact), bool(status.valid),
                                        bool(status.trusted) and bool(roots), covers))
        except Exception:  # a signature too broken to evaluate is a failed one
            found.append(SignatureCheck(str(sig.field_name), "", False, False, False, False))
    return found
