"""The certificate PDF: one page, the right text, its QR code, the credential, no fetches."""

from __future__ import annotations

import hashlib
import io
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pypdfium2
import pytest
import zxingcpp
from pypdf import PdfReader

from lms.extensions import db
from lms.models import Certificate
from lms.services import certificate_pdf
from tests import factories


def _issue(name="Anna Verdi", locale="it", **course_overrides) -> Certificate:
    course = factories.make_course(
        slug="corso",
        title="Assistente Virtuale",
        hours=20,
        certificate_validity_months=24,
        certificate_signer_name="Giulia Ferraris",
        **course_overrides,
    )
    holder = factories.make_user(email="anna@example.org", name=name, locale=locale)
    return factories.make_certificate(holder, course)


def _text(data: bytes) -> str:
    return " ".join(PdfReader(io.BytesIO(data)).pages[0].extract_text().split())


def test_pdf_has_one_page_with_name_code_and_the_attached_credential(app):
    with app.app_context():
        certificate = _issue()
        document, path = certificate_pdf.ensure_pdf(certificate)
        data = path.read_bytes()
        certificate = db.session.get(Certificate, certificate.id)
        reader = PdfReader(io.BytesIO(data))
        assert len(reader.pages) == 1
        width, height = reader.pages[0].mediabox.width, reader.pages[0].mediabox.height
        assert round(float(width) / 72 * 25.4) == 297  # A4 landscape
        assert round(float(height) / 72 * 25.4) == 210
        text = _text(data)
        for expected in ("Anna Verdi", certificate.display_code, "Assistente Virtuale", "20"):
            assert expected in text
        assert "Si certifica che" in text  # the holder's language
        assert document.sha256 == hashlib.sha256(data).hexdigest()
        attached = json.loads(reader.attachments["credential.json"][0])
        assert attached["vc_jwt"] == certificate.credential_jwt
        assert attached["credential"]["credentialSubject"]["identifier"][0]["identityHash"] == (
            "Anna Verdi"
        )
        assert reader.metadata.author == app.config["ISSUER_NAME"]


def test_pdf_in_english_for_an_english_speaking_holder(app):
    with app.app_context():
        certificate = _issue(name="John Smith", locale="en")
        _document, path = certificate_pdf.ensure_pdf(certificate)
        text = _text(path.read_bytes())
        assert "CERTIFICATE" in text.upper() and "This is to certify that" in text
        assert "Si certifica che" not in text


def test_qr_code_decodes_to_the_verify_url(app):
    with app.app_context():
        certificate = _issue()
        _document, path = certificate_pdf.ensure_pdf(certificate)
        code = db.session.get(Certificate, certificate.id).display_code
    page = pypdfium2.PdfDocument(path.read_bytes())[0]
    image = page.render(scale=4).to_pil()
    results = zxingcpp.read_barcodes(image)
    assert [result.text for result in results] == [f"http://lms.test/verify/{code}"]


def test_a_lost_file_renders_again_to_the_same_bytes(app):
    with app.app_context():
        certificate = _issue()
        document, path = certificate_pdf.ensure_pdf(certificate)
        first = path.read_bytes()
        path.unlink()
        again_document, again_path = certificate_pdf.ensure_pdf(
            db.session.get(Certificate, certificate.id)
        )
        assert again_document.id == document.id
        assert again_path.read_bytes() == first


class _Recorder(BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self):  # noqa: N802 - the http.server interface
        _Recorder.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def listener():
    _Recorder.hits = []
    server = HTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def test_a_hostile_holder_name_is_text_and_fetches_nothing(app, listener):
    name = f'<img src="file:///etc/passwd"><img src="{listener}/leak.png">'
    with app.app_context():
        certificate = _issue(name=name)
        _document, path = certificate_pdf.ensure_pdf(certificate)
        text = _text(path.read_bytes())
    assert "file:///etc/passwd" in text  # shown as the text it is
    assert f"{listener}/leak.png" in text
    assert "root:x:0:0" not in text
    assert _Recorder.hits == []


