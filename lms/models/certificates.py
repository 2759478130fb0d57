"""Certificates as issued, the PDFs rendered for them, and the signed status lists."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lms.extensions import db
from lms.models.types import UTCDateTime, utcnow


def display_code(code: str) -> str:
    """`7KQ2M9XD4HNP` as printed and linked: `7KQ2-M9XD-4HNP`."""
    return "-".join(code[i : i + 4] for i in range(0, 12, 4))


class CertificateStatus(enum.StrEnum):
    VALID = "valid"
    EXPIRED = "expired"
    REVOKED = "revoked"
    SUSPENDED = "suspended"


def certificate_status(
    revoked_at: datetime | None,
    suspended_at: datetime | None,
    expires_at: datetime | None,
    now: datetime,
) -> CertificateStatus:
    """Revoked, then suspended, then expired: the first that applies names the status."""
    if revoked_at is not None:
        return CertificateStatus.REVOKED
    if suspended_at is not None:
        return CertificateStatus.SUSPENDED
    if expires_at is not None and expires_at <= now:
        return CertificateStatus.EXPIRED
    return CertificateStatus.VALID


class StatusPurpose(enum.StrEnum):
    REVOCATION = "revocation"
    SUSPENSION = "suspension"


class Certificate(db.Model):
    """One per student and course. Names and title are frozen as issued; renewal bumps the edition.

    The row is never deleted, so its status-list index is never handed to anyone else.
    """

    __tablename__ = "certificates"
    __table_args__ = (
        UniqueConstraint("user_id", "course_id"),
        UniqueConstraint("status_list", "status_index"),
        Index("ix_certificates_course_issued", "course_id", "issued_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"))
    exam_attempt_id: Mapped[int | None] = mapped_column(
        ForeignKey("exam_attempts.id", ondelete="SET NULL")
    )
    holder_name: Mapped[str] = mapped_column(String(200))
    course_title: Mapped[str] = mapped_column(String(200))
    course_hours: Mapped[int] = mapped_column(Integer, default=0)
    issuer_name: Mapped[str] = mapped_column(String(200))
    signer_name: Mapped[str] = mapped_column(String(200), default="")
    signer_title: Mapped[str] = mapped_column(String(200), default="")
    locale: Mapped[str] = mapped_column(String(5), default="it")
    design: Mapped[str] = mapped_column(String(60), default="classic")
    edition: Mapped[int] = mapped_column(Integer, default=1)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_reason: Mapped[str] = mapped_column(Text, default="")
    suspended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    suspended_reason: Mapped[str] = mapped_column(Text, default="")
    status_list: Mapped[int] = mapped_column(Integer)
    status_index: Mapped[int] = mapped_column(Integer)
    credential_jwt: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    @property
    def display_code(self) -> str:
        return display_code(self.code)

    def status_at(self, now: datetime) -> CertificateStatus:
        return certificate_status(self.revoked_at, self.suspended_at, self.expires_at, now)


class StatusSlot(db.Model):
    """Every (list, index) ever given to a certificate: the primary key means never given twice.

    Revocation is final in a Bitstring Status List, so a revoked slot stays `revoked` for ever;
    a reinstated certificate moves to a new slot with a newly signed credential.
    """

    __tablename__ = "status_slots"

    status_list: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    status_index: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    certificate_id: Mapped[int] = mapped_column(ForeignKey("certificates.id"), index=True)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CertificateDocument(db.Model):
    """A rendered PDF: its fingerprint lets anyone upload the file to check it.

    An edition normally has one; a re-render after a lost file that no longer gives the same
    bytes (new signature image, new WeasyPrint) adds another, and both stay recognised.
    """

    __tablename__ = "certificate_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    certificate_id: Mapped[int] = mapped_column(ForeignKey("certificates.id"), index=True)
    edition: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    file_name: Mapped[str] = mapped_column(String(120))
    size_bytes: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class StatusListCredential(db.Model):
    """The signed Bitstring Status List for one list number and purpose, re-signed on change."""

    __tablename__ = "status_list_credentials"

    list_number: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    purpose: Mapped[str] = mapped_column(String(20), primary_key=True)
    signed_jwt: Mapped[str] = mapped_column(Text)
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    valid_until: Mapped[datetime] = mapped_column(UTCDateTime())
