"""Quizzes: every question type graded on the server, nothing given away before submitting."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from lms.extensions import db
from lms.models import Quiz, QuizAttempt
from lms.services import quizzes
from tests import factories
from tests.conftest import login


@pytest.fixture
def quiz_world(app):
    with app.app_context():
        course = factories.make_course(slug="corso", modules=1, lessons_per_module=1)
        quiz = factories.make_quiz(course, course.modules[0], max_attempts=2)
        user = factories.make_user(email="studente@example.org")
        factories.make_enrollment(user, course)
        return quiz.id


def _quiz(quiz_id):
    return quizzes.load(db.session.get(Quiz, quiz_id).course_id, quiz_id)


def test_grading_of_every_question_type(app, quiz_world):
    with app.app_context():
        quiz = _quiz(quiz_world)
        single, multiple, true_false, text = quiz.questions
        right_single = str(next(c.id for c in single.choices if c.is_correct))
        wrong_single = str(next(c.id for c in single.choices if not c.is_correct))
        both = [str(c.id) for c in multiple.choices if c.is_correct]
        assert quizzes.is_correct(single, [right_single])
        assert not quizzes.is_correct(single, [wrong_single])
        assert not quizzes.is_correct(single, [right_single, wrong_single])
        assert quizzes.is_correct(multiple, both)
        assert not quizzes.is_correct(multiple, both[:1])
        assert not quizzes.is_correct(multiple, [*both, str(multiple.choices[2].id)])
        assert quizzes.is_correct(true_false, ["true"]) and not quizzes.is_correct(
            true_false, ["false"]
        )
        assert not quizzes.is_correct(true_false, [])
        for answer in ("forfettario", "  Regime   FORFETTARIO ", "Forfettàrio.", "forfettario!"):
            assert quizzes.is_correct(text, [answer]), answer
        for answer in ("", "ordinario", "forfettario ordinario"):
            assert not quizzes.is_correct(text, [answer]), answer
        score, record = quizzes.grade(quiz, {single.id: [right_single], true_false.id: ["true"]})
        assert score == 50
        assert record[str(multiple.id)] == {"given": [], "correct": False}


def test_quiz_page_gives_nothing_away_and_keeps_its_order(app, client, quiz_world):
    login(client, "studente@example.org")
    first = client.get(f"/learn/corso/quiz/{quiz_world}").get_data(as_text=True)
    again = client.get(f"/learn/corso/quiz/{quiz_world}").get_data(as_text=True)
    order = re.findall(r'name="q\d+" value="([^"]+)"', first)
    assert order == re.findall(r'name="q\d+" value="([^"]+)"', again)
    for secret in (
        "Un password manager.",
        "Entrambi i primi due.",
        "Il forfettario.",
        "correct",
        "regime forfettario",
    ):
        assert secret not in first, secret
    with app.app_context():
        quiz = _quiz(quiz_world)
        orders = {
            tuple(c for q in quizzes.questions_for(quiz, 1, n) for c, _t in q.choices)
            for n in range(1, 6)
        }
    assert len(orders) > 1  # each attempt is shuffled anew


def test_submit_shows_score_answers_and_explanations(app, client, quiz_world):
    login(client, "studente@example.org")
    with app.app_context():
        quiz = _quiz(quiz_world)
        answers = factories.right_answers(quiz)
        answers[f"q{quiz.questions[1].id}"] = answers[f"q{quiz.questions[1].id}"][
            :1
        ]  # half of "multiple"
    response = client.post(f"/learn/corso/quiz/{quiz_world}", data={**answers, "attempt": "1"})
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Tentativo 1: 75%" in page and "Superato!" in page
    assert "Entrambi i primi due." in page and "Risposta giusta:" in page
    assert "Web Marketing Assistant" in page
    # The same attempt sent again (a double click, a replay) changes nothing.
    client.post(f"/learn/corso/quiz/{quiz_world}", data={**answers, "attempt": "1"})
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(QuizAttempt)) == 1


def test_attempt_limit(app, client, quiz_world):
    login(client, "studente@example.org")
    for number in (1, 2):
        assert (
            client.post(
                f"/learn/corso/quiz/{quiz_world}", data={"attempt": str(number)}
            ).status_code
            == 303
        )
    refused = client.post(f"/learn/corso/quiz/{quiz_world}", data={"attempt": "3"})
    assert refused.status_code == 302
    page = client.get(f"/learn/corso/quiz/{quiz_world}").get_data(as_text=True)
    assert "Non hai più tentativi" in page and "Hai usato tutti i tentativi" in page
    assert "Invia le risposte" not in page
    with app.app_context():
        scores = db.session.scalars(
            select(QuizAttempt.score_percent).order_by(QuizAttempt.number)
        ).all()
    assert scores == [0, 0]


def test_client_cannot_choose_the_attempt_number_or_score(app, client, quiz_world):
    login(client, "studente@example.org")
    assert (
        client.post(
            f"/learn/corso/quiz/{quiz_world}", data={"attempt": "7", "score": "100"}
        ).status_code
        == 302
    )
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(QuizAttempt)) == 0


def test_limited_attempts_keep_the_answers_until_passed_or_used_up(app, client, quiz_world):
    login(client, "studente@example.org")
    first = client.post(f"/learn/corso/quiz/{quiz_world}", data={"attempt": "1"})
    page = client.get(first.headers["Location"]).get_data(as_text=True)
    assert "Tentativo 1: 0%" in page
    assert "Risposta giusta:" not in page and "Entrambi i primi due." not in page
    assert "compaiono quando superi" in page
    second = client.post(f"/learn/corso/quiz/{quiz_world}", data={"attempt": "2"})
    page = client.get(second.headers["Location"]).get_data(as_text=True)
    assert "Risposta giusta:" in page and "Entrambi i primi due." in page  # no attempt left
