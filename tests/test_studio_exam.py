"""The instructor's side of the exam: rules, extra attempts, each attempt's answers."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from lms.extensions import db
from lms.models import AuditEntry, Exam, User
from lms.services import exams
from tests import factories
from tests.conftest import login


@pytest.fixture
def studio(app):
    with app.app_context():
        course = factories.make_course(slug="corso", modules=1, lessons_per_module=1)
        exam = factories.make_exam(course, max_attempts=1)
        factories.make_user(email="docente@example.org", role="instructor")
        student = factories.make_user(email="candidata@example.org", name="Carla Candidata")
        factories.make_enrollment(student, course)
        exams.accept_pledge(student.id, exam, None)
        attempt = exams.start_attempt(student, exam)
        exams.submit(attempt.public_id, student.id)
        ids = {
            "exam": exam.id,
            "attempt": attempt.id,
            "student": student.id,
            "categories": [c.id for c in exam.categories],
        }
    client = app.test_client()
    login(client, "docente@example.org")
    return client, ids


def test_students_cannot_open_the_exam_studio(app, studio):
    _client, ids = studio
    student = app.test_client()
    login(student, "candidata@example.org")
    assert student.get("/studio/courses/corso/exam").status_code == 403
    assert student.get(f"/studio/exam-attempts/{ids['attempt']}").status_code == 403
    assert (
        student.post(
            "/studio/courses/corso/exam/grant",
            data={"email": "candidata@example.org", "reason": "x"},
        ).status_code
        == 403
    )


def test_rules_are_validated_saved_and_audited(app, studio):
    client, ids = studio
    first, second, third = ids["categories"]
    data = {
        "time_limit_minutes": "45",
        "pass_percent": "75",
        "max_attempts": "3",
        "cooldown_hours": "12",
        "grace_seconds": "20",
        f"draw_{first}": "9",
        f"draw_{second}": "3",
        f"draw_{third}": "1",
    }
    page = client.post("/studio/courses/corso/exam", data=data).get_data(as_text=True)
    assert 'value="45"' in page and 'value="9"' in page  # what was typed is kept
    assert "tra 0 e 4" in page or "0 and 4" in page
    data[f"draw_{first}"] = "4"
    assert client.post("/studio/courses/corso/exam", data=data).status_code == 302
    with app.app_context():
        exam = db.session.get(Exam, ids["exam"])
        assert (
            exam.time_limit_minutes,
            exam.pass_percent,
            exam.max_attempts,
            exam.questions_per_attempt,
        ) == (45, 75, 3, 8)
        assert (
            db.session.scalar(select(AuditEntry).where(AuditEntry.action == "exam.settings"))
            is not None
        )


def test_extra_attempt_and_attempt_review(app, studio):
    client, ids = studio
    page = client.get("/studio/courses/corso/exam").get_data(as_text=True)
    assert "Carla Candidata" in page and "0%" in page
    review = client.get(f"/studio/exam-attempts/{ids['attempt']}").get_data(as_text=True)
    assert "Risposta giusta:" in review and "Giusta 0." in review and "nessuna risposta" in review
    with app.app_context():
        exam, student = db.session.get(Exam, ids["exam"]), db.session.get(User, ids["student"])
        with pytest.raises(exams.ExamRefused):
            exams.start_attempt(student, exam)
    client.post(
        "/studio/courses/corso/exam/grant",
        data={"email": "candidata@example.org", "reason": "Connessione caduta"},
    )
    with app.app_context():
        from datetime import timedelta

        import time_machine

        from lms.models import utcnow

        exam, student = db.session.get(Exam, ids["exam"]), db.session.get(User, ids["student"])
        with time_machine.travel(utcnow() + timedelta(days=2)):
            assert exams.start_attempt(student, exam).number == 2
        entry = db.session.scalar(
            select(AuditEntry).where(AuditEntry.action == "exam.grant_attempt")
        )
        assert entry.details["reason"] == "Connessione caduta"


def test_question_bank_shows_answers_and_takes_questions_out_of_draws(app, studio):
    client, ids = studio
    page = client.get("/studio/courses/corso/exam/bank").get_data(as_text=True)
    assert "Categoria 0" in page and "Giusta 0.0" in page and "Spiegazione segreta" in page
    with app.app_context():
        from lms.models import ExamQuestion

        questions = db.session.scalars(
            select(ExamQuestion)
            .where(ExamQuestion.category_id == ids["categories"][0])
            .order_by(ExamQuestion.id)
        ).all()
        question_ids = [q.id for q in questions]
    client.post(f"/studio/courses/corso/exam/bank/{question_ids[0]}", data={"active": "0"})
    client.post(f"/studio/courses/corso/exam/bank/{question_ids[1]}", data={"active": "0"})
    refused = client.post(
        f"/studio/courses/corso/exam/bank/{question_ids[2]}", data={"active": "0"}
    )
    assert refused.status_code == 302  # a quota of 2 needs 2 active questions
    with app.app_context():
        from lms.models import ExamQuestion

        active = [db.session.get(ExamQuestion, qid).is_active for qid in question_ids]
        assert active == [False, False, True, True]
        student, exam = db.session.get(User, ids["student"]), db.session.get(Exam, ids["exam"])
        layout = exams.draw_layout(exam)
        assert not {item["question_id"] for item in layout} & set(question_ids[:2])
        assert db.session.scalar(
            select(AuditEntry).where(AuditEntry.action == "exam.question_active")
        )
        assert student is not None
    assert (
        client.post("/studio/courses/corso/exam/bank/999999", data={"active": "0"}).status_code
        == 404
    )
