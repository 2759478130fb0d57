"""Issuing certificates, their lifecycle (revoke, suspend, reinstate, renew) and lookups by code.

Issuing runs inside the caller's transaction (the exam submit that passed, or the instructor's
command), so a pass and its certificate are committed together or not at all. The PDF is
rendered afterwards (services.certificate_pdf): rendering is slow and holds no lock.
"""

from __future__ import annotations

import calendar
import enum
import secrets
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from lms.extensions import db, write_transaction
from lms.models import (
    Certificate,
    CertificateDocument,
    Course,
    StatusPurpose,
    User,
    utcnow,
)
from lms.models.certificates import display_code as display_code  # re-exported for views
from lms.services import audit, credentials, directory, mail, status_lists
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


def _expiry(course: Course, start: datetime) -> datetime | None:
    """The last second of the day `months` calendar months on, in the issuer's time zone."""
    months = course.certificate_validity_months
    if not months:
        return None
    zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    local = start.astimezone(zone)
    year, month = divmod(local.month - 1 + months, 12)
    year, month = local.year + year, month + 1
    day = min(local.day, calendar.monthrange(year, month)[1])
    return datetime(year, month, day, 23, 59, 59, tzinfo=zone).astimezone(UTC)


def _fill_from(
    certificate: Certificate, user: User, course: Course, now: datetime, valid_from: datetime
) -> None:
    certificate.holder_name = user.name
    certificate.course_title = course.title
    certificate.course_hours = course.hours
    certificate.issuer_name = current_app.config["ISSUER_NAME"]
    certificate.signer_name = course.certificate_signer_name
    certificate.signer_title = course.certificate_signer_title
    certificate.locale = user.locale or "it"
    certificate.design = course.certificate_design or "classic"
    certificate.issued_at = now
    certificate.expires_at = _expiry(course, valid_from)


def _create(
    user: User, course: Course, now: datetime, attempt_id: int | None
) -> tuple[Certificate, bool]:
    """A new certificate, or (existing, False) when another request issued it a moment ago."""
    for _try in range(8):
        certificate = Certificate(
            code=generate_code(), user_id=user.id, course_id=course.id, exam_attempt_id=attempt_id
        )
        _fill_from(certificate, user, course, now, now)
        savepoint = db.session.begin_nested()
        try:
            status_lists.assign_slot(certificate)
        except IntegrityError:  # a slot or code drawn twice, or issued in parallel
            savepoint.rollback()
            existing = certificate_for(user.id, course.id)
            if existing is not None:
                return existing, False
            continue
        certificate.credential_jwt = credentials.sign_credential(certificate, course.slug)
        savepoint.commit()
        return certificate, True
    raise RuntimeError("could not allocate a certificate code")


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
        # Renewing early loses nothing: the new validity starts where the old one ends.
        _fill_from(certificate, user, course, now, max(now, existing.expires_at))
        certificate.credential_jwt = credentials.sign_credential(certificate, course.slug)
        action = "certificate.renew"
    else:
        certificate, created = _create(user, course, now, attempt_id)
        if not created:
            return certificate
        action = "certificate.issue"
    db.session.flush()
    directory.refresh_certification(user.id)
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


def allowed_actions(certificate: Certificate) -> list[Action]:
    """What staff may do next: revocation supersedes a suspension."""
    if certificate.revoked_at is not None:
        return [Action.REINSTATE]
    return [Action.REVOKE, Action.UNSUSPEND if certificate.suspended_at else Action.SUSPEND]


@write_transaction()
def change_status(
    actor_id: int | None, certificate_id: int, action: str, reason: str, ip: str | None
) -> Certificate:
    """Revoke, suspend, reinstate or lift a suspension; re-signs the status lists it touches.

    Revocation is final in the status list, so reinstating moves the certificate to a new slot
    with a newly signed credential (a new edition: its PDF carries that credential).
    """
    certificate = db.session.scalar(
        select(Certificate).where(Certificate.id == certificate_id).with_for_update()
    )
    if certificate is None:
        raise CertificateRefused("not_found")
    if action not in set(Action):
        raise CertificateRefused("unknown_action")
    if action not in allowed_actions(certificate):
        db.session.commit()  # already in that state: a double click changes nothing
        return certificate
    now = utcnow()
    touched: set[StatusPurpose] = set()
    if action == Action.REVOKE:
        certificate.revoked_at, certificate.revoked_reason = now, reason
        status_lists.revoke_slot(certificate)
        touched.add(StatusPurpose.REVOCATION)
        if certificate.suspended_at is not None:
            certificate.suspended_at, certificate.suspended_reason = None, ""
            touched.add(StatusPurpose.SUSPENSION)
    elif action == Action.REINSTATE:
        certificate.revoked_at, certificate.revoked_reason = None, ""
        certificate.edition += 1
        status_lists.take_slot(certificate)
        course = db.session.get(Course, certificate.course_id)
        certificate.credential_jwt = credentials.sign_credential(certificate, course.slug)
    elif action == Action.SUSPEND:
        certificate.suspended_at, certificate.suspended_reason = now, reason
        touched.add(StatusPurpose.SUSPENSION)
    else:
        certificate.suspended_at, certificate.suspended_reason = None, ""
        touched.add(StatusPurpose.SUSPENSION)
    db.session.flush()
    if certificate.user_id is not None:
        directory.refresh_certification(certificate.user_id)
    for purpose in sorted(touched):
        status_lists.sign(purpose, certificate.status_list, now)
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


def resign_credentials_of(fragment: str) -> int:
    """Re-sign with the signing key every credential that `fragment` signed, as a new edition

    (so the PDF, which carries the credential, is rendered again)."""
    resigned = 0
    ids = list(db.session.scalars(select(Certificate.id).order_by(Certificate.id)))
    for start in range(0, len(ids), 500):
        with write_transaction():
            for certificate in db.session.scalars(
                select(Certificate).where(Certificate.id.in_(ids[start : start + 500]))
            ):
                if credentials.key_fragment_of(certificate.credential_jwt) == fragment:
                    course = db.session.get(Course, certificate.course_id)
                    certificate.edition += 1
                    certificate.credential_jwt = credentials.sign_credential(
                        certificate, course.slug
                    )
                    resigned += 1
            db.session.commit()
    return resigned
