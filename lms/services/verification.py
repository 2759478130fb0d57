"""What a client sees when checking a certificate: its status now, and the checks behind it."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, BinaryIO
from urllib.parse import urlencode

from flask import current_app

from lms.models import Certificate, CertificateDocument, CertificateStatus
from lms.services import certificates, credentials, issuer_keys
from lms.services.links import external_url


@dataclass(frozen=True)
class Check:
    key: str  # register, signature, revocation, suspension, expiry, document
    passed: bool
    detail: str = ""


@dataclass
class Verification:
    certificate: Certificate
    status: CertificateStatus
    checked_at: datetime
    document: CertificateDocument | None
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
    found = certificates.find_with_document(code_text)
    if found is None:
        return None
    certificate, document = found
    status = certificate.status_at(now)
    signed_by = credentials.check_signature(certificate.credential_jwt)
    checks = [
        Check("register", True, certificate.issuer_name),
        Check("signature", signed_by is not None, signed_by or ""),
        Check("revocation", certificate.revoked_at is None),
        Check("suspension", certificate.suspended_at is None),
        Check("expiry", status != CertificateStatus.EXPIRED),
    ]
    if document is not None:
        checks.append(Check("document", True, document.sha256))
    return Verification(certificate, status, now, document, signed_by, checks)


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
        "pdf_sha256": verification.document.sha256 if verification.document else None,
        "checks": [
            {"check": check.key, "passed": check.passed, "detail": check.detail or None}
            for check in verification.checks
        ],
        "checked_at": _iso(verification.checked_at),
        "links": verification.urls,
    }
