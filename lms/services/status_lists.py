"""Bitstring Status Lists (W3C): the slots certificates hold in them, and the signed lists.

A list is rebuilt from the database and re-signed whenever one of its bits changes, under a lock
on its row so two changes at once cannot each sign a list missing the other's bit. A list is
valid for a few days only, so a stale copy cannot hide a revocation for long.
"""

from __future__ import annotations

import base64
import gzip
import secrets
from datetime import UTC, datetime, timedelta

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from lms.extensions import db, write_transaction
from lms.models import Certificate, StatusListCredential, StatusPurpose, StatusSlot, utcnow
from lms.services import credentials, issuer_keys

_NEVER = datetime(1970, 1, 1, tzinfo=UTC)


def encode_bitstring(indexes: list[int], size_bits: int) -> str:
    """Multibase base64url (no padding) of the GZIP'd bitstring; bit 0 is the first byte's MSB."""
    bits = bytearray(size_bits // 8)
    for index in indexes:
        bits[index // 8] |= 0x80 >> (index % 8)
    packed = gzip.compress(bytes(bits), mtime=0)
    return "u" + base64.urlsafe_b64encode(packed).rstrip(b"=").decode()


def newest_list() -> int:
    return db.session.scalar(select(func.max(StatusSlot.status_list))) or 1


def assign_slot(certificate: Certificate) -> None:
    """Put the certificate in a random slot of the newest list with room, and flush.

    Raises IntegrityError when the slot was ever given before (or the certificate clashes):
    callers retry inside a savepoint. A list takes new slots until half of it is used, so a
    random pick rarely collides.
    """
    size = current_app.config["STATUS_LIST_BITS"]
    current = newest_list()
    used = db.session.scalar(
        select(func.count()).select_from(StatusSlot).where(StatusSlot.status_list == current)
    )
    if used >= size // 2:
        current += 1
    index = secrets.randbelow(size)
    certificate.status_list, certificate.status_index = current, index
    db.session.add(certificate)
    db.session.flush()
    db.session.add(
        StatusSlot(status_list=current, status_index=index, certificate_id=certificate.id)
    )
    db.session.flush()


def take_slot(certificate: Certificate) -> None:
    """A new slot for an existing certificate (reinstated after a revocation)."""
    for _try in range(16):
        savepoint = db.session.begin_nested()
        try:
            assign_slot(certificate)
        except IntegrityError:
            savepoint.rollback()
            continue
        savepoint.commit()
        return
    raise RuntimeError("no free status slot found")


def revoke_slot(certificate: Certificate) -> None:
    """Set the certificate's revocation bit for good (a reinstated one moves to a new slot)."""
    slot = db.session.get(StatusSlot, (certificate.status_list, certificate.status_index))
    slot.revoked = True
    db.session.flush()


def _lock(purpose: str, list_number: int) -> StatusListCredential:
    """The list's row, created if missing, locked until the caller's transaction ends."""
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    db.session.execute(
        dialect.insert(StatusListCredential)
        .values(
            list_number=list_number,
            purpose=str(purpose),
            signed_jwt="",
            signed_at=_NEVER,
            valid_until=_NEVER,
        )
        .on_conflict_do_nothing()
    )
    return db.session.scalar(
        select(StatusListCredential)
        .where(
            StatusListCredential.list_number == list_number,
            StatusListCredential.purpose == str(purpose),
        )
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def _set_indexes(purpose: str, list_number: int) -> list[int]:
    if purpose == StatusPurpose.REVOCATION:
        statement = select(StatusSlot.status_index).where(
            StatusSlot.status_list == list_number, StatusSlot.revoked.is_(True)
        )
    else:
        statement = select(Certificate.status_index).where(
            Certificate.status_list == list_number, Certificate.suspended_at.is_not(None)
        )
    return list(db.session.scalars(statement))


def sign(purpose: str, list_number: int, now: datetime) -> StatusListCredential:
    """Lock, rebuild and re-sign one list in the caller's transaction."""
    row = _lock(purpose, list_number)
    url = credentials.status_list_url(purpose, list_number)
    did = issuer_keys.issuer_did()
    valid_until = now + timedelta(days=current_app.config["STATUS_LIST_VALID_DAYS"])
    size = current_app.config["STATUS_LIST_BITS"]
    row.signed_jwt = credentials.sign_payload(
        {
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "id": url,
            "type": ["VerifiableCredential", "BitstringStatusListCredential"],
            "issuer": did,
            "validFrom": credentials.iso(now),
            "validUntil": credentials.iso(valid_until),
            "credentialSubject": {
                "id": f"{url}#list",
                "type": "BitstringStatusList",
                "statusPurpose": str(purpose),
                "encodedList": encode_bitstring(_set_indexes(purpose, list_number), size),
            },
            "iss": did,
            "jti": url,
            "nbf": int(now.timestamp()),
            "iat": int(now.timestamp()),
            "exp": int(valid_until.timestamp()),
        }
    )
    row.signed_at, row.valid_until = now, valid_until
    return row


def needs_resigning(row: StatusListCredential | None, now: datetime) -> bool:
    """Never signed, past half its life, or signed by a key that no longer signs."""
    if row is None or not row.signed_jwt:
        return True
    half_life = timedelta(days=current_app.config["STATUS_LIST_VALID_DAYS"]) / 2
    fragment = issuer_keys.signing_key().fragment
    return row.valid_until - now < half_life or credentials.key_fragment_of(row.signed_jwt) != (
        fragment
    )


def signed_list(purpose: str, list_number: int) -> str | None:
    """The signed list to serve, re-signed first when needed; None for a list that is not used."""
    if list_number < 1 or list_number > newest_list():
        return None
    now = utcnow()
    row = db.session.get(StatusListCredential, (list_number, str(purpose)))
    if not needs_resigning(row, now):
        return row.signed_jwt
    with write_transaction():
        row = _lock(purpose, list_number)
        if needs_resigning(row, now):
            row = sign(purpose, list_number, now)
        token = row.signed_jwt
        db.session.commit()
    return token


def resign_all() -> int:
    """After a key rotation, or daily from cron: every list signed afresh."""
    now = utcnow()
    newest = newest_list()
    with write_transaction():
        for list_number in range(1, newest + 1):
            for purpose in StatusPurpose:
                sign(purpose, list_number, now)
        db.session.commit()
    return newest * len(StatusPurpose)
