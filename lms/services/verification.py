"""What a client sees when checking a certificate: its status now, and the checks behind it."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any, BinaryIO
from urllib.parse import urlencode

from flask import current_app
from sqlalchemy import bindparam, select

from lms.extensions import db
from lms.models import (
    Certificate,
    CertificateDocument,
    CertificateStatus,
    certificate_status,
    display_code,
)
from lms.services import certificates, credentials, issuer_keys
from lms.services.links import external_url


@dataclass(frozen=True)
class Check:
    key: str  # register, signature, revocation, suspension, expiry, document
    passed: bool
    detail: str = ""


@dataclass(frozen=True, slots=True)
class CertificateRecord:
    """A certificate as a public check reads it: a plain row, with no ORM session behind it."""

    id: int
    code: str
    user_id: int | None
    holder_name: str
    course_title: str
    course_hours: int
    issuer_name: str
    edition: int
    issued_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    revoked_reason: str
    suspended_at: datetime | None
    credential_jwt: str
    pdf_sha256: str | None  # the current edition's latest PDF, if one was rendered

    @property
    def display_code(self) -> str:
        return display_code(self.code)

    def status_at(self, now: datetime) -> CertificateStatus:
        return certificate_status(self.revoked_at, self.suspended_at, self.expires_at, now)


_document = CertificateDocument.__table__.c
_RECORD = (
    select(
        *(
            Certificate.__table__.c[column.name]
            for column in fields(CertificateRecord)
            if column.name != "pdf_sha256"
        ),
        _document.sha256.label("pdf_sha256"),
    )
    .outerjoin(
        CertificateDocument,
        (_document.certificate_id == Certificate.id) & (_document.edition == Certificate.edition),
    )
    .where(Certificate.code == bindparam("code"))
    .order_by(_document.id.desc())
    .limit(1)
)


def find_record(code_text: str) -> CertificateRecord | None:
    """One Core statement, built once, on a pooled connection of its own.

    Every QR code scan lands here. The ORM session, its unit of work and the identity map
    cost more than the lookup itself, and a check writes nothing.
    """
    code = certificates.normalize_code(code_text)
    if code is None:
        return None
    with db.engine.connect() as connection:
        if connection.dialect.name != "sqlite":
            # One SELECT needs no transaction: AUTOCOMMIT spares BEGIN and ROLLBACK, two of
            # the lookup's three round trips. (SQLite has no round trips, and its driver would
            # leave the connection in implicit-transaction mode when the pool resets it.)
            connection.execution_options(isolation_level="AUTOCOMMIT")
        row = connection.execute(_RECORD, {"code": code}).first()
    return CertificateRecord(**row._mapping) if row else None


@dataclass
class Verification:
    certificate: CertificateRecord
    status: CertificateStatus
    checked_at: datetime
    signed_by: str | None
    checks: list[Check] = field(default_factory=list)

    @property
    def urls(self) -> dict[str, str]:
        code = self.certificate.display_code
        return {
            "verify": external_url("verify.certificate", code=code),
            "json": external_url("verify.certificate_json", code=code),
            "credential": external_url("verify.certificate_jwt", code=code),
            "pdf": external_url("verify.certificate_pdf", code=code),
        }


def verify(code_text: str, now: datetime) -> Verification | None:
    certificate = find_record(code_text)
    if certificate is None:
        return None
    status = certificate.status_at(now)
    signed_by = credentials.check_signature(certificate.credential_jwt)
    checks = [
        Check("register", True, certificate.issuer_name),
        Check("signature", signed_by is not None, signed_by or ""),
        Check("revocation", certificate.revoked_at is None),
        Check("suspension", certificate.suspended_at is None),
        Check("expiry", status != CertificateStatus.EXPIRED),
    ]
    if certificate.pdf_sha256 is not None:
        checks.append(Check("document", True, certificate.pdf_sha256))
    return Verification(certificate, status, now, signed_by, checks)


def fingerprint(stream: BinaryIO, limit: int) -> str | None:
    """sha256 of an uploaded file read in chunks, or None once it passes `limit` bytes."""
    digest, size = hashlib.sha256(), 0
    while chunk := stream.read(64 * 1024):
        size += len(chunk)
        if size > limit:
            return None
        digest.update(chunk)
    return digest.hexdigest()


@dataclass
class DocumentCheck:
    verification: Verification
    current_edition: bool


def verify_document(sha256_hex: str, now: datetime) -> DocumentCheck | None:
    """An uploaded PDF is ours only if its bytes are exactly those of a PDF we served."""
    found = certificates.find_document(sha256_hex)
    if found is None:
        return None
    document, certificate = found
    checked = verify(certificate.code, now)
    return DocumentCheck(checked, document.edition == certificate.edition)


def linkedin_url(verification: Verification) -> str:
    """LinkedIn's add-to-profile link, with the certification fields filled in."""
    certificate = verification.certificate
    fields: dict[str, Any] = {
        "startTask": "CERTIFICATION_NAME",
        "name": certificate.course_title,
        "organizationName": certificate.issuer_name,
        "issueYear": certificate.issued_at.year,
        "issueMonth": certificate.issued_at.month,
        "certUrl": verification.urls["verify"],
        "certId": certificate.display_code,
    }
    if certificate.expires_at is not None:
        fields["expirationYear"] = certificate.expires_at.year
        fields["expirationMonth"] = certificate.expires_at.month
    return "https://www.linkedin.com/profile/add?" + urlencode(fields)


def _iso(moment: datetime | None) -> str | None:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


def as_json(verification: Verification) -> dict[str, Any]:
    """The page's content as data; never the holder's email."""
    certificate = verification.certificate
    return {
        "code": certificate.display_code,
        "status": verification.status.value,
        "holder": {"name": certificate.holder_name},
        "course": {"title": certificate.course_title, "hours": certificate.course_hours},
        "issuer": {
            "name": certificate.issuer_name,
            "id": issuer_keys.issuer_did(),
            "url": current_app.config["PUBLIC_BASE_URL"] + "/",
        },
        "issued_at": _iso(certificate.issued_at),
        "expires_at": _iso(certificate.expires_at),
        "revoked_at": _iso(certificate.revoked_at),
        "revocation_reason": certificate.revoked_reason or None,
        "suspended_at": _iso(certificate.suspended_at),
        "edition": certificate.edition,
        "pdf_sha256": certificate.pdf_sha256,
        "checks": [
            {"check": check.key, "passed": check.passed, "detail": check.detail or None}
            for check in verification.checks
        ],
        "checked_at": _iso(verification.checked_at),
        "links": verification.urls,
    }
