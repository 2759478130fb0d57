"""The exam through the browser's requests: eligibility, pledge, attempt page, autosave, result."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from lms.extensions import db
from lms.models import ExamAttempt, ExamQuestion
from tests import factories
from tests.conftest import login


@pytest.fixture
def candidate(app):
    with app.app_context():
        course = factories.make_course(slug="corso", modules=1, lessons_per_module=1)
        factories.make_exam(course)
        user = factories.make_user(email="candidata@example.org")
        factories.make_enrollment(user, course)
        factories.make_user(email="estranea@example.org")
    client = app.test_client()
    login(client, "candidata@example.org")
    return client


def test_exam_says_what_is_missing_then_asks_for_the_pledge(app, candidate):
    page = candidate.get("/learn/corso/exam/").get_data(as_text=True)
    assert "completa il corso" in page and "1 lezione ancora da completare" in page
    assert candidate.post("/learn/corso/exam/start").status_code == 403
    candidate.post("/learn/corso/lezione-1-1/done")
    page = candidate.get("/learn/corso/exam/").get_data(as_text=True)
    assert "Art. 1" in page and "Mi impegno a rispettare il codice." in page
    refused = candidate.post("/learn/corso/exam/pledge", data={})
    assert refused.status_code == 302
    candidate.post("/learn/corso/exam/pledge", data={"accept": "y"})
    assert "Inizia l'esame" in candidate.get("/learn/corso/exam/").get_data(as_text=True)


def test_not_enrolled_gets_403(app, candidate):
    other = app.test_client()
    login(other, "estranea@example.org")
    assert other.get("/learn/corso/exam/").status_code == 403


def test_attempt_page_autosave_and_result(app, candidate):
    candidate.post("/learn/corso/lezione-1-1/done")
    candidate.post("/learn/corso/exam/pledge", data={"accept": "y"})
    started = candidate.post("/learn/corso/exam/start")
    assert started.status_code == 303
    page = candidate.get(started.headers["Location"]).get_data(as_text=True)
    assert "Spiegazione segreta" not in page and "is_correct" not in page and 'role="timer"' in page
    with app.app_context():
        attempt = db.session.scalar(select(ExamAttempt))
        public_id = attempt.public_id
        answers = {}
        for item in attempt.layout:
            question = db.session.get(ExamQuestion, item["question_id"])
            right = next(c.id for c in question.choices if c.is_correct)
            answers[item["token"]] = next(
                o["token"] for o in item["options"] if o["choice_id"] == right
            )
        choice_ids = {
            str(choice.id)
            for item in attempt.layout
            for choice in db.session.get(ExamQuestion, item["question_id"]).choices
        }
    import re

    option_values = set(re.findall(r'type="(?:radio|checkbox)" name="[^"]+" value="([^"]+)"', page))
    assert len(option_values) == 18 and not option_values & choice_ids
    url = f"/learn/corso/exam/{public_id}/answer"
    for number, (question, option) in enumerate(answers.items(), start=1):
        response = candidate.post(
            url, json={"question": question, "selected": [option], "sequence": number}
        )
        assert response.get_json() == {"saved": True}
    assert (
        candidate.post(url, json={"question": "nope", "selected": [], "sequence": 99}).status_code
        == 409
    )
    assert (
        candidate.post(url, json={"question": question, "selected": "x", "sequence": 1}).status_code
        == 400
    )
    # Someone else cannot read, save into or submit this attempt.
    other = app.test_client()
    login(other, "estranea@example.org")
    with app.app_context():
        from lms.models import Course, User

        course_id = db.session.scalar(select(Course.id))
        stranger = db.session.scalar(select(User).where(User.email == "estranea@example.org"))
        factories.make_enrollment(stranger, db.session.get(Course, course_id))
    assert other.get(f"/learn/corso/exam/{public_id}").status_code == 404
    assert (
        other.post(
            url, json={"question": question, "selected": [option], "sequence": 1000}
        ).status_code
        == 404
    )
    # Reloading shows the saved answers; submitting grades them; the client's score is ignored.
    reloaded = candidate.get(f"/learn/corso/exam/{public_id}").get_data(as_text=True)
    assert reloaded.count("checked") == len(answers)
    done = candidate.post(
        f"/learn/corso/exam/{public_id}/submit", data={"score": "0", "passed": "n"}
    )
    result = candidate.get(done.headers["Location"]).get_data(as_text=True)
    assert "Tentativo 1: 100%" in result and "Complimenti" in result and "Categoria 0" in result
    # The certificate comes with the pass, on the result page.
    with app.app_context():
        from lms.models import Certificate

        code = db.session.scalar(select(Certificate)).display_code
    assert f"/verify/{code}.pdf?download=1" in result and code in result
    assert "già superato" in candidate.get("/learn/corso/exam/").get_data(as_text=True)


def test_a_refunded_student_is_told_why_the_exam_is_closed(app, candidate):
    with app.app_context():
        from lms.models import Enrollment

        db.session.scalar(select(Enrollment)).status = "refunded"
        db.session.commit()
    response = candidate.get("/learn/corso/exam/")
    assert response.status_code == 403
    assert "accesso a questo corso non è attivo" in response.get_data(as_text=True)


def test_answers_follow_the_candidate_to_a_new_session(app, candidate):
    candidate.post("/learn/corso/lezione-1-1/done")
    candidate.post("/learn/corso/exam/pledge", data={"accept": "y"})
    location = candidate.post("/learn/corso/exam/start").headers["Location"]
    with app.app_context():
        attempt = db.session.scalar(select(ExamAttempt))
        token, option = attempt.layout[0]["token"], attempt.layout[0]["options"][2]["token"]
    candidate.post(
        location + "/answer", json={"question": token, "selected": [option], "sequence": 7}
    )
    laptop = app.test_client()  # another device, a fresh login
    login(laptop, "candidata@example.org")
    page = laptop.post("/learn/corso/exam/start").headers["Location"]
    assert page == location
    assert f'value="{option}" checked' in laptop.get(page).get_data(as_text=True)


def test_saving_stops_when_access_ends_during_the_exam(app, candidate):
    candidate.post("/learn/corso/lezione-1-1/done")
    candidate.post("/learn/corso/exam/pledge", data={"accept": "y"})
    location = candidate.post("/learn/corso/exam/start").headers["Location"]
    with app.app_context():
        from lms.models import Enrollment

        attempt = db.session.scalar(select(ExamAttempt))
        token, option = attempt.layout[0]["token"], attempt.layout[0]["options"][0]["token"]
        db.session.scalar(select(Enrollment)).status = "refunded"
        db.session.commit()
    response = candidate.post(
        location + "/answer", json={"question": token, "selected": [option], "sequence": 1}
    )
    assert response.status_code == 403 and response.get_json() == {"error": "not_enrolled"}
