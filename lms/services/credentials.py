"""Open Badges 3.0 credentials as VC-JWTs, and the Bitstring Status Lists that revoke them.

The JWT payload is the credential itself (OB 3.0 §8.2.4.1) with `iss`, `nbf`, `jti` beside it;
the header's `kid` is the DID URL of the key, so any verifier can resolve it through did:web.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from functools import lru_cache
from typing import Any

import jwt
from flask import current_app

from lms.models import Certificate, StatusPurpose
from lms.services import issuer_keys
from lms.services.links import external_url

OB3_CONTEXT = [
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
]
MEDIA_TYPE = "application/vc+jwt"


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def sign_payload(payload: dict[str, Any]) -> str:
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
    # One id per credential ever signed: an edition or a new status slot is a new credential.
    credential_id = "urn:uuid:" + str(
        uuid.uuid5(
            uuid.NAMESPACE_URL,
            f"{external_url('verify.certificate', code=certificate.display_code)}"
            f"/{certificate.edition}/{certificate.status_list}/{certificate.status_index}",
        )
    )
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
        "validFrom": iso(certificate.issued_at),
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
        payload["validUntil"] = iso(certificate.expires_at)
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
    return sign_payload(credential_payload(certificate, course_slug))


def check_signature(token: str) -> str | None:
    """The DID URL of the published key that signed `token`, or None if no published key did."""
    return _verified_kid(token, issuer_keys.issuer_did(), issuer_keys.published_keys())


@lru_cache(maxsize=4096)
def _verified_kid(token: str, did: str, keys: tuple[issuer_keys.IssuerKey, ...]) -> str | None:
    """Cached per token and loaded key set (reloaded keys are new objects, so a new entry): a
    stored credential never changes, and parsing it costs more than checking the signature."""
    try:
        kid = jwt.get_unverified_header(token).get("kid", "")
    except jwt.PyJWTError:
        return None
    for key in keys:
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
