"""The roster: every student of a course with progress and results, one student's page with its
timeline and private notes, the CSV export; filters, search and pages."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import event, select

from lms.extensions import db
from lms.models import (
    AuditEntry,
    Course,
    Enrollment,
    ExamAttempt,
    ExamPledge,
    InstructorNote,
    Lesson,
    LessonProgress,
    QuizAttempt,
    User,
    utcnow,
)
from lms.services import audit, certificates, roster
from lms.services.roster import Show
from tests import factories
from tests.conftest import login

NOW = utcnow().replace(microsecond=0)


def days_ago(days: int, hours: int = 0):
    return NOW - timedelta(days=days, hours=hours)


def progress(user, lesson, viewed, completed=None) -> None:
    db.session.add(
        LessonProgress(
            user_id=user.id,
            lesson_id=lesson.id,
            course_id=lesson.course_id,
            first_viewed_at=viewed,
            last_viewed_at=completed or viewed,
            completed_at=completed,
        )
    )


def quiz_attempt(user, quiz, number, at, score) -> None:
    db.session.add(
        QuizAttempt(
            user_id=user.id,
            quiz_id=quiz.id,
            number=number,
            submitted_at=at,
            score_percent=score,
            passed=score >= quiz.pass_percent,
            answers={},
        )
    )


def exam_attempt(user, exam, number, started, score) -> ExamAttempt:
    attempt = ExamAttempt(
        public_id=f"attempt{user.id}x{number}".ljust(32, "0"),
        user_id=user.id,
        exam_id=exam.id,
        number=number,
        state="submitted",
        started_at=started,
        deadline=started + timedelta(minutes=30),
        closed_at=started + timedelta(minutes=20),
        layout=[],
        score_percent=score,
        passed=score >= exam.pass_percent,
    )
    db.session.add(attempt)
    return attempt


@pytest.fixture
def klass(app):
    """One course of 5 steps (4 lessons and a module quiz; a draft lesson does not count) and
    students at known points:

    - Anna: enrolled 3 days ago, nothing done (not started)
    - Bruno: one lesson done 40 days ago, nothing since (stalled, 20%)
    - Carla: two lessons done 2 days ago, and the draft lesson (in progress, 40%)
    - Dario: everything done 20 days ago, exam passed, certified (completed, 100%)
    - Elena: access removed, never started (in no filter but "all")
    - Fabio: a student of another course only
    """
    with app.app_context():
        course = factories.make_course(slug="corso", title="Corso VA", price_cents=29700)
        first, second = course.modules
        draft = Lesson(
            course=course, module=second, title="Bozza", slug="bozza", position=9, is_draft=True
        )
        db.session.add(draft)
        db.session.commit()
        quiz = factories.make_quiz(course, first, title="Quiz del modulo 1")
        exam = factories.make_exam(course, max_attempts=2)
        instructor = factories.make_user(
            email="docente@example.org", role="instructor", name="Giulia Docente", locale="en"
        )
        lessons = [l for m in course.modules for l in m.lessons if not l.is_draft]  # noqa: E741
        people = {}
        for key, name, email, enrolled in (
            ("anna", "Anna Nuova", "anna@example.org", 3),
            ("bruno", "Bruno Fermo", "bruno@example.org", 60),
            ("carla", "Carla Attiva", "carla@example.org", 30),
            ("dario", "Dario Finito", "dario@example.org", 90),
            ("elena", "Elena Revocata", "elena@example.org", 10),
        ):
            user = factories.make_user(name=name, email=email)
            status = "revoked" if key == "elena" else "active"
            source = {"anna": "free", "carla": "manual"}.get(key, "purchase")
            factories.make_enrollment(
                user, course, created_at=days_ago(enrolled), status=status, source=source
            )
            people[key] = user
        factories.make_profile(
            people["bruno"],
            published=False,
            city="Torino",
            headline="Assistente per studi legali",
            roles=("executive_assistant",),
            specializations=("bookkeeping",),
        )
        progress(people["bruno"], lessons[0], days_ago(45), days_ago(40))
        progress(people["carla"], lessons[0], days_ago(5), days_ago(2))
        progress(people["carla"], lessons[1], days_ago(3), days_ago(2, hours=-1))
        progress(people["carla"], draft, days_ago(2), days_ago(2))
        for index, lesson in enumerate(lessons):
            progress(people["dario"], lesson, days_ago(80 - index), days_ago(70 - index))
        quiz_attempt(people["dario"], quiz, 1, days_ago(30), 50)
        quiz_attempt(people["dario"], quiz, 2, days_ago(29), 100)
        exam_attempt(people["dario"], exam, 1, days_ago(20, hours=1), 90)
        db.session.commit()
        certificate = factories.make_certificate(people["dario"], course)
        certificate.issued_at = days_ago(20)
        issue_entry = db.session.scalar(
            select(AuditEntry).where(AuditEntry.action == "certificate.issue")
        )
        issue_entry.created_at = days_ago(20)
        db.session.commit()
        other = factories.make_course(slug="altro", title="Altro corso")
        fabio = factories.make_user(name="Fabio Altrove", email="fabio@example.org")
        factories.make_enrollment(fabio, other)
        ids = {key: user.id for key, user in people.items()}
        ids.update(
            course=course.id, other=other.id, fabio=fabio.id, quiz=quiz.id, exam=exam.id,
            certificate=certificate.code, instructor=instructor.id,
        )  # fmt: skip
    client = app.test_client()
    assert login(client, "docente@example.org").status_code == 302
    return client, ids


def course_of(ids) -> Course:
    return db.session.get(Course, ids["course"])


def names(rows) -> list[str]:
    return [row.name for row in rows]


def test_students_get_403_and_visitors_go_to_login(app, klass):
    _client, ids = klass
    student = app.test_client()
    login(student, "anna@example.org")
    base = "/studio/courses/corso/students"
    for path in (base, f"{base}.csv", f"{base}/{ids['anna']}", f"{base}/{ids['bruno']}/photo"):
        assert student.get(path).status_code == 403, path
    assert student.post(f"{base}/{ids['anna']}/notes", data={"body": "x"}).status_code == 403
    visitor = app.test_client()
    for path in (base, f"{base}.csv", f"{base}/{ids['anna']}"):
        response = visitor.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"], path


def test_a_student_of_another_course_is_not_found(app, klass):
    client, ids = klass
    base = "/studio/courses/corso/students"
    assert client.get(f"{base}/{ids['fabio']}").status_code == 404
    assert client.get(f"{base}/999999").status_code == 404
    assert client.get(f"{base}/{ids['fabio']}/photo").status_code == 404
    assert client.post(f"{base}/{ids['fabio']}/notes", data={"body": "Nota"}).status_code == 404
    assert client.get(f"/studio/courses/altro/students/{ids['anna']}").status_code == 404
    assert client.get(f"/studio/courses/altro/students/{ids['fabio']}").status_code == 200
    assert client.get("/studio/courses/nessuno/students").status_code == 404
    with app.app_context():
        assert db.session.scalar(select(InstructorNote)) is None


def test_each_filter_and_its_count(app, klass):
    _client, ids = klass
    with app.app_context():
        course = course_of(ids)
        page = roster.roster_page(course)
        assert page.counts == {
            Show.ALL: 5,
            Show.NOT_STARTED: 1,
            Show.STALLED: 1,
            Show.COMPLETED: 1,
            Show.CERTIFIED: 1,
        }
        assert names(page.rows) == [
            "Anna Nuova", "Elena Revocata", "Carla Attiva", "Bruno Fermo", "Dario Finito",
        ]  # fmt: skip
        expected = {
            Show.NOT_STARTED: ["Anna Nuova"],
            Show.STALLED: ["Bruno Fermo"],
            Show.COMPLETED: ["Dario Finito"],
            Show.CERTIFIED: ["Dario Finito"],
        }
        for show, found in expected.items():
            assert names(roster.roster_page(course, show=show).rows) == found, show
        # Thirteen days on, Carla's last step is fifteen days old: past the 14, she is stalled too.
        assert roster.STALLED_DAYS == 14
        later = roster.roster_page(course, show=Show.STALLED, now=NOW + timedelta(days=11))
        assert names(later.rows) == ["Bruno Fermo"]
        later = roster.roster_page(course, show=Show.STALLED, now=NOW + timedelta(days=13))
        assert names(later.rows) == ["Carla Attiva", "Bruno Fermo"]
        # A revoked certificate no longer counts as certified.
        certificate = certificates.find_by_code(ids["certificate"])
        certificates.change_status(None, certificate.id, "revoke", "Frode", None)
        assert roster.roster_page(course, show=Show.CERTIFIED).rows == []
        assert roster.roster_page(course).counts[Show.CERTIFIED] == 0


def test_rows_carry_progress_results_certificate_and_last_activity(app, klass):
    _client, ids = klass
    with app.app_context():
        rows = {row.name: row for row in roster.roster_page(course_of(ids), now=NOW).rows}
        dario, carla, bruno = rows["Dario Finito"], rows["Carla Attiva"], rows["Bruno Fermo"]
        assert (dario.steps_done, dario.steps_total, dario.percent) == (5, 5, 100)
        assert (dario.quizzes_passed, dario.quizzes_total, dario.quiz_average) == (1, 1, 100)
        assert (dario.exam_best, dario.exam_passed, dario.exam_attempts) == (90, True, 1)
        assert dario.exam_allowed == 2
        assert dario.certificate_status == "valid"
        assert dario.certificate_code == certificates.display_code(ids["certificate"])
        assert dario.last_activity == days_ago(20, hours=1) + timedelta(minutes=20)
        # The draft lesson Carla finished is not a step.
        assert (carla.steps_done, carla.percent, carla.quiz_average) == (2, 40, None)
        assert carla.last_activity == days_ago(2, hours=-1)
        assert (carla.source, carla.exam_attempts, carla.certificate_status) == (
            "manual",
            0,
            "none",
        )
        assert (bruno.percent, bruno.last_activity) == (20, days_ago(40))
        assert (bruno.city, bruno.headline) == ("Torino", "Assistente per studi legali")
        assert (bruno.roles, bruno.specializations) == (["executive_assistant"], ["bookkeeping"])
        assert rows["Anna Nuova"].last_activity == days_ago(3)
        assert rows["Elena Revocata"].status == "revoked"


def test_the_page_shows_the_figures_and_the_filter_links(app, klass):
    client, ids = klass
    page = client.get("/studio/courses/corso/students").get_data(as_text=True)
    for text in ("Anna Nuova", "dario@example.org", "Torino", "Assistente per studi legali",
                 "Executive Assistant", "Bookkeeping", "100%", "40%", "1 of 1 passed",
                 "best 90%", "1 of 2 attempts used", "not taken", "by hand"):  # fmt: skip
        assert text in page, text
    assert re.search(r"Stalled <span class=\"roster-count\">1</span>", page)
    assert 'href="/studio/courses/corso/students?show=stalled"' in page
    assert 'href="/studio/courses/corso/students.csv"' in page
    assert "Fabio Altrove" not in page
    stalled = client.get("/studio/courses/corso/students?show=stalled").get_data(as_text=True)
    assert "Bruno Fermo" in stalled and "Carla Attiva" not in stalled
    assert 'href="/studio/courses/corso/students.csv?show=stalled"' in stalled
    # An unknown filter or page falls back to the whole class, first page.
    odd = client.get("/studio/courses/corso/students?show=x&page=zz").get_data(as_text=True)
    assert "Anna Nuova" in odd and "Dario Finito" in odd


def test_search_by_name_email_or_city_whatever_the_case(app, klass):
    client, ids = klass
    with app.app_context():
        course = course_of(ids)
        assert names(roster.roster_page(course, "TORINO").rows) == ["Bruno Fermo"]
        assert names(roster.roster_page(course, "carla@").rows) == ["Carla Attiva"]
        assert names(roster.roster_page(course, "  finito ").rows) == ["Dario Finito"]
        assert roster.roster_page(course, "%").rows == []  # a wildcard is a plain character
        assert names(roster.roster_page(course, "a", Show.NOT_STARTED).rows) == ["Anna Nuova"]
        assert roster.roster_page(course, "torino").counts[Show.ALL] == 1
    page = client.get("/studio/courses/corso/students?q=Torino&show=stalled").get_data(as_text=True)
    assert "Bruno Fermo" in page and "Anna Nuova" not in page
    assert 'value="Torino"' in page and '<input type="hidden" name="show" value="stalled">' in page
    assert 'href="/studio/courses/corso/students?q=Torino"' in page  # "All" keeps the search


def test_pages_of_fifty_keep_the_filters(app, klass):
    client, ids = klass
    with app.app_context():
        hashed = db.session.scalar(select(User.password_hash).limit(1))
        for number in range(60):
            user = User(
                email=f"nuovo{number}@example.org", name=f"Nuovo {number:02d}", password_hash=hashed
            )
            db.session.add(user)
            db.session.flush()
            db.session.add(
                Enrollment(
                    user_id=user.id, course_id=ids["course"], created_at=days_ago(1, hours=number)
                )
            )
        db.session.commit()
        course = course_of(ids)
        first = roster.roster_page(course, "nuovo", Show.NOT_STARTED)
        assert (first.counts[Show.NOT_STARTED], first.page, first.pages) == (60, 1, 2)
        assert len(first.rows) == 50 and first.rows[0].name == "Nuovo 00"
        second = roster.roster_page(course, "nuovo", Show.NOT_STARTED, page=2)
        assert names(second.rows) == [f"Nuovo {n}" for n in range(50, 60)]
        assert roster.roster_page(course, "nuovo", Show.NOT_STARTED, page=9).page == 2
    page = client.get("/studio/courses/corso/students?q=nuovo&show=not_started").get_data(
        as_text=True
    )
    assert 'href="/studio/courses/corso/students?q=nuovo&amp;show=not_started&amp;page=2"' in page
    assert "Page 1 of 2" in page
    second_page = client.get(
        "/studio/courses/corso/students?q=nuovo&show=not_started&page=2"
    ).get_data(as_text=True)
    assert "Nuovo 59" in second_page and "Nuovo 00" not in second_page
    assert 'href="/studio/courses/corso/students?q=nuovo&amp;show=not_started"' in second_page


def test_the_roster_costs_the_same_statements_for_any_class_size(app, klass):
    _client, ids = klass

    def statements() -> int:
        course = course_of(ids)
        assert course.title  # loaded before counting
        seen = []

        def listener(*_args):
            seen.append(1)

        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            roster.roster_page(course)
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(seen)

    with app.app_context():
        small = statements()
        hashed = db.session.scalar(select(User.password_hash).limit(1))
        lesson = db.session.scalar(select(Lesson).where(Lesson.course_id == ids["course"]))
        for number in range(40):
            user = User(email=f"altro{number}@example.org", name="Altro", password_hash=hashed)
            db.session.add(user)
            db.session.flush()
            db.session.add(Enrollment(user_id=user.id, course_id=ids["course"]))
            progress(user, lesson, days_ago(1), days_ago(1))
        db.session.commit()
        assert statements() == small <= 6


def test_the_student_page_and_its_timeline(app, klass):
    client, ids = klass
    with app.app_context():
        dario = db.session.get(User, ids["dario"])
        course = course_of(ids)
        factories.make_order(
            dario, course, number="T000000777", status="paid", paid_at=days_ago(91)
        )
        db.session.add(ExamPledge(exam_id=ids["exam"], user_id=dario.id, accepted_at=days_ago(21),
                                  pledge_text="Mi impegno."))  # fmt: skip
        db.session.commit()
    client.post(
        "/studio/courses/corso/exam/grant",
        data={"email": "dario@example.org", "reason": "Connessione caduta"},
    )
    page = client.get(f"/studio/courses/corso/students/{ids['dario']}").get_data(as_text=True)
    code = certificates.display_code(ids["certificate"])
    assert "Dario Finito" in page and f'href="/verify/{code}"' in page
    assert "1 of 3 attempts used" in page  # the grant added one
    with app.app_context():
        attempt_id = db.session.scalar(select(ExamAttempt.id))
    assert f'href="/studio/exam-attempts/{attempt_id}"' in page
    timeline = page[page.index('id="timeline-heading"') :]
    items = re.findall(r"<li><time[^>]*>.*?</li>", timeline, re.S)
    texts = [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", item)).strip() for item in items]
    expected = [
        "Given one more exam attempt by Giulia Docente Reason: Connessione caduta",
        f"Certificate {code} issued",
        "Exam attempt 1 handed in: 90% passed Answers",
        "Started exam attempt 1",
        "Accepted the exam pledge",
        "Quiz “Quiz del modulo 1”: 100% passed",
        "Quiz “Quiz del modulo 1”: 50% not passed",
    ]
    for position, text in enumerate(expected):
        assert texts[position].endswith(text), (position, texts[position])
    lesson_events = [t for t in texts if "the lesson" in t]
    assert len(lesson_events) == 8 and "Completed the lesson “Lezione 2.2”" in lesson_events[0]
    assert texts[-2].endswith("Enrolled (purchase)") and texts[-1].endswith("Order T000000777 paid")
    assert len(texts) == 7 + 8 + 2
    # Per module: module 1 has 2 lessons and its quiz, module 2 its 2 lessons (the draft left out).
    assert "3 of 3 done" in page and "2 of 2 done" in page


def test_staff_actions_appear_with_who_and_why(app, klass):
    client, ids = klass
    client.post(
        "/studio/courses/corso/students",
        data={"email": "elena@example.org", "reason": "Borsa di studio"},
    )
    with app.app_context():
        enrollment_id = db.session.scalar(
            select(Enrollment.id).where(Enrollment.user_id == ids["anna"])
        )
    response = client.post(
        f"/studio/enrollments/{enrollment_id}/revoke",
        data={"reason": "Richiesta della studentessa", "course": "corso"},
    )
    assert response.headers["Location"] == f"/studio/courses/corso/students/{ids['anna']}"
    anna = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Access removed" in anna and "Reason: Richiesta della studentessa" in anna
    assert "Remove access" not in anna  # no longer active: nothing to remove
    elena = client.get(f"/studio/courses/corso/students/{ids['elena']}").get_data(as_text=True)
    assert "Enrolled by hand" in elena and "Reason: Borsa di studio" in elena

    with app.app_context():
        bruno = db.session.get(User, ids["bruno"])
        order = factories.make_order(bruno, course_of(ids), number="T000000888", status="refunded",
                                     paid_at=days_ago(60), refunded_at=days_ago(50))  # fmt: skip
        entry = audit.record("order.refund", actor_id=ids["instructor"], target=order,
                             reason="Entro 14 giorni")  # fmt: skip
        entry.created_at = days_ago(50)
        code = ids["certificate"]
        certificate = certificates.find_by_code(code)
        db.session.commit()
        certificates.change_status(ids["instructor"], certificate.id, "revoke", "Plagio", None)
    bruno = client.get(f"/studio/courses/corso/students/{ids['bruno']}").get_data(as_text=True)
    assert bruno.count("Order T000000888 refunded") == 1  # the audit entry, not the row as well
    assert "Reason: Entro 14 giorni" in bruno and "Order T000000888 paid" in bruno
    dario = client.get(f"/studio/courses/corso/students/{ids['dario']}").get_data(as_text=True)
    display = certificates.display_code(code)
    assert dario.count(f"Certificate {display} revoked") == 1 and "Reason: Plagio" in dario


def test_notes_are_validated_kept_on_error_and_audited(app, klass):
    client, ids = klass
    url = f"/studio/courses/corso/students/{ids['bruno']}/notes"
    empty = client.post(url, data={"body": "   "})
    assert empty.status_code == 400 and "Write the note." in empty.get_data(as_text=True)
    long_text = "Molto lungo " * 500
    too_long = client.post(url, data={"body": long_text}).get_data(as_text=True)
    assert "at most 5000 characters" in too_long and long_text.strip() in too_long
    assert 'aria-invalid="true"' in too_long
    body = "Chiamata il 3 marzo: <b>riprende</b> a maggio.\nRicontattare."
    response = client.post(url, data={"body": body})
    assert response.status_code == 302
    page = client.get(f"/studio/courses/corso/students/{ids['bruno']}").get_data(as_text=True)
    assert (
        '<p class="message-body">Chiamata il 3 marzo: &lt;b&gt;riprende&lt;/b&gt; a maggio.\n'
        "Ricontattare.</p>" in page
    )
    assert "· edited" not in page
    with app.app_context():
        note = db.session.scalar(select(InstructorNote))
        assert (note.course_id, note.student_id, note.body) == (ids["course"], ids["bruno"], body)
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "note.add"))
        assert entry.target_id == str(note.id) and entry.details["student_id"] == ids["bruno"]
        assert "riprende" not in str(entry.details)  # the text stays in the note only


def test_notes_edit_own_not_others_and_delete(app, klass):
    client, ids = klass
    base = f"/studio/courses/corso/students/{ids['bruno']}/notes"
    client.post(base, data={"body": "Prima nota"})
    with app.app_context():
        note_id = db.session.scalar(select(InstructorNote.id))
        factories.make_user(email="collega@example.org", role="instructor", locale="en")
        factories.make_user(email="admin@example.org", role="admin", locale="en")
    form = client.get(f"{base}/{note_id}/edit").get_data(as_text=True)
    assert "Prima nota</textarea>" in form
    invalid = client.post(f"{base}/{note_id}/edit", data={"body": ""})
    assert invalid.status_code == 400 and "Write the note." in invalid.get_data(as_text=True)
    assert client.post(f"{base}/{note_id}/edit", data={"body": "Nota corretta"}).status_code == 302
    page = client.get(f"/studio/courses/corso/students/{ids['bruno']}").get_data(as_text=True)
    assert "Nota corretta" in page and "Prima nota" not in page and "· edited" in page
    # The same note under another student's or course's address is not found.
    assert (
        client.get(f"/studio/courses/corso/students/{ids['anna']}/notes/{note_id}/edit").status_code
        == 404
    )
    assert (
        client.post(
            f"/studio/courses/corso/students/{ids['anna']}/notes/{note_id}/delete"
        ).status_code
        == 404
    )

    colleague = app.test_client()
    login(colleague, "collega@example.org")
    page = colleague.get(f"/studio/courses/corso/students/{ids['bruno']}").get_data(as_text=True)
    assert "Nota corretta" in page and f"{note_id}/edit" not in page and "/delete" not in page
    assert colleague.get(f"{base}/{note_id}/edit").status_code == 403
    assert colleague.post(f"{base}/{note_id}/edit", data={"body": "Mia"}).status_code == 403
    assert colleague.post(f"{base}/{note_id}/delete").status_code == 403
    with app.app_context():
        assert db.session.get(InstructorNote, note_id).body == "Nota corretta"
        actions = db.session.scalars(
            select(AuditEntry.action).where(AuditEntry.action.like("note.%"))
        )
        assert sorted(actions) == ["note.add", "note.edit"]

    admin = app.test_client()
    login(admin, "admin@example.org")
    assert admin.get(f"{base}/{note_id}/edit").status_code == 403  # only the author edits
    assert admin.post(f"{base}/{note_id}/delete").status_code == 302
    with app.app_context():
        assert db.session.get(InstructorNote, note_id) is None
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "note.delete"))
        admin_id = db.session.scalar(select(User.id).where(User.role == "admin"))
        assert entry.actor_id == admin_id and entry.target_id == str(note_id)

    client.post(base, data={"body": "Da cancellare"})
    with app.app_context():
        own = db.session.scalar(select(InstructorNote.id))
    assert client.post(f"{base}/{own}/delete").status_code == 302
    with app.app_context():
        assert db.session.scalar(select(InstructorNote)) is None


def test_notes_are_never_shown_to_the_student(app, klass):
    client, ids = klass
    client.post(
        f"/studio/courses/corso/students/{ids['dario']}/notes", data={"body": "NOTA-RISERVATA"}
    )
    student = app.test_client()
    login(student, "dario@example.org")
    for path in ("/learn/corso/", "/learn/corso/lezione-1-1", "/learn/corso/exam/", "/account",
                 "/certificates/", f"/studio/courses/corso/students/{ids['dario']}"):  # fmt: skip
        response = student.get(path)
        assert "NOTA-RISERVATA" not in response.get_data(as_text=True), path
    assert student.get(f"/studio/courses/corso/students/{ids['dario']}").status_code == 403


def csv_of(response) -> list[list[str]]:
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")  # the byte-order mark Excel needs for accents
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


HEADER = [
    "Name", "Email", "City", "Headline", "Enrolled on", "Source", "Status", "Progress (%)",
    "Quizzes passed", "Quizzes in the course", "Best exam score (%)", "Exam passed",
    "Certificate status", "Certificate code", "Last activity",
]  # fmt: skip


def test_csv_has_the_header_and_every_figure(app, klass):
    client, ids = klass
    response = client.get("/studio/courses/corso/students.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Cache-Control"] == "no-store"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment; filename=corso-all-") and disposition.endswith(
        ".csv"
    )
    rows = csv_of(response)
    code = certificates.display_code(ids["certificate"])

    def iso(moment):
        return moment.isoformat(timespec="seconds")

    assert rows == [
        HEADER,
        ["Anna Nuova", "anna@example.org", "", "", days_ago(3).date().isoformat(), "free",
         "active", "0", "0", "1", "", "", "none", "", iso(days_ago(3))],
        ["Elena Revocata", "elena@example.org", "", "", days_ago(10).date().isoformat(),
         "purchase", "revoked", "0", "0", "1", "", "", "none", "", iso(days_ago(10))],
        ["Carla Attiva", "carla@example.org", "", "", days_ago(30).date().isoformat(), "manual",
         "active", "40", "0", "1", "", "", "none", "", iso(days_ago(2, hours=-1))],
        ["Bruno Fermo", "bruno@example.org", "Torino", "Assistente per studi legali",
         days_ago(60).date().isoformat(), "purchase", "active", "20", "0", "1", "", "", "none",
         "", iso(days_ago(40))],
        ["Dario Finito", "dario@example.org", "", "", days_ago(90).date().isoformat(),
         "purchase", "active", "100", "1", "1", "90", "yes", "valid", code,
         iso(days_ago(20, hours=1) + timedelta(minutes=20))],
    ]  # fmt: skip
    assert response.get_data().count(b"\r\n") == 6


def test_csv_applies_search_and_filter_and_defuses_formulas(app, klass):
    client, ids = klass
    with app.app_context():
        bruno = db.session.get(User, ids["bruno"])
        bruno.name = '=HYPERLINK("http://x")'
        anna = db.session.get(User, ids["anna"])
        anna.name = "@SUM(A1)"
        db.session.commit()
        factories.make_profile(anna, published=False, city="+39 Napoli", headline="-2+3")
        carla = db.session.get(User, ids["carla"])
        profile = factories.make_profile(carla, published=False, city="Tab")
        profile.city, profile.headline = "\tTab", "\rRitorno"  # the profile form strips them
        db.session.commit()
    stalled = csv_of(client.get("/studio/courses/corso/students.csv?show=stalled"))
    assert [row[0] for row in stalled] == ["Name", '\'=HYPERLINK("http://x")']
    not_started = csv_of(client.get("/studio/courses/corso/students.csv?show=not_started&q=napoli"))
    assert [row[:4] for row in not_started[1:]] == [
        ["'@SUM(A1)", "anna@example.org", "'+39 Napoli", "'-2+3"]
    ]
    searched = csv_of(client.get("/studio/courses/corso/students.csv?q=carla"))
    assert [row[2:4] for row in searched[1:]] == [["'\tTab", "'\rRitorno"]]
    assert csv_of(client.get("/studio/courses/corso/students.csv?q=nessuno")) == [HEADER]


def test_csv_header_follows_the_language(app, klass):
    client, _ids = klass
    client.post("/language", data={"lang": "it", "next": "/"})
    header = csv_of(client.get("/studio/courses/corso/students.csv"))[0]
    assert header[0] == "Nome" and header[1] == "Email" and header[2] == "Città"


def test_photo_is_served_to_staff_for_an_enrolled_student(app, klass, tmp_path):
    client, ids = klass
    from PIL import Image

    from lms.services import directory, photos

    picture = io.BytesIO()
    Image.new("RGB", (200, 200), "teal").save(picture, "PNG")
    picture.seek(0)
    with app.app_context():
        name = photos.store_photo(picture)
        directory.save_profile(
            ids["bruno"],
            directory.ProfileData(display_name="Bruno Fermo", slug="bruno-fermo", city="Torino"),
            name,
            False,
        )
    photo_url = f"/studio/courses/corso/students/{ids['bruno']}/photo"
    page = client.get("/studio/courses/corso/students").get_data(as_text=True)
    assert f'src="{photo_url}"' in page and ">AN</span>" in page  # Anna has initials
    with client.get(photo_url) as response:
        assert response.status_code == 200 and response.mimetype == "image/webp"
        assert response.headers["Cache-Control"] == "no-store"  # as every page for staff
    assert client.get(f"/directory/photos/{name}").status_code == 404  # not listed publicly
    assert client.get(f"/studio/courses/corso/students/{ids['anna']}/photo").status_code == 404
