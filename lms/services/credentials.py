"""Open Badges 3.0 credentials as VC-JWTs, and the Bitstring Status Lists that revoke them.

The JWT payload is the credential itself (OB 3.0 §8.2.4.1) with `iss`, `nbf`, `jti` beside it;
the header's `kid` is the DID URL of the key, so any verifier can resolve it through did:web.
"""

from __future__ import annotations

import base64
import gzip
from datetime import datetime, timedelta
from typing import Any

import jwt
from flask import current_app
from sqlalchemy import select

from lms.extensions import db
from lms.models import Certificate, StatusListCredential, StatusPurpose
from lms.services import issuer_keys
from lms.services.links import external_url

OB3_CONTEXT = [
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
]
MEDIA_TYPE = "application/vc+jwt"


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _sign(payload: dict[str, Any]) -> str:
    key = issuer_keys.signing_key()
    return jwt.encode(
        payload,
        key.private_key,
        algorithm="EdDSA",
        headers={"kid": f"{issuer_keys.issuer_did()}#{key.fragment}", "typ": "JWT"},
    )


def status_list_url(purpose: str, list_number: int) -> str:
    return external_url("verify.status_list", purpose=purpose, list_number=list_number)


def credential_payload(certificate: Certificate, course_slug: str) -> dict[str, Any]:
    """The OpenBadgeCredential for the certificate's current edition (no email: only the name)."""
    did = issuer_keys.issuer_did()
    credential_id = external_url("verify.certificate", code=certificate.display_code)
    achievement = {
        "id": external_url("catalog.course", slug=course_slug) + "#certificate",
        "type": ["Achievement"],
        "achievementType": "Certificate",
        "name": certificate.course_title,
        "description": certificate.course_title,
        "criteria": {"narrative": "Completed the course and passed its final certification exam."},
        "humanCode": certificate.display_code,
    }
    if certificate.course_hours:
        achievement["creditsAvailable"] = certificate.course_hours
    payload: dict[str, Any] = {
        "@context": OB3_CONTEXT,
        "id": credential_id,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": certificate.course_title,
        "issuer": {
            "id": did,
            "type": ["Profile"],
            "name": certificate.issuer_name,
            "url": current_app.config["PUBLIC_BASE_URL"] + "/",
        },
        "validFrom": _iso(certificate.issued_at),
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [
                {
                    "type": "IdentityObject",
                    "identityType": "name",
                    "hashed": False,
                    "identityHash": certificate.holder_name,
                }
            ],
            "achievement": achievement,
        },
        "credentialStatus": [
            _status_entry(purpose, certificate.status_list, certificate.status_index)
            for purpose in StatusPurpose
        ],
        "iss": did,
        "jti": credential_id,
        "nbf": int(certificate.issued_at.timestamp()),
        "iat": int(certificate.issued_at.timestamp()),
    }
    if certificate.expires_at is not None:
        payload["validUntil"] = _iso(certificate.expires_at)
        payload["exp"] = int(certificate.expires_at.timestamp())
    return payload


def _status_entry(purpose: str, list_number: int, index: int) -> dict[str, str]:
    url = status_list_url(purpose, list_number)
    return {
        "id": f"{url}#{index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": str(purpose),
        "statusListIndex": str(index),
        "statusListCredential": url,
    }


def sign_credential(certificate: Certificate, course_slug: str) -> str:
    return _sign(credential_payload(certificate, course_slug))


def check_signature(token: str) -> str | None:
    """The DID URL of the published key that signed `token`, or None if no published key did."""
    try:
        kid = jwt.get_unverified_header(token).get("kid", "")
    except jwt.PyJWTError:
        return None
    did = issuer_keys.issuer_did()
    for key in issuer_keys.published_keys():
        if kid == f"{did}#{key.fragment}":
            try:
                jwt.decode(
                    token,
                    key.private_key.public_key(),
                    algorithms=["EdDSA"],
                    options={"verify_exp": False, "verify_nbf": False, "verify_iat": False},
                )
            except jwt.PyJWTError:
                return None
            return kid
    return None


def key_fragment_of(token: str) -> str:
    try:
        return jwt.get_unverified_header(token).get("kid", "").rpartition("#")[2]
    except jwt.PyJWTError:
        return ""


# Status lists ----------------------------------------------------------------------------------


def encode_bitstring(indexes: list[int], size_bits: int) -> str:
    """Multibase base64url (no padding) of the GZIP'd bitstring; bit 0 is the first byte's MSB."""
    bits = bytearray(size_bits // 8)
    for index in indexes:
        bits[index // 8] |= 0x80 >> (index % 8)
    packed = gzip.compress(bytes(bits), mtime=0)
    return "u" + base64.urlsafe_b64encode(packed).rstrip(b"=").decode()


def _set_indexes(purpose: str, list_number: int) -> list[int]:
    column = (
        Certificate.revoked_at if purpose == StatusPurpose.REVOCATION else Certificate.suspended_at
    )
    return list(
        db.session.scalars(
            select(Certificate.status_index).where(
                Certificate.status_list == list_number, column.is_not(None)
            )
        )
    )


def sign_status_list(purpose: str, list_number: int, now: datetime) -> StatusListCredential:
    """(Re-)sign one list in the caller's transaction, valid for STATUS_LIST_VALID_DAYS."""
    url = status_list_url(purpose, list_number)
    did = issuer_keys.issuer_did()
    valid_until = now + timedelta(days=current_app.config["STATUS_LIST_VALID_DAYS"])
    payload = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": did,
        "validFrom": _iso(now),
        "validUntil": _iso(valid_until),
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": str(purpose),
            "encodedList": encode_bitstring(
                _set_indexes(purpose, list_number), current_app.config["STATUS_LIST_BITS"]
            ),
        },
        "iss": did,
        "jti": url,
        "nbf": int(now.timestamp()),
        "iat": int(now.timestamp()),
        "exp": int(valid_until.timestamp()),
    }
    row = db.session.get(StatusListCredential, (list_number, str(purpose)))
    if row is None:
        row = StatusListCredential(list_number=list_number, purpose=str(purpose))
        db.session.add(row)
    row.signed_jwt = _sign(payload)
    row.signed_at = now
    row.valid_until = valid_until
    return row


def needs_resigning(row: StatusListCredential | None, now: datetime) -> bool:
    """Missing, or past half its life, or signed by a key that is no longer the signing key."""
    if row is None:
        return True
    half_life = timedelta(days=current_app.config["STATUS_LIST_VALID_DAYS"]) / 2
    fragment = issuer_keys.signing_key().fragment
    return row.valid_until - now < half_life or key_fragment_of(row.signed_jwt) != fragment
