"""Issuing certificates, their lifecycle (revoke, suspend, reinstate, renew) and lookups by code.

Issuing runs inside the caller's transaction (the exam submit that passed, or the instructor's
command), so a pass and its certificate are committed together or not at all. The PDF is
rendered afterwards (services.certificate_pdf): rendering is slow and holds no lock.
"""

from __future__ import annotations

import enum
import secrets
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from lms.extensions import db, write_transaction
from lms.models import (
    Certificate,
    CertificateDocument,
    Course,
    StatusListCredential,
    StatusPurpose,
    User,
    utcnow,
)
from lms.services import audit, credentials, mail
from lms.services.errors import DomainError
from lms.services.links import external_url

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U
_CROCKFORD_ALIASES = str.maketrans({"I": "1", "L": "1", "O": "0"})
_SEPARATORS = str.maketrans("", "", "- \u2010\u2011\u2012\u2013\u2014")


class CertificateRefused(DomainError):
    """not_found, revoked (a revoked certificate is not renewed by a pass), unknown_action."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class Action(enum.StrEnum):
    REVOKE = "revoke"
    REINSTATE = "reinstate"
    SUSPEND = "suspend"
    UNSUSPEND = "unsuspend"


def generate_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(12))


def normalize_code(text: str) -> str | None:
    """`abcd-efgh-jkmn`, `ABCDEFGHJKMN` and `abcd efgh jkmn` are one code; anything else is None."""
    code = (text or "").strip().upper().translate(_SEPARATORS).translate(_CROCKFORD_ALIASES)
    if len(code) != 12 or any(char not in ALPHABET for char in code):
        return None
    return code


def find_by_code(text: str) -> Certificate | None:
    code = normalize_code(text)
    if code is None:
        return None
    return db.session.scalar(select(Certificate).where(Certificate.code == code))


def latest_document(certificate: Certificate) -> CertificateDocument | None:
    return db.session.scalar(
        select(CertificateDocument).where(
            CertificateDocument.certificate_id == certificate.id,
            CertificateDocument.edition == certificate.edition,
        )
    )


def find_document(sha256_hex: str) -> tuple[CertificateDocument, Certificate] | None:
    row = db.session.execute(
        select(CertificateDocument, Certificate)
        .join(Certificate, Certificate.id == CertificateDocument.certificate_id)
        .where(CertificateDocument.sha256 == sha256_hex.lower())
    ).first()
    return (row[0], row[1]) if row else None


def holder_certificates(user_id: int) -> list[Certificate]:
    return list(
        db.session.scalars(
            select(Certificate)
            .where(Certificate.user_id == user_id)
            .order_by(Certificate.issued_at.desc())
        )
    )


def course_certificates(course_id: int, query: str = "") -> list[Certificate]:
    statement = select(Certificate).where(Certificate.course_id == course_id)
    code = normalize_code(query) if query else None
    if code:
        statement = statement.where(Certificate.code == code)
    elif query:
        statement = statement.where(Certificate.holder_name.ilike(f"%{query.strip()[:100]}%"))
    return list(db.session.scalars(statement.order_by(Certificate.issued_at.desc()).limit(500)))


def certificate_for(user_id: int, course_id: int) -> Certificate | None:
    return db.session.scalar(
        select(Certificate).where(
            Certificate.user_id == user_id, Certificate.course_id == course_id
        )
    )


def _renewal_due(certificate: Certificate, now: datetime) -> bool:
    if certificate.expires_at is None:
        return False
    window = timedelta(days=current_app.config["CERTIFICATE_RENEWAL_DAYS"])
    return now >= certificate.expires_at - window


def renewal_open(user_id: int, course_id: int, now: datetime) -> datetime | None:
    """When the holder's certificate is expired or about to, the issue date it would renew."""
    certificate = certificate_for(user_id, course_id)
    if certificate is None or certificate.revoked_at is not None:
        return None
    return certificate.issued_at if _renewal_due(certificate, now) else None


