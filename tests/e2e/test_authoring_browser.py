"""The lesson editor and the course outline in a real browser: live preview, drag and drop,
the keyboard's arrow buttons."""

from __future__ import annotations

from sqlalchemy import select

from lms.extensions import db
from lms.models import Module
from tests import factories


def _log_in_as_instructor(page, app, base: str) -> dict:
    with app.app_context():
        factories.make_user(email="docente@example.org", role="instructor")
        course = factories.make_course(slug="corso", modules=2, lessons_per_module=2)
        ids = {"lesson": course.modules[0].lessons[0].id, "course": course.id}
    page.goto(f"{base}/login")
    page.fill("#email", "docente@example.org")
    page.fill("#password", factories.PASSWORD)
    page.click("button.button-block")
    return ids


def _order(app, course_id: int) -> list[list[str]]:
    with app.app_context():
        modules = db.session.scalars(
            select(Module).where(Module.course_id == course_id).order_by(Module.position)
        )
        return [[lesson.title for lesson in module.lessons] for module in modules]


def test_the_preview_follows_the_text_and_is_sanitized(live_server, browser):
    app, base = live_server
    page = browser.new_page()
    ids = _log_in_as_instructor(page, app, base)
    page.goto(f"{base}/studio/lessons/{ids['lesson']}")
    page.fill(
        "#body_md", "Un **testo forte**\n\n- primo\n- secondo\n\n<img src=x onerror=alert(1)>"
    )
    page.wait_for_selector("#markdown-preview strong")
    preview = page.inner_html("#markdown-preview")
    assert "<strong>testo forte</strong>" in preview and "<li>secondo</li>" in preview
    assert "onerror" not in preview


def test_drag_and_drop_and_arrow_buttons_reorder_the_course(live_server, browser):
    app, base = live_server
    page = browser.new_page()
    ids = _log_in_as_instructor(page, app, base)
    page.goto(f"{base}/studio/courses/corso/content")
    # Drag the last lesson of module 2 onto the first lesson of module 1.
    page.locator(".content-lesson", has_text="Lezione 2.2").drag_to(
        page.locator(".content-lesson", has_text="Lezione 1.1"),
        target_position={"x": 20, "y": 2},
    )
    page.wait_for_selector("#order-status:has-text('Nuovo ordine salvato.')")
    assert _order(app, ids["course"]) == [
        ["Lezione 2.2", "Lezione 1.1", "Lezione 1.2"],
        ["Lezione 2.1"],
    ]
    # With the keyboard: focus the "down" arrow of Lezione 1.2 and press Enter.
    page.focus("button[aria-label='Sposta giù “Lezione 1.2”']")
    page.keyboard.press("Enter")
    page.wait_for_url("**#lesson-*")
    assert _order(app, ids["course"]) == [
        ["Lezione 2.2", "Lezione 1.1"],
        ["Lezione 1.2", "Lezione 2.1"],
    ]
    focused = page.evaluate("document.activeElement.id")
    assert focused.startswith("lesson-")  # the keyboard stays on the moved lesson
