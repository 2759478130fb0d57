"""The signed credential, checked by an independent verifier (openbadgeslib) over real HTTP.

The app is served on a loopback port; the verifier resolves did:web:lms.test and the status
lists through a fetcher that sends https://lms.test/... to that server instead of the internet.
"""

from __future__ import annotations

import threading
import urllib.request
from datetime import timedelta
from urllib.parse import urlsplit

import jwt
import pytest
from openbadgeslib.ob3.verifier import OB3VerificationError, OB3Verifier
from werkzeug.serving import make_server

from lms.extensions import db
from lms.models import Certificate, StatusListCredential, utcnow
from lms.services import certificates, issuer_keys, status_lists
from tests import factories

DID = "did:web:lms.test"


@pytest.fixture
def app(make_app):
    """Served as https://lms.test, as did:web requires (tests reach it on loopback)."""
    return make_app(PUBLIC_BASE_URL="https://lms.test")


@pytest.fixture
def served(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    fetched: list[str] = []

    def download(url: str) -> bytes:
        parts = urlsplit(url)
        assert (parts.scheme, parts.netloc) == ("https", "lms.test"), url
        fetched.append(parts.path)
        local = f"http://127.0.0.1:{server.server_port}{parts.path}"
        with urllib.request.urlopen(local, timeout=5) as response:  # noqa: S310 - loopback
            return response.read()

    yield download, fetched
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def cert(app):
    with app.app_context():
        course = factories.make_course(slug="corso", title="Assistente Virtuale", hours=20)
        holder = factories.make_user(email="anna@example.org", name="Anna Verdi")
        certificate = factories.make_certificate(holder, course)
        return {"id": certificate.id, "code": certificate.display_code}


def _token(client, code: str) -> str:
    response = client.get(f"/verify/{code}.jwt")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _verify(token: str, download) -> None:
    verifier = OB3Verifier.for_issuer_did(DID, download=download)
    verifier.verify(token, check_status=True, download=download)


def test_independent_verifier_accepts_then_rejects_after_revocation(app, client, cert, served):
    download, fetched = served
    token = _token(client, cert["code"])
    header = jwt.get_unverified_header(token)
    assert header == {"alg": "EdDSA", "kid": f"{DID}#key-1", "typ": "JWT"}
    credential = OB3Verifier.for_issuer_did(DID, download=download).verify(
        token, check_status=True, download=download
    )
    assert credential.issuer.id == DID
    assert "/.well-known/did.json" in fetched
    assert "/status/revocation/1" in fetched and "/status/suspension/1" in fetched

    with app.app_context():
        certificates.change_status(None, cert["id"], "revoke", "Violazione del codice", None)
    with pytest.raises(OB3VerificationError, match="revocation"):
        _verify(token, download)

    with app.app_context():
        certificates.change_status(None, cert["id"], "reinstate", "Errore materiale", None)
    with pytest.raises(OB3VerificationError, match="revocation"):
        _verify(token, download)  # a revocation is final for the credential it revoked
    reinstated = _token(client, cert["code"])
    assert reinstated != token
    _verify(reinstated, download)  # the reinstated certificate has a new credential

    with app.app_context():
        certificates.change_status(None, cert["id"], "suspend", "Controllo", None)
    with pytest.raises(OB3VerificationError, match="suspension"):
        _verify(reinstated, download)


def test_status_lists_are_resigned_on_change_and_expire_within_days(app, client, cert):
    first = client.get("/status/revocation/1")
    assert first.status_code == 200
    assert first.mimetype == "application/vc+jwt"
    body = jwt.decode(first.get_data(as_text=True), options={"verify_signature": False})
    assert body["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert body["credentialSubject"]["statusPurpose"] == "revocation"
    assert body["exp"] - body["nbf"] <= 7 * 24 * 3600
    with app.app_context():
        before = db.session.get(StatusListCredential, (1, "revocation")).signed_jwt
        certificates.change_status(None, cert["id"], "revoke", "x", None)
        assert db.session.get(StatusListCredential, (1, "revocation")).signed_jwt != before
    assert client.get("/status/revocation/2").status_code == 404
    assert client.get("/status/other/1").status_code == 404


def test_a_stale_status_list_is_resigned_when_fetched(app, client, cert):
    client.get("/status/revocation/1")
    with app.app_context():
        row = db.session.get(StatusListCredential, (1, "revocation"))
        row.valid_until = utcnow() + timedelta(hours=2)  # past half of its life
        db.session.commit()
    token = client.get("/status/revocation/1").get_data(as_text=True)
    body = jwt.decode(token, options={"verify_signature": False})
    assert body["exp"] > (utcnow() + timedelta(days=6)).timestamp()


def test_bitstring_encoding_follows_the_spec():
    encoded = status_lists.encode_bitstring([0, 9, 131071], 131072)
    from openbadgeslib.ob3.status import decode_encoded_list, set_indices

    assert encoded.startswith("u")
    assert set(set_indices(decode_encoded_list(encoded))) == {0, 9, 131071}


def test_key_rotation_keeps_old_credentials_valid_and_retiring_resigns_them(
    app, client, cert, served
):
    download, _fetched = served
    old_token = _token(client, cert["code"])
    runner = app.test_cli_runner()
    result = runner.invoke(args=["lms", "rotate-issuer-key"])
    assert result.exit_code == 0, result.output
    assert "key-2" in result.output
    document = client.get("/.well-known/did.json").get_json()
    assert [m["id"] for m in document["verificationMethod"]] == [f"{DID}#key-2", f"{DID}#key-1"]
    _verify(old_token, download)  # signed by key-1, still published; lists signed by key-2
    with app.app_context():
        user = factories.make_user(email="nuova@example.org", name="Nuova")
        course = db.session.get(Certificate, cert["id"]).course_id
        from lms.models import Course

        newer = factories.make_certificate(user, db.session.get(Course, course))
        newer_code = newer.display_code
    assert jwt.get_unverified_header(_token(client, newer_code))["kid"] == f"{DID}#key-2"

    result = runner.invoke(args=["lms", "rotate-issuer-key", "--retire", "key-1"])
    assert result.exit_code == 0, result.output
    assert "1 credentials re-signed" in result.output  # the other one was signed by key-2
    with pytest.raises(OB3VerificationError):
        _verify(old_token, download)  # key-1 is no longer published
    fresh = _token(client, cert["code"])
    assert jwt.get_unverified_header(fresh)["kid"] == f"{DID}#key-3"
    _verify(fresh, download)
    page = client.get(f"/verify/{cert['code']}.json").get_json()
    assert {c["check"]: c["detail"] for c in page["checks"]}["signature"] == f"{DID}#key-3"


def test_the_signing_key_is_generated_once_privately(app):
    with app.app_context():
        first = issuer_keys.signing_key()
        again = issuer_keys.signing_key()
        assert first.fragment == again.fragment == "key-1"
        path = issuer_keys._key_dir() / "key-1.pem"
        assert path.stat().st_mode & 0o777 == 0o600
        with pytest.raises(ValueError):
            issuer_keys.retire("key-1")


def test_cli_issue_revoke_and_reinstate(app, cert):
    runner = app.test_cli_runner()
    with app.app_context():
        factories.make_user(email="mario@example.org", name="Mario Rossi")
    email = "mario@example.org"
    result = runner.invoke(
        app.cli,
        ["lms", "issue-certificate", "--email", email, "--course", "corso", "--reason", "x"],
    )
    assert result.exit_code == 0, result.output
    code = result.output.split()[1]
    result = runner.invoke(args=["lms", "revoke-certificate", code, "--reason", "Frode"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert certificates.find_by_code(code).revoked_reason == "Frode"
    result = runner.invoke(
        app.cli,
        ["lms", "issue-certificate", "--email", email, "--course", "corso", "--reason", "x"],
    )
    assert result.exit_code != 0 and "revoked" in result.output
    result = runner.invoke(args=["lms", "reinstate-certificate", code, "--reason", "Errore"])
    assert result.exit_code == 0
    result = runner.invoke(args=["lms", "revoke-certificate", "ZZZZ-ZZZZ-ZZZZ", "--reason", "x"])
    assert result.exit_code != 0 and "no certificate" in result.output


def _bits(client, purpose: str) -> set[int]:
    from openbadgeslib.ob3.status import decode_encoded_list, set_indices

    token = client.get(f"/status/{purpose}/1").get_data(as_text=True)
    body = jwt.decode(token, options={"verify_signature": False})
    return set(set_indices(decode_encoded_list(body["credentialSubject"]["encodedList"])))


def test_simultaneous_revocations_all_reach_the_signed_list(app, client):
    with app.app_context():
        course = factories.make_course(slug="molti")
        ids = [
            factories.make_certificate(factories.make_user(email=f"p{n}@example.org"), course).id
            for n in range(6)
        ]
    barrier = threading.Barrier(len(ids))
    failures = []

    def revoke(certificate_id):
        with app.app_context():
            barrier.wait()
            try:
                certificates.change_status(None, certificate_id, "revoke", "insieme", None)
            except Exception as error:  # noqa: BLE001 - collected and asserted below
                failures.append(error)

    threads = [threading.Thread(target=revoke, args=(i,)) for i in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    with app.app_context():
        slots = {db.session.get(Certificate, i).status_index for i in ids}
    assert _bits(client, "revocation") == slots


def test_first_fetches_of_a_new_list_at_once_all_succeed(app, cert):
    barrier = threading.Barrier(6)
    statuses = []

    def fetch():
        client = app.test_client()
        barrier.wait()
        statuses.append(client.get("/status/suspension/1").status_code)

    threads = [threading.Thread(target=fetch) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * 6


def test_no_new_key_is_made_silently_once_credentials_exist(app, cert):
    with app.app_context():
        for path in issuer_keys._key_dir().glob("key-*.pem"):
            path.unlink()
        with pytest.raises(issuer_keys.IssuerKeyMissing):
            issuer_keys.signing_key()