def _expiry(course: Course, now: datetime) -> datetime | None:
    months = course.certificate_validity_months
    if not months:
        return None
    return now + timedelta(days=round(months * 365.25 / 12))


def _allocate_status_slot() -> tuple[int, int]:
    """A random index in the newest list, moving to a new list once half of it is taken."""
    size = current_app.config["STATUS_LIST_BITS"]
    current = db.session.scalar(select(func.max(Certificate.status_list))) or 1
    used = db.session.scalar(
        select(func.count(Certificate.id)).where(Certificate.status_list == current)
    )
    if used >= size // 2:
        current += 1
    return current, secrets.randbelow(size)


def _fill_from(certificate: Certificate, user: User, course: Course, now: datetime) -> None:
    certificate.holder_name = user.name
    certificate.course_title = course.title
    certificate.course_hours = course.hours
    certificate.issuer_name = current_app.config["ISSUER_NAME"]
    certificate.signer_name = course.certificate_signer_name
    certificate.signer_title = course.certificate_signer_title
    certificate.locale = user.locale or "it"
    certificate.design = course.certificate_design or "classic"
    certificate.issued_at = now
    certificate.expires_at = _expiry(course, now)


def _create(
    user: User, course: Course, now: datetime, attempt_id: int | None
) -> tuple[Certificate, bool]:
    """A new certificate, or (existing, False) when another request issued it a moment ago."""
    for _try in range(8):
        list_number, index = _allocate_status_slot()
        certificate = Certificate(
            code=generate_code(),
            user_id=user.id,
            course_id=course.id,
            exam_attempt_id=attempt_id,
            status_list=list_number,
            status_index=index,
        )
        _fill_from(certificate, user, course, now)
        certificate.credential_jwt = credentials.sign_credential(certificate, course.slug)
        savepoint = db.session.begin_nested()
        db.session.add(certificate)
        try:
            savepoint.commit()
            return certificate, True
        except IntegrityError:
            savepoint.rollback()
            existing = certificate_for(user.id, course.id)
            if existing is not None:
                return existing, False
    raise RuntimeError("could not allocate a certificate code and status index")


def issue_certificate(
    user: User,
    course: Course,
    *,
    now: datetime | None = None,
    attempt_id: int | None = None,
    actor_id: int | None = None,
    ip: str | None = None,
) -> Certificate:
    """Issue (or renew, when due) in the caller's transaction; an existing valid one is kept."""
    now = now or utcnow()
    existing = db.session.scalar(
        select(Certificate)
        .where(Certificate.user_id == user.id, Certificate.course_id == course.id)
        .with_for_update()
    )
    if existing is not None:
        if existing.revoked_at is not None:
            raise CertificateRefused("revoked")
        if not _renewal_due(existing, now):
            return existing
        certificate = existing
        certificate.edition += 1
        certificate.exam_attempt_id = attempt_id or certificate.exam_attempt_id
        _fill_from(certificate, user, course, now)
        certificate.credential_jwt = credentials.sign_credential(certificate, course.slug)
        action = "certificate.renew"
    else:
        certificate, created = _create(user, course, now, attempt_id)
        if not created:
            return certificate
        action = "certificate.issue"
    db.session.flush()
    audit.record(
        action,
        actor_id=actor_id if actor_id is not None else user.id,
        target=certificate,
        ip=ip,
        code=certificate.display_code,
        edition=certificate.edition,
    )
    mail.queue_email(
        user.email,
        "certificate_issued",
        user.locale,
        subject=lambda: _("Your certificate for %(course)s", course=course.title),
        name=user.name,
        course_title=course.title,
        code=certificate.display_code,
        verify_url=external_url("verify.certificate", code=certificate.display_code),
        mine_url=external_url("certificates.mine"),
    )
    return certificate


