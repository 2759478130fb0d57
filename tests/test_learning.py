"""The course player: access by direct URL, progress, drip and sequential gating, completion."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import func, select

from lms.extensions import db
from lms.models import Attachment, LessonProgress, utcnow
from lms.services import catalog, learning
from tests import factories
from tests.conftest import login

ROLES = ["anonymous", "other_student", "refunded", "revoked", "suspended", "enrolled", "instructor"]


@pytest.fixture
def world(app, tmp_path):
    """2 modules x 2 lessons (the first a preview), a quiz on module 1, an attachment."""
    with app.app_context():
        course = factories.make_course(slug="corso", modules=2, lessons_per_module=2)
        first = course.modules[0].lessons[0]
        first.is_preview = True
        quiz = factories.make_quiz(course, course.modules[0])
        folder = Path(app.config["FILES_DIR"]) / "attachments"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "a1b2c3.pdf").write_bytes(b"%PDF-1.4 checklist")
        file = Attachment(
            lesson_id=course.modules[0].lessons[1].id,
            filename="checklist.pdf",
            stored_name="a1b2c3.pdf",
            content_type="application/pdf",
            size=18,
        )
        db.session.add(file)
        db.session.commit()
        for role in ROLES[1:]:
            user = factories.make_user(
                email=f"{role}@example.org",
                role="instructor" if role == "instructor" else "student",
            )
            if role in ("refunded", "revoked", "suspended", "enrolled"):
                factories.make_enrollment(
                    user, course, status="active" if role == "enrolled" else role
                )
        return {"quiz": quiz.id, "attachment": file.id, "course": course.id}


def _client(app, role):
    client = app.test_client()
    if role != "anonymous":
        assert login(client, f"{role}@example.org").status_code == 302
    return client


def test_access_by_direct_url_for_every_role(app, world):
    quiz_id, file_id = world["quiz"], world["attachment"]
    routes = {
        "preview lesson": ("get", "/learn/corso/lezione-1-1"),
        "lesson": ("get", "/learn/corso/lezione-1-2"),
        "attachment": ("get", f"/learn/corso/lezione-1-2/files/{file_id}"),
        "mark done": ("post", "/learn/corso/lezione-1-2/done"),
        "quiz": ("get", f"/learn/corso/quiz/{quiz_id}"),
        "quiz submit": ("post", f"/learn/corso/quiz/{quiz_id}", {"attempt": "1"}),
        "quiz result": ("get", f"/learn/corso/quiz/{quiz_id}/attempts/1"),
    }
    anonymous_login = {"attachment", "mark done", "quiz", "quiz submit", "quiz result"}
    for role in ROLES:
        client = _client(app, role)
        for name, (method, path, *data) in routes.items():
            response = getattr(client, method)(path, data=data[0] if data else None)
            code = response.status_code
            response.close()
            if name == "preview lesson":
                expected = 200
            elif role == "anonymous":
                expected = 302 if name in anonymous_login else 403
            elif role in ("enrolled", "instructor"):
                expected = {
                    "mark done": 302 if role == "enrolled" else 403,
                    "quiz submit": 303,
                }.get(name, 200)
            else:
                expected = 403
            assert code == expected, (role, name, code)
    # The file itself: only for who may see it.
    enrolled = _client(app, "enrolled")
    with enrolled.get(f"/learn/corso/lezione-1-2/files/{file_id}") as response:
        assert response.data == b"%PDF-1.4 checklist"
        assert "attachment; filename=checklist.pdf" in response.headers["Content-Disposition"]


def test_course_home_shows_progress_and_continue(app, world):
    client = _client(app, "enrolled")
    page = client.get("/learn/corso/").get_data(as_text=True)
    assert "0% completato" in page and "Inizia il corso" in page
    client.post("/learn/corso/lezione-1-1/done")
    client.post("/learn/corso/lezione-1-1/done")  # twice is once
    page = client.get("/learn/corso/").get_data(as_text=True)
    assert "20% completato" in page  # 1 of 4 lessons + 1 quiz
    assert "Riprendi da dove eri rimasto" in page and 'href="/learn/corso/lezione-1-2"' in page
    with app.app_context():
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(LessonProgress)
                .where(LessonProgress.completed_at.is_not(None))
            )
            == 1
        )
    # Not enrolled: the course home sends to the public page.
    other = _client(app, "other_student")
    assert other.get("/learn/corso/").headers["Location"] == "/courses/corso"


def test_lesson_page_has_outline_prev_next_and_reading_time(app, world):
    client = _client(app, "enrolled")
    page = client.get("/learn/corso/lezione-1-2").get_data(as_text=True)
    assert 'rel="prev" href="/learn/corso/lezione-1-1"' in page
    assert 'rel="next" href="/learn/corso/lezione-2-1"' in page
    assert "min di lettura" in page and "Indice del corso" in page
    assert "checklist.pdf" in page and "Segna come completata" in page


def test_drip_lesson_says_when_it_opens(app, world):
    with app.app_context():
        from lms.models import Lesson

        lesson = db.session.scalar(select(Lesson).where(Lesson.slug == "lezione-2-1"))
        lesson.drip_days = 7
        db.session.commit()
    client = _client(app, "enrolled")
    response = client.get("/learn/corso/lezione-2-1")
    assert response.status_code == 403
    page = response.get_data(as_text=True)
    assert "non è ancora aperta" in page and "Si apre il" in page
    assert client.post("/learn/corso/lezione-2-1/done").status_code == 403
    with time_machine.travel(utcnow() + timedelta(days=7, minutes=1)):
        assert client.get("/learn/corso/lezione-2-1").status_code == 200


def test_sequential_mode_needs_previous_lesson_and_quiz(app, world):
    with app.app_context():
        from lms.models import Course

        db.session.get(Course, world["course"]).sequential = True
        db.session.commit()
    client = _client(app, "enrolled")
    assert client.get("/learn/corso/lezione-1-2").status_code == 403
    assert "completato le lezioni precedenti" in client.get("/learn/corso/lezione-1-2").get_data(
        as_text=True
    )
    client.post("/learn/corso/lezione-1-1/done")
    assert client.get("/learn/corso/lezione-1-2").status_code == 200
    client.post("/learn/corso/lezione-1-2/done")
    # Module 2 opens only once module 1's quiz is passed.
    assert client.get("/learn/corso/lezione-2-1").status_code == 403
    with app.app_context():
        from lms.models import Quiz

        answers = factories.right_answers(db.session.get(Quiz, world["quiz"]))
    client.post(f"/learn/corso/quiz/{world['quiz']}", data={**answers, "attempt": "1"})
    assert client.get("/learn/corso/lezione-2-1").status_code == 200


def test_course_completes_when_every_lesson_is_done_and_quiz_passed(app, world):
    client = _client(app, "enrolled")
    for slug in ("lezione-1-1", "lezione-1-2", "lezione-2-1", "lezione-2-2"):
        client.post(f"/learn/corso/{slug}/done")
    with app.app_context():
        from lms.models import Course, Quiz, User

        course = catalog.find_course("corso")
        user = db.session.scalar(select(User).where(User.email == "enrolled@example.org"))
        outline = learning.outline_for(course, user)
        assert outline.percent == 80 and not outline.complete
        answers = factories.right_answers(db.session.get(Quiz, world["quiz"]))
        assert db.session.get(Course, world["course"]) is not None
    client.post(f"/learn/corso/quiz/{world['quiz']}", data={**answers, "attempt": "1"})
    page = client.get("/learn/corso/").get_data(as_text=True)
    assert "100% completato" in page and "Hai completato tutte le lezioni" in page


@pytest.mark.parametrize(
    ("url", "embedded"),
    [
        (
            "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
            "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ",
        ),
        ("https://youtu.be/dQw4w9WgXcQ", "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"),
        ("https://vimeo.com/123456789", "https://player.vimeo.com/video/123456789"),
        ("https://evil.example/video.mp4", None),
        ("javascript:alert(1)", None),
        ('https://www.youtube.com/watch?v=bad"id', None),
    ],
)
def test_only_youtube_and_vimeo_are_embedded(app, world, url, embedded):
    with app.app_context():
        from lms.models import Lesson

        db.session.scalar(select(Lesson).where(Lesson.slug == "lezione-1-1")).video_url = url
        db.session.commit()
    response = _client(app, "enrolled").get("/learn/corso/lezione-1-1")
    page = response.get_data(as_text=True)
    csp = response.headers["Content-Security-Policy"]
    assert "frame-src https://www.youtube-nocookie.com https://player.vimeo.com" in csp
    if embedded:
        assert f'<iframe src="{embedded}"' in page
    else:
        assert "<iframe" not in page
    assert (
        "frame-src"
        not in _client(app, "enrolled").get("/learn/corso/").headers["Content-Security-Policy"]
    )


XSS_PAYLOADS = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "[click](javascript:alert(1))",
    '<a href="javascript:alert(1)">x</a>',
    "<svg onload=alert(1)>",
    '<iframe src="https://evil.example"></iframe>',
    '<div style="background:url(javascript:alert(1))">x</div>',
    "[x](JaVaScRiPt:alert(1))",
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    "<object data=x></object><embed src=x>",
    '<form action="https://evil.example"><input name=x></form>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<p onmouseover="alert(1)">hover</p>',
    '![x](x" onerror="alert(1))',
    "<base href=https://evil.example/>",
    "<meta http-equiv=refresh content='0;url=https://evil.example'>",
]


def test_lesson_markdown_is_sanitized(app, world):
    with app.app_context():
        from lms.models import Lesson

        lesson = db.session.scalar(select(Lesson).where(Lesson.slug == "lezione-1-1"))
        # (An unclosed <style> swallows what follows it, so the harmless text comes first.)
        lesson.body_md = "## Titolo\n\n**ok** [link](https://example.org)\n\n" + "\n\n".join(
            XSS_PAYLOADS
        )
        db.session.commit()
    page = _client(app, "enrolled").get("/learn/corso/lezione-1-1").get_data(as_text=True)
    body = page.split('<div class="prose">', 1)[1].split(
        '<form method="post" action="/learn/corso/lezione-1-1/done"', 1
    )[0]
    lowered = body.lower()
    for needle in (
        "<script",
        "onerror",
        "onload",
        "onmouseover",
        "javascript:",
        "<iframe",
        "<svg",
        "<object",
        "<embed",
        "<form",
        "<style",
        "<base",
        "<meta",
        "data:text",
    ):
        assert needle not in lowered, needle
    assert (
        "<strong>ok</strong>" in body
        and 'href="https://example.org"' in body
        and "<h2>Titolo</h2>" in body
    )


def test_refund_ends_access_to_lessons(app, world):
    """A student who bought and was refunded can no longer open lessons, quizzes or files."""
    with app.app_context():
        factories.make_user(email="buyer@example.org")
        db.session.execute(db.text("UPDATE courses SET price_cents = 29700"))
        db.session.commit()
    client = app.test_client()
    login(client, "buyer@example.org")
    checkout = client.post("/courses/corso/buy").headers["Location"]
    client.post(checkout, data={"card_number": "4242424242424242"})
    assert client.get("/learn/corso/lezione-1-2").status_code == 200
    instructor = _client(app, "instructor")
    with app.app_context():
        from lms.models import Order

        order_id = db.session.scalar(select(Order.id))
    instructor.post(f"/studio/orders/{order_id}/refund", data={"reason": "recesso"})
    assert client.get("/learn/corso/lezione-1-2").status_code == 403
    with client.get(f"/learn/corso/lezione-1-2/files/{world['attachment']}") as response:
        assert response.status_code == 403
    assert client.get(f"/learn/corso/quiz/{world['quiz']}").status_code == 403
    assert client.get("/learn/corso/lezione-1-1").status_code == 200  # previews stay public


def test_outline_follows_content_changes_at_once(app, world):
    client = _client(app, "enrolled")
    assert "Lezione 2.2" in client.get("/learn/corso/").get_data(as_text=True)
    with app.app_context():
        from lms.models import Lesson, Module

        lesson = db.session.scalar(select(Lesson).where(Lesson.slug == "lezione-2-2"))
        lesson.title = "Titolo nuovo"
        module = db.session.scalar(select(Module).where(Module.id == lesson.module_id))
        added = Lesson(
            course_id=lesson.course_id, slug="aggiunta", title="Lezione aggiunta", position=9
        )
        module.lessons.append(added)
        db.session.commit()
    page = client.get("/learn/corso/").get_data(as_text=True)
    assert "Titolo nuovo" in page and "Lezione 2.2" not in page and "Lezione aggiunta" in page


def test_account_lists_the_courses_to_follow(app, world):
    page = _client(app, "enrolled").get("/account").get_data(as_text=True)
    assert "I miei corsi" in page and 'href="/learn/corso/"' in page
    page = _client(app, "refunded").get("/account").get_data(as_text=True)
    assert 'href="/learn/corso/"' not in page and "Non sei ancora iscritto" in page


def test_lesson_quiz_gates_the_next_lesson_in_sequential_mode(app, world):
    with app.app_context():
        from lms.models import Course, Lesson, Quiz

        course = db.session.get(Course, world["course"])
        course.sequential = True
        lesson = db.session.scalar(select(Lesson).where(Lesson.slug == "lezione-1-1"))
        quiz = factories.make_quiz(
            course, course.modules[0], lesson=lesson, title="Quiz della lezione"
        )
        lesson_quiz = db.session.get(Quiz, quiz.id)
        answers = factories.right_answers(lesson_quiz)
        quiz_id = quiz.id
    client = _client(app, "enrolled")
    page = client.get("/learn/corso/lezione-1-1").get_data(as_text=True)
    assert "Fai il quiz di questa lezione" in page and f'href="/learn/corso/quiz/{quiz_id}"' in page
    client.post("/learn/corso/lezione-1-1/done")
    assert (
        client.get("/learn/corso/lezione-1-2").status_code == 403
    )  # the lesson's quiz comes first
    client.post(f"/learn/corso/quiz/{quiz_id}", data={**answers, "attempt": "1"})
    assert client.get("/learn/corso/lezione-1-2").status_code == 200
    assert "Quiz superato" in client.get("/learn/corso/lezione-1-1").get_data(as_text=True)


def test_module_quiz_waits_for_its_drip_locked_lessons(app, world):
    with app.app_context():
        from lms.models import Lesson

        db.session.scalar(select(Lesson).where(Lesson.slug == "lezione-1-2")).drip_days = 10
        db.session.commit()
    client = _client(app, "enrolled")
    assert client.get(f"/learn/corso/quiz/{world['quiz']}").status_code == 403
    with time_machine.travel(utcnow() + timedelta(days=11)):
        assert client.get(f"/learn/corso/quiz/{world['quiz']}").status_code == 200


def test_a_video_link_that_is_not_a_web_address_is_not_shown(app, world):
    with app.app_context():
        from lms.models import Lesson

        db.session.scalar(
            select(Lesson).where(Lesson.slug == "lezione-1-1")
        ).video_url = "javascript:alert(1)"
        db.session.commit()
    page = _client(app, "enrolled").get("/learn/corso/lezione-1-1").get_data(as_text=True)
    assert "javascript:" not in page and "Guarda il video" not in page


def test_lesson_page_unfolds_only_its_own_module(app, world):
    client = _client(app, "enrolled")
    client.post("/learn/corso/lezione-1-1/done")
    page = client.get("/learn/corso/lezione-2-1").get_data(as_text=True)
    outline = page.split('class="outline"', 1)[1]
    assert 'href="/learn/corso/lezione-2-2"' in outline  # its own module, lesson by lesson
    assert 'href="/learn/corso/lezione-1-1"' not in outline  # the other one folded...
    assert 'href="/learn/corso/lezione-1-2" class="outline-module"' in outline  # ...to what is next
    assert re.search(r'outline-count">1 di \d+ fatti<', outline)
    home = client.get("/learn/corso/").get_data(as_text=True)
    assert 'href="/learn/corso/lezione-1-1"' in home and "outline-folded" not in home
