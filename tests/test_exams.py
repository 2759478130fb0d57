"""The certification exam's rules, each with a frozen clock."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from lms.extensions import db
from lms.models import AttemptState, ExamAttempt, ExamChoice, ExamQuestion, User
from lms.services import exam_admin, exams
from tests import factories

START = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def setup(app):
    with app.app_context():
        course = factories.make_course(slug="corso", modules=1, lessons_per_module=1)
        exam = factories.make_exam(course)
        user = factories.make_user(email="candidata@example.org")
        other = factories.make_user(email="altra@example.org")
        factories.make_enrollment(user, course)
        factories.make_enrollment(other, course)
        return {"exam": exam.id, "user": user.id, "other": other.id}


def _objects(ids):
    from lms.models import Exam

    return db.session.get(Exam, ids["exam"]), db.session.get(User, ids["user"])


def _start(ids, now=START):
    exam, user = _objects(ids)
    exams.accept_pledge(user.id, exam, "127.0.0.1")
    return exams.start_attempt(user, exam, now)


def _right_tokens(attempt):
    """(question token, token of the right option) for each question of the attempt."""
    pairs = []
    for item in attempt.layout:
        question = db.session.get(ExamQuestion, item["question_id"])
        right = next(c.id for c in question.choices if c.is_correct)
        pairs.append(
            (item["token"], next(o["token"] for o in item["options"] if o["choice_id"] == right))
        )
    return pairs


def test_pledge_comes_first_and_is_recorded_once(app, setup):
    with app.app_context():
        exam, user = _objects(setup)
        with pytest.raises(exams.ExamRefused, match="no_pledge"):
            exams.start_attempt(user, exam, START)
        exams.accept_pledge(user.id, exam, "10.0.0.1")
        exams.accept_pledge(user.id, exam, "10.0.0.1")
        from lms.models import ExamPledge

        [pledge] = db.session.scalars(select(ExamPledge)).all()
        assert (
            pledge.ip == "10.0.0.1" and pledge.pledge_text == "Mi impegno a rispettare il codice."
        )


def test_drawing_respects_quotas_and_hides_ids(app, setup):
    with app.app_context():
        attempt = _start(setup)
        categories = {}
        for item in attempt.layout:
            question = db.session.get(ExamQuestion, item["question_id"])
            categories[question.category.key] = categories.get(question.category.key, 0) + 1
            choice_ids = {str(choice_id) for choice_id in db.session.scalars(select(ExamChoice.id))}
            assert not {o["token"] for o in item["options"]} & choice_ids
            assert len(item["token"]) >= 12
        assert categories == {"cat0": 2, "cat1": 2, "cat2": 2}
        shown = exams.shown_questions(attempt)
        fields = set(shown[0].__dataclass_fields__)
        assert fields == {"token", "kind", "prompt", "options", "selected"}
        assert all("Spiegazione" not in q.prompt for q in shown)


def test_reloading_resumes_the_same_layout_and_two_attempts_differ(app, setup):
    with app.app_context():
        first = _start(setup)
        exam, user = _objects(setup)
        again = exams.start_attempt(user, exam, START + timedelta(minutes=5))
        assert again.id == first.id and again.layout == first.layout
        layout = first.layout
        with time_machine.travel(START + timedelta(minutes=10), tick=False):
            exams.submit(first.public_id, user.id)
        with time_machine.travel(START + timedelta(days=2)):
            second = exams.start_attempt(user, exam)
        assert second.number == 2 and second.layout != layout


def test_two_concurrent_starts_make_one_attempt(app, setup):
    with app.app_context():
        exam, user = _objects(setup)
        exams.accept_pledge(user.id, exam, None)
    barrier = threading.Barrier(8)
    ids = []

    def start():
        with app.app_context():
            exam, user = _objects(setup)
            barrier.wait()
            ids.append(exams.start_attempt(user, exam, START).id)

    threads = [threading.Thread(target=start) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(ids)) == 1
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ExamAttempt)) == 1


def test_answers_autosave_and_grade_on_submit(app, setup):
    with app.app_context():
        attempt = _start(setup)
        user_id = setup["user"]
        pairs = _right_tokens(attempt)
        with time_machine.travel(START + timedelta(minutes=10), tick=False):
            for token, right in pairs[:5]:
                assert exams.save_answer(attempt.public_id, user_id, token, [right], 1)
            wrong = next(
                o["token"] for o in attempt.layout[5]["options"] if o["token"] != pairs[5][1]
            )
            exams.save_answer(attempt.public_id, user_id, pairs[5][0], [wrong], 1)
            # A new session (another device) sees the saved answers.
            shown = {q.token: q.selected for q in exams.shown_questions(attempt)}
            assert shown[pairs[0][0]] == [pairs[0][1]]
            closed = exams.submit(attempt.public_id, user_id)
        assert (
            closed.state == AttemptState.SUBMITTED and closed.score_percent == 83 and closed.passed
        )
        assert sum(entry["total"] for entry in closed.breakdown.values()) == 6
        # A second or replayed submit changes nothing, and saving is over.
        with time_machine.travel(START + timedelta(minutes=11), tick=False):
            again = exams.submit(attempt.public_id, user_id)
            assert (again.score_percent, again.closed_at) == (83, closed.closed_at)
            with pytest.raises(exams.ExamRefused, match="closed"):
                exams.save_answer(attempt.public_id, user_id, pairs[5][0], [pairs[5][1]], 2)


def test_deadline_grace_and_expiry(app, setup):
    with app.app_context():
        attempt = _start(setup)
        user_id = setup["user"]
        pairs = _right_tokens(attempt)
        with time_machine.travel(START + timedelta(minutes=30, seconds=20), tick=False):
            assert exams.save_answer(
                attempt.public_id, user_id, pairs[0][0], [pairs[0][1]], 1
            )  # in grace
        late = START + timedelta(minutes=30, seconds=31)
        with (
            time_machine.travel(late, tick=False),
            pytest.raises(exams.ExamRefused, match="closed"),
        ):
            exams.save_answer(attempt.public_id, user_id, pairs[1][0], [pairs[1][1]], 1)
        db.session.expire_all()
        closed = db.session.get(ExamAttempt, attempt.id)
        assert (
            closed.state == AttemptState.EXPIRED and closed.score_percent == 17
        )  # 1 of 6, as saved


def test_open_attempts_are_closed_by_the_command(app, setup):
    with app.app_context():
        attempt_id = _start(setup).id
    with time_machine.travel(START + timedelta(hours=1), tick=False):
        result = app.test_cli_runner().invoke(args=["lms", "close-expired-attempts"])
    assert result.exit_code == 0 and "1 attempt closed" in result.output
    with app.app_context():
        assert db.session.get(ExamAttempt, attempt_id).state == AttemptState.EXPIRED


def test_attempt_cap_cooldown_and_extra_attempt(app, setup):
    with app.app_context():
        exam, user = _objects(setup)
        first = _start(setup)
        with time_machine.travel(START + timedelta(minutes=5), tick=False):
            exams.submit(first.public_id, user.id)  # nothing answered: 0%, failed
        closed_at = db.session.get(ExamAttempt, first.id).closed_at
        with time_machine.travel(closed_at + timedelta(hours=23), tick=False):
            with pytest.raises(exams.ExamRefused) as refused:
                exams.start_attempt(user, exam)
            assert (
                refused.value.reason == "cooldown"
                and refused.value.until == closed_at + timedelta(hours=24)
            )
        with time_machine.travel(closed_at + timedelta(hours=25), tick=False):
            second = exams.start_attempt(user, exam)
            exams.submit(second.public_id, user.id)
        with time_machine.travel(closed_at + timedelta(days=3), tick=False):
            with pytest.raises(exams.ExamRefused, match="no_attempts_left"):
                exams.start_attempt(user, exam)
            staff = factories.make_user(email="docente@example.org", role="instructor")
            exam_admin.grant_extra_attempt(staff, exam, user.id, "problema di connessione", None)
            assert exams.start_attempt(user, exam).number == 3


def test_foreign_questions_options_attempts_and_stale_saves_are_refused(app, setup):
    with app.app_context():
        attempt = _start(setup)
        user_id, other_id = setup["user"], setup["other"]
        pairs = _right_tokens(attempt)
        with time_machine.travel(START + timedelta(minutes=1), tick=False):
            with pytest.raises(exams.ExamRefused, match="foreign_question"):
                exams.save_answer(
                    attempt.public_id, user_id, "not-in-this-attempt", [pairs[0][1]], 1
                )
            with pytest.raises(exams.ExamRefused, match="foreign_option"):
                exams.save_answer(attempt.public_id, user_id, pairs[0][0], [pairs[1][1]], 1)
            with pytest.raises(exams.ExamRefused, match="foreign_option"):
                right_id = str(
                    db.session.get(ExamQuestion, attempt.layout[0]["question_id"]).choices[0].id
                )
                exams.save_answer(attempt.public_id, user_id, pairs[0][0], [right_id], 1)
            with pytest.raises(exams.ExamRefused, match="not_found"):
                exams.save_answer(attempt.public_id, other_id, pairs[0][0], [pairs[0][1]], 1)
            with pytest.raises(exams.ExamRefused, match="not_found"):
                exams.submit(attempt.public_id, other_id)
            # A stale tab (older sequence number) cannot overwrite a newer answer.
            wrong = next(
                o["token"] for o in attempt.layout[0]["options"] if o["token"] != pairs[0][1]
            )
            assert exams.save_answer(attempt.public_id, user_id, pairs[0][0], [pairs[0][1]], 5)
            assert not exams.save_answer(attempt.public_id, user_id, pairs[0][0], [wrong], 4)
            shown = {q.token: q.selected for q in exams.shown_questions(attempt)}
            assert shown[pairs[0][0]] == [pairs[0][1]]
