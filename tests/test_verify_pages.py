"""The public verification pages: every status, code spellings, privacy, rate limit, upload."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from werkzeug.test import EnvironBuilder

from lms.extensions import db
from lms.models import Certificate, Course, User
from lms.services import certificates
from tests import factories
from tests.conftest import login

ISSUED = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)


@pytest.fixture
def cert(app):
    """A certificate issued on ISSUED, valid 24 months, held by Anna Verdi."""
    with app.app_context():
        course = factories.make_course(
            slug="corso", title="Assistente Virtuale", certificate_validity_months=24, hours=20
        )
        holder = factories.make_user(email="anna.verdi@example.org", name="Anna Verdi")
        certificate = factories.make_certificate(holder, course, now=ISSUED)
        return {"id": certificate.id, "code": certificate.display_code, "raw": certificate.code}


def _page(client, code):
    return client.get(f"/verify/{code}")


def _json(client, code):
    return client.get(f"/verify/{code}.json")


def test_valid_certificate_page_and_json(client, cert):
    with time_machine.travel(ISSUED + timedelta(days=30)):
        response = _page(client, cert["code"])
        assert response.status_code == 200
        page = response.get_data(as_text=True)
        assert "status-valid" in page
        for text in ("Anna Verdi", "Assistente Virtuale", cert["code"], "Accademia"):
            assert text in page
        assert "anna.verdi@example.org" not in page
        assert f"/verify/{cert['code']}.pdf" in page
        assert f"/verify/{cert['code']}.jwt" in page
        assert "linkedin.com" not in page  # only the holder gets the LinkedIn button
        data = _json(client, cert["code"]).get_json()
    assert data["status"] == "valid"
    assert data["holder"] == {"name": "Anna Verdi"}
    assert data["course"] == {"title": "Assistente Virtuale", "hours": 20}
    assert data["issued_at"] == "2026-03-10T10:00:00Z"
    assert data["expires_at"].startswith("2028-03-")
    assert data["issuer"]["id"] == "did:web:lms.test"
    assert {check["check"]: check["passed"] for check in data["checks"]} == {
        "register": True,
        "signature": True,
        "revocation": True,
        "suspension": True,
        "expiry": True,
    }
    assert "anna.verdi@example.org" not in str(data)


def test_expired_certificate_shows_the_date(client, cert):
    with time_machine.travel(ISSUED + timedelta(days=800)):
        page = _page(client, cert["code"]).get_data(as_text=True)
        data = _json(client, cert["code"]).get_json()
    assert "status-expired" in page
    assert "2028" in page
    assert data["status"] == "expired"
    assert [c["passed"] for c in data["checks"] if c["check"] == "expiry"] == [False]


def test_revoked_certificate_shows_date_and_reason(app, client, cert):
    with app.app_context():
        certificates.change_status(None, cert["id"], "revoke", "Violazione dell'art. 4", None)
    page = _page(client, cert["code"]).get_data(as_text=True)
    data = _json(client, cert["code"]).get_json()
    assert "status-revoked" in page
    assert "Violazione dell&#39;art. 4" in page
    assert f"/verify/{cert['code']}.pdf" not in page  # no clean copy of a revoked certificate
    assert data["status"] == "revoked"
    assert data["revocation_reason"] == "Violazione dell'art. 4"
    assert data["revoked_at"] is not None


def test_suspended_certificate(app, client, cert):
    with app.app_context():
        certificates.change_status(None, cert["id"], "suspend", "Verifica in corso", None)
    assert "status-suspended" in _page(client, cert["code"]).get_data(as_text=True)
    assert _json(client, cert["code"]).get_json()["status"] == "suspended"


def test_unknown_code_is_not_found_on_page_and_json(client, cert):
    response = _page(client, "AAAA-BBBB-CCCC")
    assert response.status_code == 404
    assert "status-not_found" in response.get_data(as_text=True)
    response = _json(client, "AAAA-BBBB-CCCC")
    assert response.status_code == 404
    assert response.get_json()["status"] == "not_found"
    assert _page(client, "not-a-code").status_code == 404
    assert client.get("/verify/AAAA-BBBB-CCCC.jwt").status_code == 404


def test_codes_match_in_any_case_with_or_without_dashes(client, cert):
    for spelling in (cert["code"].lower(), cert["raw"], cert["raw"].lower()):
        response = _page(client, spelling)
        assert response.status_code == 301
        assert response.headers["Location"].endswith(f"/verify/{cert['code']}")
        assert _json(client, spelling).get_json()["status"] == "valid"
    assert _page(client, cert["code"]).status_code == 200


def test_signed_credential_is_served(client, cert):
    response = client.get(f"/verify/{cert['code']}.jwt")
    assert response.status_code == 200
    assert response.mimetype == "application/vc+jwt"
    assert response.get_data(as_text=True).count(".") == 2
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_lookups_are_rate_limited_per_ip(make_app):
    app = make_app(VERIFY_LIMIT_PER_IP="3 per minute")
    client = app.test_client()
    statuses = [client.get("/verify/AAAA-BBBB-CCCC.json").status_code for _ in range(3)]
    assert statuses == [404, 404, 404]
    assert client.get("/verify/AAAA-BBBB-CCCC").status_code == 429
    other = client.get("/verify/AAAA-BBBB-CCCC", environ_base={"REMOTE_ADDR": "10.1.1.1"})
    assert other.status_code == 404


def test_code_form_redirects_or_shows_the_error_beside_the_field(client, cert):
    response = client.get("/verify", query_string={"code": cert["raw"].lower()})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/verify/{cert['code']}")
    page = client.get("/verify", query_string={"code": "12345"}).get_data(as_text=True)
    assert 'value="12345"' in page
    assert 'id="code-error"' in page
    assert client.get("/verify").status_code == 200


def test_holder_sees_linkedin_with_the_certification_fields(app, client, cert):
    login(client, "anna.verdi@example.org")
    page = client.get(f"/verify/{cert['code']}").get_data(as_text=True)
    start = page.index("https://www.linkedin.com/profile/add?")
    url = page[start : page.index('"', start)].replace("&amp;", "&")
    fields = parse_qs(urlsplit(url).query)
    assert fields["startTask"] == ["CERTIFICATION_NAME"]
    assert fields["name"] == ["Assistente Virtuale"]
    assert fields["organizationName"] == [app.config["ISSUER_NAME"]]
    assert (fields["issueYear"], fields["issueMonth"]) == (["2026"], ["3"])
    assert fields["expirationYear"] == ["2028"]
    assert fields["certId"] == [cert["code"]]
    assert fields["certUrl"] == [f"http://lms.test/verify/{cert['code']}"]


def test_my_certificates_lists_download_share_and_linkedin(app, client, cert):
    login(client, "anna.verdi@example.org")
    page = client.get("/certificates/").get_data(as_text=True)
    assert "Assistente Virtuale" in page
    assert f"http://lms.test/verify/{cert['code']}" in page
    assert f"/verify/{cert['code']}.pdf?download=1" in page
    assert "linkedin.com/profile/add" in page
    with client.get(f"/verify/{cert['code']}.pdf?download=1") as pdf:
        assert pdf.status_code == 200
        assert pdf.mimetype == "application/pdf"
        assert "attachment" in pdf.headers["Content-Disposition"]
        assert pdf.data.startswith(b"%PDF-")
    with app.app_context():
        factories.make_user(email="altro@example.org")
    client.post("/logout")
    login(client, "altro@example.org")
    assert cert["code"] not in client.get("/certificates/").get_data(as_text=True)


def pdf_of(client, code: str) -> bytes:
    with client.get(f"/verify/{code}.pdf") as response:
        assert response.status_code == 200
        return response.data


def _upload(client, data: bytes, name="certificato.pdf"):
    # A large body is spooled to a temporary file: close it, or pytest reports it unclosed.
    builder = EnvironBuilder(
        path="/verify", method="POST", data={"document": (io.BytesIO(data), name)}
    )
    environ = builder.get_environ()
    try:
        return client.open(environ)
    finally:
        environ["wsgi.input"].close()
        builder.close()


def test_upload_confirms_an_issued_pdf_with_its_current_status(app, client, cert):
    pdf = pdf_of(client, cert["code"])
    page = _upload(client, pdf).get_data(as_text=True)
    assert "status-valid" in page
    assert "Anna Verdi" in page
    with app.app_context():
        certificates.change_status(None, cert["id"], "revoke", "Ritirato", None)
    assert "status-revoked" in _upload(client, pdf).get_data(as_text=True)
    assert client.get(f"/verify/{cert['code']}.pdf").status_code == 410  # no clean copy now
    with app.app_context():
        certificates.change_status(None, cert["id"], "reinstate", "Errore", None)
    page = _upload(client, pdf).get_data(as_text=True)  # the first edition's file
    assert "status-valid" in page and "flash-info" in page


def test_upload_of_anything_else_is_not_recognised_never_fake(client, cert):
    pdf = pdf_of(client, cert["code"])
    for data in (pdf + b"\n", b"%PDF-1.7 altro documento", b"not a pdf at all"):
        response = _upload(client, data)
        page = response.get_data(as_text=True)
        assert response.status_code == 200
        assert "status-not_found" in page
        assert "fake" not in page.lower().replace("does not mean it is fake", "")
        assert "Anna Verdi" not in page
    missing = client.post("/verify", data={}, content_type="multipart/form-data")
    assert missing.status_code == 400
    assert 'id="document-error"' in missing.get_data(as_text=True)


def test_upload_larger_than_ten_megabytes_is_refused(client, cert):
    response = _upload(client, b"%PDF-" + b"0" * (10 * 1024 * 1024 + 10))
    assert response.status_code == 413
    assert 'id="document-error"' in response.get_data(as_text=True)


def test_did_document_lists_the_signing_key(client):
    document = client.get("/.well-known/did.json").get_json()
    assert document["id"] == "did:web:lms.test"
    method = document["verificationMethod"][0]
    assert method["id"] == "did:web:lms.test#key-1"
    assert method["publicKeyJwk"]["crv"] == "Ed25519"
    assert "d" not in method["publicKeyJwk"]  # never the private part
    assert document["assertionMethod"] == ["did:web:lms.test#key-1"]


def test_issuer_did_encodes_port_and_path(make_app):
    app = make_app(PUBLIC_BASE_URL="https://example.org:8443/scuola")
    with app.app_context():
        from lms.services import issuer_keys

        assert issuer_keys.issuer_did() == "did:web:example.org%3A8443:scuola"


def test_holder_name_change_does_not_change_the_page(app, client, cert):
    with app.app_context():
        holder = db.session.get(User, db.session.get(Certificate, cert["id"]).user_id)
        holder.name = "Anna Rossi"
        db.session.get(Course, db.session.get(Certificate, cert["id"]).course_id).title = "Altro"
        db.session.commit()
    page = _page(client, cert["code"]).get_data(as_text=True)
    assert "Anna Verdi" in page and "Anna Rossi" not in page


def test_ipv6_callers_share_a_limit_per_64_block(make_app):
    app = make_app(VERIFY_LIMIT_PER_IP="2 per minute")
    client = app.test_client()
    for host in ("2001:db8:1:2::1", "2001:db8:1:2::ffff"):
        response = client.get("/verify/AAAA-BBBB-CCCC.json", environ_base={"REMOTE_ADDR": host})
        assert response.status_code == 404
    same_block = client.get(
        "/verify/AAAA-BBBB-CCCC", environ_base={"REMOTE_ADDR": "2001:db8:1:2::9"}
    )
    assert same_block.status_code == 429
    other_block = client.get(
        "/verify/AAAA-BBBB-CCCC", environ_base={"REMOTE_ADDR": "2001:db8:1:3::1"}
    )
    assert other_block.status_code == 404
