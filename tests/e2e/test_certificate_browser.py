"""A candidate passes the exam, downloads the certificate; a logged-out client verifies it."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect

from tests import factories
from tests.e2e.conftest import start_exam

ARTIFACTS = Path(__file__).parent / "artifacts"


def test_pass_download_and_verify_as_a_client(live_server, browser, tmp_path):
    app, base = live_server
    ARTIFACTS.mkdir(exist_ok=True)
    with app.app_context():
        course = factories.make_course(
            slug="corso", modules=1, lessons_per_module=1, certificate_validity_months=24
        )
        factories.make_exam(course)
        user = factories.make_user(email="candidata@example.org", name="Chiara Galli")
        factories.make_enrollment(user, course)
    page = browser.new_page(viewport={"width": 390, "height": 844}, accept_downloads=True)
    start_exam(page, base, "candidata@example.org")
    questions = page.locator(".question fieldset")
    for n in range(questions.count()):
        questions.nth(n).locator("label", has_text="Giusta").click()
    expect(page.locator(".save-status")).to_have_text("Salvato")
    page.click("text=Consegna l'esame")
    page.wait_for_selector(".certificate-ready")
    page.screenshot(path=str(ARTIFACTS / "certificate-1-result.png"), full_page=True)
    code = page.locator(".certificate-ready").inner_text().split("codice ")[1][:14]

    with page.expect_download() as download:
        page.click(".certificate-ready >> text=Scarica il PDF")
    pdf = tmp_path / "certificato.pdf"
    download.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF-")

    page.goto(f"{base}/certificates/")
    expect(page.locator(".status-banner")).to_contain_text("Valido")
    page.screenshot(path=str(ARTIFACTS / "certificate-2-mine.png"), full_page=True)

    client = browser.new_page(viewport={"width": 1280, "height": 900})
    client.goto(f"{base}/verify/{code}")
    expect(client.locator(".status-banner")).to_contain_text("Valido")
    expect(client.locator(".holder-name")).to_have_text("Chiara Galli")
    assert "candidata@example.org" not in client.content()
    assert client.locator("text=Aggiungi a LinkedIn").count() == 0
    client.screenshot(path=str(ARTIFACTS / "certificate-3-verify.png"), full_page=True)

    client.goto(f"{base}/verify")
    client.set_input_files("#document", str(pdf))
    client.click("text=Controlla il file")
    expect(client.locator(".status-banner")).to_contain_text("Valido")
    expect(client.locator("main")).to_contain_text("Chiara Galli")
    client.screenshot(path=str(ARTIFACTS / "certificate-4-upload.png"), full_page=True)
