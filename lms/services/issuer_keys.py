"""The issuer's Ed25519 signing keys and its did:web identity.

Keys live as `key-N.pem` in ISSUER_KEY_DIR (generated once, mode 600). The highest N signs; older
keys stay published in did.json so credentials they signed still verify, until they are retired.
"""

from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import quote, urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import current_app
from jwt.algorithms import OKPAlgorithm
from sqlalchemy import select

from lms.extensions import db
from lms.models import Certificate

_KEY_FILE = re.compile(r"^key-(\d+)\.pem$")


@dataclass(frozen=True)
class IssuerKey:
    fragment: str  # "key-3"
    private_key: Ed25519PrivateKey

    @property
    def number(self) -> int:
        return int(self.fragment.removeprefix("key-"))

    def public_jwk(self) -> dict[str, str]:
        jwk = OKPAlgorithm.to_jwk(self.private_key.public_key(), as_dict=True)
        return {"kty": jwk["kty"], "crv": jwk["crv"], "x": jwk["x"]}


def issuer_did() -> str:
    """did:web of PUBLIC_BASE_URL: the port's colon is percent-encoded, path parts become `:`."""
    base = urlsplit(current_app.config["PUBLIC_BASE_URL"])
    parts = [quote(base.netloc, safe="")]
    parts += [quote(part, safe="") for part in base.path.split("/") if part]
    return "did:web:" + ":".join(parts)


def _key_dir() -> Path:
    return Path(current_app.config["ISSUER_KEY_DIR"])


def _write_new_key(directory: Path, number: int) -> bool:
    """Create key-N.pem atomically; False if another process created that number first."""
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    temporary = directory / f".key.{os.getpid()}.{secrets.token_hex(4)}"
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    try:
        os.link(temporary, directory / f"key-{number}.pem")
        return True
    except FileExistsError:
        return False
    finally:
        temporary.unlink()


def _numbers(directory: Path) -> list[int]:
    if not directory.is_dir():
        return []
    found = (_KEY_FILE.match(path.name) for path in directory.iterdir())
    return sorted(int(match.group(1)) for match in found if match)


@lru_cache(maxsize=8)
def _load(directory: str, _version: int) -> tuple[IssuerKey, ...]:
    """Keys newest first; `_version` (the folder's mtime) reloads them after a rotation."""
    keys = []
    for number in reversed(_numbers(Path(directory))):
        pem = (Path(directory) / f"key-{number}.pem").read_bytes()
        private_key = serialization.load_pem_private_key(pem, password=None)
        if not isinstance(private_key, Ed25519PrivateKey):
            raise ValueError(f"key-{number}.pem is not an Ed25519 private key")
        keys.append(IssuerKey(f"key-{number}", private_key))
    return tuple(keys)


class IssuerKeyMissing(RuntimeError):
    """Credentials were signed, but no key is found: a wrong ISSUER_KEY_DIR or a lost folder."""


def published_keys() -> tuple[IssuerKey, ...]:
    """Every key still published, the signing one first (created on first use).

    A fresh key is made only while nothing was ever signed: otherwise a new `key-1` would
    silently break every credential issued before (and differ on each app server).
    """
    directory = _key_dir()
    try:  # one stat per call; the folder is listed again only when its mtime moves
        keys = _load(str(directory), directory.stat().st_mtime_ns)
    except FileNotFoundError:
        keys = ()
    if keys:
        return keys
    if not _numbers(directory):
        signed = select(Certificate.id).where(Certificate.credential_jwt != "").limit(1)
        if db.session.scalar(signed) is not None:
            raise IssuerKeyMissing(
                f"no signing key in {directory}, but certificates exist: restore the folder "
                "from backup or point ISSUER_KEY_DIR at the shared one"
            )
        _write_new_key(directory, 1)
    return _load(str(directory), directory.stat().st_mtime_ns)


def signing_key() -> IssuerKey:
    return published_keys()[0]


def rotate() -> IssuerKey:
    """Make a new signing key; the old ones stay published for what they already signed."""
    directory = _key_dir()
    while not _write_new_key(directory, (_numbers(directory) or [0])[-1] + 1):
        pass
    return signing_key()


def check_retirable(fragment: str) -> Path:
    if fragment == signing_key().fragment:
        raise ValueError("the signing key cannot be retired: rotate first")
    path = _key_dir() / f"{fragment}.pem"
    if not _KEY_FILE.match(path.name) or not path.exists():
        raise LookupError(fragment)
    return path


def retire(fragment: str) -> None:
    """Stop publishing a key (e.g. one that leaked); the signing key cannot be retired."""
    path = check_retirable(fragment)
    retired = _key_dir() / "retired"
    retired.mkdir(exist_ok=True, mode=0o700)
    path.rename(retired / path.name)


def did_document() -> dict:
    did = issuer_did()
    methods = [
        {
            "id": f"{did}#{key.fragment}",
            "type": "JsonWebKey2020",
            "controller": did,
            "publicKeyJwk": key.public_jwk(),
        }
        for key in published_keys()
    ]
    return {
        "@context": [
            "https://www.w3.org/ns/did/v1",
            "https://w3id.org/security/suites/jws-2020/v1",
        ],
        "id": did,
        "verificationMethod": methods,
        "assertionMethod": [method["id"] for method in methods],
    }