@write_transaction()
def issue_by_instructor(
    actor_id: int | None, user: User, course: Course, reason: str
) -> Certificate:
    """The `flask lms issue-certificate` path: same rules as a pass, with the reason audited."""
    certificate = issue_certificate(user, course, actor_id=actor_id)
    audit.record(
        "certificate.issue_by_instructor",
        actor_id=actor_id,
        target=certificate,
        reason=reason,
        student_id=user.id,
    )
    db.session.commit()
    return certificate


@write_transaction()
def change_status(
    actor_id: int | None, certificate_id: int, action: str, reason: str, ip: str | None
) -> Certificate:
    """Revoke, suspend, reinstate or lift a suspension; re-signs the status list it touches."""
    certificate = db.session.scalar(
        select(Certificate).where(Certificate.id == certificate_id).with_for_update()
    )
    if certificate is None:
        raise CertificateRefused("not_found")
    now = utcnow()
    if action == Action.REVOKE and certificate.revoked_at is None:
        certificate.revoked_at, certificate.revoked_reason = now, reason
        purpose = StatusPurpose.REVOCATION
    elif action == Action.REINSTATE and certificate.revoked_at is not None:
        certificate.revoked_at, certificate.revoked_reason = None, ""
        purpose = StatusPurpose.REVOCATION
    elif action == Action.SUSPEND and certificate.suspended_at is None:
        certificate.suspended_at, certificate.suspended_reason = now, reason
        purpose = StatusPurpose.SUSPENSION
    elif action == Action.UNSUSPEND and certificate.suspended_at is not None:
        certificate.suspended_at, certificate.suspended_reason = None, ""
        purpose = StatusPurpose.SUSPENSION
    elif action in set(Action):
        db.session.commit()  # already in that state: a double click changes nothing
        return certificate
    else:
        raise CertificateRefused("unknown_action")
    db.session.flush()
    credentials.sign_status_list(purpose, certificate.status_list, now)
    audit.record(
        f"certificate.{action}",
        actor_id=actor_id,
        target=certificate,
        ip=ip,
        code=certificate.display_code,
        reason=reason,
    )
    db.session.commit()
    return certificate


def signed_status_list(purpose: str, list_number: int) -> str | None:
    """The signed list, re-signed first when it is past half its life or after a key rotation."""
    if list_number < 1 or list_number > (
        db.session.scalar(select(func.max(Certificate.status_list))) or 1
    ):
        return None
    now = utcnow()
    row = db.session.get(StatusListCredential, (list_number, purpose))
    if credentials.needs_resigning(row, now):
        with write_transaction():
            row = db.session.get(StatusListCredential, (list_number, purpose), with_for_update=True)
            if credentials.needs_resigning(row, now):
                row = credentials.sign_status_list(purpose, list_number, now)
            token = row.signed_jwt
            db.session.commit()
            return token
    return row.signed_jwt


def resign_all_status_lists() -> int:
    """After a key rotation or by cron: every list signed afresh, valid for another week."""
    now = utcnow()
    newest = db.session.scalar(select(func.max(Certificate.status_list))) or 1
    with write_transaction():
        for list_number in range(1, newest + 1):
            for purpose in StatusPurpose:
                credentials.sign_status_list(purpose, list_number, now)
        db.session.commit()
    return newest * len(StatusPurpose)


def resign_credentials_of(fragment: str) -> int:
    """Re-sign, with the signing key, every stored credential that `fragment` signed."""
    resigned = 0
    ids = list(db.session.scalars(select(Certificate.id).order_by(Certificate.id)))
    for start in range(0, len(ids), 500):
        with write_transaction():
            for certificate in db.session.scalars(
                select(Certificate).where(Certificate.id.in_(ids[start : start + 500]))
            ):
                if credentials.key_fragment_of(certificate.credential_jwt) == fragment:
                    course = db.session.get(Course, certificate.course_id)
                    certificate.credential_jwt = credentials.sign_credential(
                        certificate, course.slug
                    )
                    resigned += 1
            db.session.commit()
    return resigned