def test_the_fetcher_reads_only_the_design_folder_even_if_the_design_asks(
    make_app, tmp_path, listener
):
    designs = tmp_path / "designs"
    (designs / "evil").mkdir(parents=True)
    (designs / "evil" / "style.css").write_text(
        f'@import url("{listener}/import.css");\nbody {{ background: url("../../secret.png"); }}'
    )
    (tmp_path / "secret.png").write_bytes(b"\x89PNG\r\n\x1a\nsecret")
    (designs / "evil" / "template.html").write_text(
        "<p>{{ c.holder_name }}</p>"
        '<img src="file:///etc/passwd"><img src="' + listener + '/img.png">'
        '<link rel="stylesheet" href="' + listener + '/style.css">'
        '<iframe src="file:///etc/hostname"></iframe>'
    )
    app = make_app(CERTIFICATE_DIR=str(designs))
    with app.app_context():
        certificate = _issue(certificate_design="evil")
        job = certificate_pdf.render_job(certificate)
        data = certificate_pdf.render_pdf(job)
        assert data.startswith(b"%PDF-")
        import weasyprint

        fetcher = certificate_pdf._fetcher_class(weasyprint)(Path(designs / "evil").resolve())
        assert fetcher.fetch((designs / "evil" / "style.css").as_uri()).read()
        for url in (
            "file:///etc/passwd",
            (tmp_path / "secret.png").as_uri(),
            (designs / "evil").as_uri() + "/../../secret.png",
            f"{listener}/direct.png",
            "ftp://127.0.0.1/x",
        ):
            with pytest.raises(ValueError, match="refused"):
                fetcher.fetch(url)
    assert _Recorder.hits == []


def test_a_design_outside_the_designs_folder_is_refused(app):
    with app.app_context(), pytest.raises(certificate_pdf.DesignMissing):
        certificate_pdf.design_dir("../lms")


def test_signature_images_are_checked_and_re_encoded(app, tmp_path):
    with app.app_context():
        with pytest.raises(ValueError):
            certificate_pdf.store_signature(1, b"<svg onload='alert(1)'/>")
        from PIL import Image

        raw = io.BytesIO()
        Image.new("RGB", (3000, 600), "white").save(raw, "JPEG")
        certificate_pdf.store_signature(1, raw.getvalue())
        stored = certificate_pdf.signature_path(1).read_bytes()
        assert stored.startswith(certificate_pdf.PNG_MAGIC)
        with Image.open(io.BytesIO(stored)) as image:
            assert image.size == (1200, 240)


def test_a_lost_file_rendered_differently_keeps_both_fingerprints(app, client):
    with app.app_context():
        certificate = _issue()
        code = certificate.display_code
        first, path = certificate_pdf.ensure_pdf(certificate)
        old_bytes = path.read_bytes()
        path.unlink()
        from PIL import Image

        raw = io.BytesIO()
        Image.new("RGB", (400, 120), "navy").save(raw, "PNG")
        certificate_pdf.store_signature(certificate.course_id, raw.getvalue())
        second, new_path = certificate_pdf.ensure_pdf(db.session.get(Certificate, certificate.id))
        assert second.sha256 != first.sha256
        assert new_path.read_bytes() != old_bytes
    for data in (old_bytes, new_path.read_bytes()):
        page = client.post("/verify", data={"document": (io.BytesIO(data), "c.pdf")}).get_data(
            as_text=True
        )
        assert "status-valid" in page and code in page


def test_a_missing_design_falls_back_to_the_classic_one(app, client):
    with app.app_context():
        certificate = _issue(certificate_design="non-esiste")
        code = certificate.display_code
    with client.get(f"/verify/{code}.pdf") as response:
        assert response.status_code == 200
        assert "Anna Verdi" in _text(response.data)
