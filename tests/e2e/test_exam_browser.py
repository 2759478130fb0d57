"""The exam page in a real browser: answers autosave as they are given and survive a reload."""

from __future__ import annotations

from playwright.sync_api import expect
from sqlalchemy import select

from lms.extensions import db
from lms.models import ExamAnswer
from tests import factories
from tests.e2e.conftest import start_exam


def test_exam_autosaves_and_resumes(live_server, browser, tmp_path):
    app, base = live_server
    with app.app_context():
        course = factories.make_course(slug="corso", modules=1, lessons_per_module=1)
        factories.make_exam(course)
        user = factories.make_user(email="candidata@example.org")
        factories.make_enrollment(user, course)
    page = browser.new_page(viewport={"width": 390, "height": 844})
    start_exam(page, base, "candidata@example.org")
    clock = page.locator(".countdown").inner_text()
    assert clock.startswith(("30:", "29:"))

    radios = page.locator(".question fieldset").nth(0).locator("input[type=radio]")
    radios.nth(1).check()
    page.locator(".question fieldset").nth(1).locator("input[type=radio]").nth(0).check()
    # (wait_for_function would need eval, which the page's CSP rightly forbids)
    expect(page.locator(".save-status")).to_have_text("Salvato")
    with app.app_context():
        assert len(db.session.scalars(select(ExamAnswer)).all()) == 2

    page.reload()  # a closed tab, a crash: the same attempt comes back with its answers
    page.wait_for_selector(".exam-form")
    assert (
        page.locator(".question fieldset").nth(0).locator("input[type=radio]").nth(1).is_checked()
    )
    assert (
        page.locator(".question fieldset").nth(1).locator("input[type=radio]").nth(0).is_checked()
    )
    page.click("text=Consegna l'esame")
    page.wait_for_selector("text=Per argomento")
    page.screenshot(path=str(tmp_path / "exam-result.png"))
    assert "Tentativo 1" in page.content()
