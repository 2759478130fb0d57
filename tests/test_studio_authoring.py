"""Authoring courses, modules and lessons in the studio: forms, the edit check, order, drafts."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from lms.extensions import db
from lms.models import (
    Attachment,
    AuditEntry,
    Course,
    Lesson,
    LessonProgress,
    Module,
    Quiz,
    QuizAttempt,
    User,
)
from lms.services import learning
from tests import factories
from tests.conftest import login


@pytest.fixture
def staff(app):
    with app.app_context():
        factories.make_user(email="docente@example.org", role="instructor", name="Diana Docente")
        factories.make_user(email="admin@example.org", role="admin", name="Aldo Admin")
        course = factories.make_course(slug="corso", modules=2, lessons_per_module=2)
        ids = {
            "course": course.id,
            "modules": [m.id for m in course.modules],
            "lessons": [[lesson.id for lesson in m.lessons] for m in course.modules],
        }
    client = app.test_client()
    login(client, "docente@example.org")
    return client, ids


def form_of(client, url: str) -> dict:
    """The hidden fields (CSRF token, version) of the form on a page, as the browser would send."""
    page = client.get(url).get_data(as_text=True)
    return dict(re.findall(r'<input[^>]*name="(csrf_token|version)"[^>]*value="([^"]*)"', page))


def actions(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


COURSE = {
    "title": "Assistente virtuale",
    "slug": "assistente",
    "subtitle": "",
    "description_md": "Il corso",
    "price": "297,50",
    "language": "it",
    "hours": "12",
    "certificate_validity_months": "",
    "certificate_design": "classic",
}


def test_create_a_course_as_a_draft(app, staff):
    client, _ids = staff
    response = client.post(
        "/studio/courses/new", data={**form_of(client, "/studio/courses/new"), **COURSE}
    )
    assert response.status_code == 302
    with app.app_context():
        course = db.session.scalar(select(Course).where(Course.slug == "assistente"))
        assert (course.price_cents, course.is_published, course.hours) == (29750, False, 12)
        assert course.certificate_validity_months is None
    assert "course.create" in actions(app)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"title": "  "}, "title", "Dai un titolo al corso."),
        ({"slug": "Corso Base"}, "slug", "Usa solo lettere minuscole"),
        ({"slug": "corso"}, "slug", "Un altro corso ha già questo indirizzo"),
        ({"price": "venti"}, "price", "Scrivi un importo come 199 o 199,90."),
        ({"price": "-1"}, "price", "tra 0 e 100.000 €"),
        ({"certificate_validity_months": "0"}, "certificate_validity_months", "1"),
        ({"certificate_design": "../../etc"}, "certificate_design", ""),
    ],
)
def test_the_course_form_says_what_is_wrong_and_keeps_what_was_typed(
    app, staff, changes, field, message
):
    client, _ids = staff
    data = {**form_of(client, "/studio/courses/new"), **COURSE, "subtitle": "Sottotitolo scritto"}
    data.update(changes)
    response = client.post("/studio/courses/new", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in page
    assert f'id="{field}-error"' in page
    assert 'value="Sottotitolo scritto"' in page
    with app.app_context():
        assert (
            db.session.scalar(select(Course).where(Course.title == "Assistente virtuale")) is None
        )


def test_edit_settings_and_two_editors_cannot_overwrite_each_other(app, staff):
    client, _ids = staff
    other = app.test_client()
    login(other, "admin@example.org")
    url = "/studio/courses/corso/settings"
    first, second = form_of(client, url), form_of(other, url)
    assert first["version"] == second["version"] == "1"
    saved = client.post(url, data={**first, **COURSE, "slug": "corso", "title": "Titolo di Diana"})
    assert saved.status_code == 302
    refused = other.post(url, data={**second, **COURSE, "slug": "corso", "title": "Titolo di Aldo"})
    page = refused.get_data(as_text=True)
    assert "Diana Docente" in page  # who saved it
    assert 'value="Titolo di Aldo"' in page  # what the second editor typed is still there
    with app.app_context():
        course = db.session.scalar(select(Course).where(Course.slug == "corso"))
        assert (course.title, course.version) == ("Titolo di Diana", 2)
    # The form now carries the saved version: saving again is a deliberate replacement.
    again = other.post(
        url, data={**second, "version": "2", **COURSE, "slug": "corso", "title": "Titolo di Aldo"}
    )
    assert again.status_code == 302
    with app.app_context():
        assert (
            db.session.scalar(select(Course.title).where(Course.slug == "corso"))
            == "Titolo di Aldo"
        )


def lesson_data(**overrides) -> dict:
    return {
        "title": "Lezione nuova",
        "slug": "",
        "body_md": "Testo",
        "video_url": "",
        "minutes": "0",
        "drip_days": "0",
        **overrides,
    }


def test_the_lesson_editor_saves_checks_and_refuses_a_stale_version(app, staff):
    client, ids = staff
    lesson_id = ids["lessons"][0][0]
    url = f"/studio/lessons/{lesson_id}"
    other = app.test_client()
    login(other, "admin@example.org")
    mine, theirs = form_of(client, url), form_of(other, url)
    body = "# Titolo\n\nIl mio testo **nuovo**."
    assert (
        client.post(
            url, data={**mine, **lesson_data(body_md=body, title="Lezione 1.1")}
        ).status_code
        == 302
    )
    refused = other.post(
        url, data={**theirs, **lesson_data(body_md="Il testo di Aldo", title="Lezione 1.1")}
    )
    page = refused.get_data(as_text=True)
    assert refused.status_code == 409
    assert "Il testo di Aldo" in page  # kept in the editor
    assert "Il mio testo **nuovo**." in page  # the saved version shown beside it
    with app.app_context():
        lesson = db.session.get(Lesson, lesson_id)
        assert (lesson.body_md, lesson.version, lesson.slug) == (body, 2, "lezione-1-1")
    assert actions(app).count("lesson.update") == 1


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": ""}, "title"),
        ({"slug": "Non Valido"}, "slug"),
        ({"slug": "lezione-1-2"}, "slug"),  # taken by another lesson of the course
        ({"video_url": "https://example.org/video.mp4"}, "video_url"),
        ({"drip_days": "400"}, "drip_days"),
        ({"minutes": "-3"}, "minutes"),
    ],
)
def test_the_lesson_form_says_what_is_wrong(app, staff, changes, field):
    client, ids = staff
    url = f"/studio/lessons/{ids['lessons'][0][0]}"
    data = {**form_of(client, url), **lesson_data(body_md="Testo che non si perde"), **changes}
    response = client.post(url, data=data)
    page = response.get_data(as_text=True)
    assert f'id="{field}-error"' in page
    assert "Testo che non si perde" in page
    with app.app_context():
        assert db.session.get(Lesson, ids["lessons"][0][0]).version == 1


def test_a_new_lesson_starts_as_a_draft_and_students_do_not_see_drafts(app, staff):
    client, ids = staff
    url = f"/studio/modules/{ids['modules'][0]}/lessons/new"
    page = client.get(url).get_data(as_text=True)
    assert "checked" in re.search(r'<input[^>]*id="is_draft"[^>]*>', page).group()
    response = client.post(
        url, data={**form_of(client, url), **lesson_data(title="Bozza segreta", is_draft="y")}
    )
    assert response.status_code == 302
    with app.app_context():
        draft = db.session.scalar(select(Lesson).where(Lesson.title == "Bozza segreta"))
        assert (draft.slug, draft.is_draft, draft.position) == ("bozza-segreta", True, 2)
        draft_id = draft.id
        student = factories.make_user(email="s@example.org")
        course = db.session.get(Course, ids["course"])
        factories.make_enrollment(student, course)
        titles = [state.lesson.title for state in learning.outline_for(course, student).lessons]
        assert "Bozza segreta" not in titles and len(titles) == 4
    reader = app.test_client()
    login(reader, "s@example.org")
    assert reader.get("/learn/corso/bozza-segreta").status_code == 404
    assert "Bozza segreta" not in reader.get("/courses/corso").get_data(as_text=True)
    preview = client.get(f"/studio/lessons/{draft_id}/preview")
    assert preview.status_code == 200 and "Bozza segreta" in preview.get_data(as_text=True)


def test_publishing_needs_a_lesson_that_is_not_a_draft(app, staff):
    client, _ids = staff
    client.post("/studio/courses/new", data={**form_of(client, "/studio/courses/new"), **COURSE})
    token = form_of(client, "/studio/courses/assistente/content")
    client.post("/studio/courses/assistente/publish", data={**token, "published": "1"})
    with app.app_context():
        course = db.session.scalar(select(Course).where(Course.slug == "assistente"))
        assert course.is_published is False
        module = Module(course_id=course.id, title="M")
        db.session.add(module)
        db.session.flush()
        db.session.add(Lesson(course_id=course.id, module_id=module.id, slug="l", title="L"))
        db.session.commit()
    client.post("/studio/courses/assistente/publish", data={**token, "published": "1"})
    with app.app_context():
        assert db.session.scalar(select(Course.is_published).where(Course.slug == "assistente"))
    assert "course.publish" in actions(app)


def order_of(app, course_id: int) -> list[tuple[int, list[int]]]:
    with app.app_context():
        return [
            (m.id, [lesson.id for lesson in m.lessons])
            for m in db.session.scalars(
                select(Module).where(Module.course_id == course_id).order_by(Module.position)
            )
        ]


def test_reorder_by_drag_and_drop_and_by_keyboard(app, staff):
    client, ids = staff
    (m1, m2), ((a, b), (c, d)) = ids["modules"], ids["lessons"]
    token = form_of(client, "/studio/courses/corso/content")
    # Drag: lesson d to the top of module 1, module 2 first.
    response = client.post(
        "/studio/courses/corso/order", data={**token, "order": f"{m2}:{c};{m1}:{d},{a},{b}"}
    )
    assert response.json == {"saved": True, "message": "Nuovo ordine salvato."}
    assert order_of(app, ids["course"]) == [(m2, [c]), (m1, [d, a, b])]
    # A stale page that misses a lesson is refused, and nothing moves.
    stale = client.post(
        "/studio/courses/corso/order", data={**token, "order": f"{m1}:{a},{b};{m2}:{c}"}
    )
    assert stale.status_code == 409 and stale.json["saved"] is False
    assert order_of(app, ids["course"]) == [(m2, [c]), (m1, [d, a, b])]
    # Keyboard: lesson c down leaves module 2 for the top of module 1; module 1 up.
    client.post(f"/studio/lessons/{c}/move", data={**token, "direction": "down"})
    assert order_of(app, ids["course"]) == [(m2, []), (m1, [c, d, a, b])]
    client.post(f"/studio/modules/{m1}/move", data={**token, "direction": "up"})
    assert order_of(app, ids["course"]) == [(m1, [c, d, a, b]), (m2, [])]
    assert actions(app).count("course.reorder") == 3
    with app.app_context():  # the outline every student sees follows at once
        course = db.session.get(Course, ids["course"])
        assert [s.lesson.id for s in learning.outline_for(course, None).lessons] == [c, d, a, b]


def test_deleting_keeps_what_students_have_touched(app, staff):
    client, ids = staff
    token = form_of(client, "/studio/courses/corso/content")
    (m1, _m2), ((a, b), _rest) = ids["modules"], ids["lessons"]
    client.post(f"/studio/modules/{m1}/delete", data=token)
    with app.app_context():
        assert db.session.get(Module, m1) is not None  # not empty
        student = factories.make_user()
        db.session.add(LessonProgress(user_id=student.id, lesson_id=a, course_id=ids["course"]))
        db.session.commit()
    client.post(f"/studio/lessons/{a}/delete", data=token)
    client.post(f"/studio/lessons/{b}/delete", data=token)
    with app.app_context():
        assert db.session.get(Lesson, a) is not None  # opened by a student
        assert db.session.get(Lesson, b) is None
    assert "lesson.delete" in actions(app)


def test_attachments_are_stored_under_a_random_name_and_removed(app, staff):
    client, ids = staff
    lesson_id = ids["lessons"][0][0]
    token = form_of(client, f"/studio/lessons/{lesson_id}")
    upload = {"file": (io.BytesIO(b"%PDF-1.4 checklist"), "../../Check list.pdf")}
    response = client.post(
        f"/studio/lessons/{lesson_id}/attachments",
        data={**token, **upload},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    with app.app_context():
        file = db.session.scalar(select(Attachment))
        stored = Path(app.config["FILES_DIR"]) / "attachments" / file.stored_name
        assert (file.filename, file.content_type, file.size) == (
            "Check list.pdf",
            "application/pdf",
            18,
        )
        assert stored.read_bytes() == b"%PDF-1.4 checklist" and file.stored_name.endswith(".pdf")
        file_id = file.id
    empty = client.post(
        f"/studio/lessons/{lesson_id}/attachments",
        data={**token, "file": (io.BytesIO(b""), "vuoto.txt")},
        content_type="multipart/form-data",
    )
    assert empty.status_code == 400 and 'id="file-error"' in empty.get_data(as_text=True)
    client.post(f"/studio/attachments/{file_id}/delete", data=token)
    with app.app_context():
        assert db.session.get(Attachment, file_id) is None
    assert not stored.exists()
    assert actions(app)[-2:] == ["attachment.add", "attachment.delete"]


def status(client, url: str) -> int:
    with client.get(url) as response:
        return response.status_code


def picture(width: int, height: int) -> io.BytesIO:
    data = io.BytesIO()
    Image.new("RGB", (width, height), "teal").save(data, "PNG")
    data.seek(0)
    return data


def test_the_cover_is_reencoded_and_shown_only_when_published(app, staff):
    client, _ids = staff
    token = form_of(client, "/studio/courses/corso/settings")
    bad = client.post(
        "/studio/courses/corso/cover",
        data={**token, "cover": (io.BytesIO(b"not a picture"), "x.png")},
        content_type="multipart/form-data",
    )
    assert bad.status_code == 400 and 'id="cover-error"' in bad.get_data(as_text=True)
    client.post(
        "/studio/courses/corso/cover",
        data={**token, "cover": (picture(1600, 1200), "c.png")},
        content_type="multipart/form-data",
    )
    with app.app_context():
        course = db.session.scalar(select(Course).where(Course.slug == "corso"))
        name = course.cover_image
        with Image.open(Path(app.config["FILES_DIR"]) / "covers" / name) as saved:
            assert (saved.format, saved.size) == ("WEBP", (1280, 720))
    visitor = app.test_client()
    assert status(visitor, f"/courses/covers/{name}") == 200
    assert name in visitor.get("/courses/").get_data(as_text=True)
    client.post("/studio/courses/corso/publish", data={**token, "published": "0"})
    assert status(visitor, f"/courses/covers/{name}") == 404
    assert status(client, f"/courses/covers/{name}") == 200  # staff still see it
    client.post("/studio/courses/corso/cover", data={**token, "remove": "1"})
    assert not (Path(app.config["FILES_DIR"]) / "covers" / name).exists()


def test_the_live_preview_is_sanitized(app, staff):
    client, _ids = staff
    token = form_of(client, "/studio/courses/corso/content")
    response = client.post(
        "/studio/markdown-preview", data={**token, "text": "**forte** <script>alert(1)</script>"}
    )
    assert response.get_data(as_text=True).startswith("<p><strong>forte</strong>")
    assert "<script" not in response.get_data(as_text=True)


def test_view_as_student_shows_locks_and_records_nothing(app, staff):
    client, ids = staff
    with app.app_context():
        lesson = db.session.get(Lesson, ids["lessons"][1][1])
        lesson.drip_days = 7
        db.session.get(Course, ids["course"]).sequential = True
        db.session.commit()
    token = form_of(client, "/studio/courses/corso/content")
    start = client.post("/studio/courses/corso/view-as-student", data=token)
    assert start.headers["Location"].endswith("/learn/corso/")
    home = client.get("/learn/corso/").get_data(as_text=True)
    assert "preview-bar" in home
    first = client.get("/learn/corso/lezione-1-1")
    assert first.status_code == 200 and "disabled" in first.get_data(as_text=True)
    assert client.get("/learn/corso/lezione-1-2").status_code == 403  # sequential: locked
    with app.app_context():
        quiz = factories.make_quiz(
            db.session.get(Course, ids["course"]), db.session.get(Module, ids["modules"][0])
        )
        quiz_id = quiz.id
    page = client.get(f"/learn/corso/quiz/{quiz_id}")
    assert page.status_code == 403  # a new student has not done the module's lessons yet
    with app.app_context():
        db.session.get(Course, ids["course"]).sequential = False
        db.session.commit()
    assert "preview-bar" in client.get(f"/learn/corso/quiz/{quiz_id}").get_data(as_text=True)
    client.post(f"/learn/corso/quiz/{quiz_id}", data=token)
    with app.app_context():
        assert db.session.scalar(select(LessonProgress)) is None
        assert db.session.scalar(select(QuizAttempt)) is None
    client.post("/studio/courses/corso/view-as-student", data={**token, "stop": "1"})
    assert client.get("/learn/corso/lezione-1-2").status_code == 200  # staff again


@pytest.mark.parametrize(
    ("typed", "cents"),
    [("297", 29700), ("19,90", 1990), ("19.90", 1990), ("1.234,50", 123450), ("1,234.50", 123450),
     ("€ 49", 4900)],
)  # fmt: skip
def test_prices_are_read_as_people_type_them(app, staff, typed, cents):
    client, _ids = staff
    data = {**form_of(client, "/studio/courses/new"), **COURSE, "price": typed}
    assert client.post("/studio/courses/new", data=data).status_code == 302
    with app.app_context():
        assert (
            db.session.scalar(select(Course.price_cents).where(Course.slug == "assistente"))
            == cents
        )
    page = client.get("/studio/courses/assistente/settings").get_data(as_text=True)
    assert f'value="{cents // 100},{cents % 100:02d}"' in page  # shown back the Italian way


def test_a_save_without_the_version_is_refused(app, staff):
    client, ids = staff
    lesson_id = ids["lessons"][0][0]
    url = f"/studio/lessons/{lesson_id}"
    token = {"csrf_token": form_of(client, url).get("csrf_token", "")}
    response = client.post(url, data={**token, **lesson_data(title="Senza versione")})
    assert response.status_code == 409
    with app.app_context():
        assert db.session.get(Lesson, lesson_id).title == "Lezione 1.1"


@pytest.mark.parametrize("typed", ["1.999", "19,999", "NaN", "Infinity"])
def test_an_ambiguous_price_is_refused(app, staff, typed):
    client, _ids = staff
    data = {**form_of(client, "/studio/courses/new"), **COURSE, "price": typed}
    page = client.post("/studio/courses/new", data=data).get_data(as_text=True)
    assert 'id="price-error"' in page
    with app.app_context():
        assert db.session.scalar(select(Course).where(Course.slug == "assistente")) is None


def test_a_module_of_drafts_is_hidden_with_its_quiz(app, staff):
    """Nobody can finish a quiz on lessons they cannot see: it is not a step of the course."""
    client, ids = staff
    with app.app_context():
        course = db.session.get(Course, ids["course"])
        second = db.session.get(Module, ids["modules"][1])
        factories.make_quiz(course, second, title="Quiz bozza")
        for lesson in second.lessons:
            lesson.is_draft = True
        db.session.commit()
        student = factories.make_user(email="s@example.org")
        factories.make_enrollment(student, course)
        for lesson_id in ids["lessons"][0]:
            learning.mark_done(student.id, db.session.get(Lesson, lesson_id))
        outline = learning.outline_for(course, student)
        assert [m.module.title for m in outline.modules] == ["Modulo 1"]
        assert outline.quizzes == [] and outline.complete
    page = client.get("/courses/corso").get_data(as_text=True)
    assert "Modulo 1" in page and "Modulo 2" not in page


def test_the_buy_page_with_an_error_shows_no_draft(app, staff):
    client, ids = staff
    with app.app_context():
        lesson = db.session.get(Lesson, ids["lessons"][0][1])
        lesson.is_draft, lesson.title = True, "Titolo in bozza"
        db.session.commit()
        factories.make_user(email="compra@example.org")
    buyer = app.test_client()
    login(buyer, "compra@example.org")
    token = form_of(buyer, "/courses/corso")
    response = buyer.post("/courses/corso/buy", data={**token, "coupon": "NON-ESISTE"})
    assert response.status_code == 422
    assert "Titolo in bozza" not in response.get_data(as_text=True)


def test_two_quizzes_in_one_place_at_once_end_with_one(app, staff, monkeypatch):
    """The form's check can race; the unique index cannot: the second gets the form's message."""
    from lms.services import quiz_authoring
    from lms.services.question_edits import EditRefused

    _client, ids = staff
    monkeypatch.setattr(quiz_authoring, "_check_place", lambda *args: None)  # both passed it
    with app.app_context():
        staff_id = db.session.scalar(select(User.id).where(User.email == "docente@example.org"))
        settings = quiz_authoring.QuizSettings("Quiz A", ids["modules"][0], None, 70, 0, True)
        quiz_authoring.create_quiz(staff_id, ids["course"], settings, None)
        second = quiz_authoring.QuizSettings("Quiz B", ids["modules"][0], None, 70, 0, True)
        with pytest.raises(EditRefused) as refused:
            quiz_authoring.create_quiz(staff_id, ids["course"], second, None)
        assert (refused.value.code, refused.value.details) == ("place_taken", {"title": "Quiz A"})
        lesson_id = ids["lessons"][0][0]
        on_lesson = quiz_authoring.QuizSettings("Quiz C", ids["modules"][0], lesson_id, 70, 0, True)
        quiz_authoring.create_quiz(staff_id, ids["course"], on_lesson, None)  # another place
        titles = db.session.scalars(select(Quiz.title).order_by(Quiz.id)).all()
        assert titles == ["Quiz A", "Quiz C"]
