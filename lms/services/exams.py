"""The certification exam: eligibility, pledge, drawing, autosave, deadline and grading.

Everything the candidate's browser could lie about is decided here: the layout is drawn and
stored at start, the deadline is the server's, answers are checked against that layout, and the
score is computed from what was saved. Option tokens are random per attempt, never database ids.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from lms.extensions import db, write_transaction
from lms.models import (
    AttemptState,
    Course,
    Exam,
    ExamAnswer,
    ExamAttempt,
    ExamCategory,
    ExamGrant,
    ExamPledge,
    ExamQuestion,
    User,
    utcnow,
)
from lms.services import audit, certificates, enrollment
from lms.services.errors import DomainError

_random = secrets.SystemRandom()


class ExamRefused(DomainError):
    """no_pledge, not_ready, already_passed, no_attempts_left, cooldown, closed, ..."""

    def __init__(self, reason: str, *, until: datetime | None = None):
        super().__init__(reason)
        self.reason = reason
        self.until = until


@dataclass(frozen=True)
class ShownOption:
    token: str
    text: str


@dataclass(frozen=True)
class ShownQuestion:
    """What the attempt page may know: no correctness, explanation, weight or database id."""

    token: str
    kind: str
    prompt: str
    options: list[ShownOption]
    selected: list[str]


def exam_for(course_id: int) -> Exam | None:
    return db.session.scalar(select(Exam).where(Exam.course_id == course_id))


def has_pledged(user_id: int, exam_id: int) -> bool:
    found = select(ExamPledge.id).where(
        ExamPledge.user_id == user_id, ExamPledge.exam_id == exam_id
    )
    return db.session.scalar(found) is not None


@write_transaction()
def accept_pledge(user_id: int, exam: Exam, ip: str | None) -> None:
    """Record the pledge once, with the text accepted; accepting again changes nothing."""
    if has_pledged(user_id, exam.id):
        db.session.commit()
        return
    try:
        with db.session.begin_nested():
            db.session.add(
                ExamPledge(exam_id=exam.id, user_id=user_id, ip=ip, pledge_text=exam.pledge_text)
            )
    except IntegrityError:
        pass
    audit.record("exam.pledge", actor_id=user_id, ip=ip, exam_id=exam.id)
    db.session.commit()


def attempts_of(user_id: int, exam_id: int) -> Sequence[ExamAttempt]:
    return db.session.scalars(
        select(ExamAttempt)
        .where(ExamAttempt.user_id == user_id, ExamAttempt.exam_id == exam_id)
        .order_by(ExamAttempt.number)
    ).all()


def allowed_attempts(exam: Exam, user_id: int) -> int:
    grants = db.session.scalar(
        select(func.count(ExamGrant.id)).where(
            ExamGrant.exam_id == exam.id, ExamGrant.user_id == user_id
        )
    )
    return exam.max_attempts + (grants or 0)


def next_start(exam: Exam, user_id: int, now: datetime) -> tuple[str | None, datetime | None]:
    """Why a new attempt cannot start now (reason, until when), or (None, None) when it can.

    Once passed, the exam opens again only to renew a certificate that is expiring; the attempt
    cap and cooldown then count from the renewal window, not from the first certification.
    """
    if exam.questions_per_attempt <= 0:
        return "not_ready", None  # a new exam draws nothing until its topics have quotas
    attempts = attempts_of(user_id, exam.id)
    if any(attempt.passed for attempt in attempts):
        renewing = certificates.renewal_open(user_id, exam.course_id, now)
        if renewing is None:
            return "already_passed", None
        attempts = [attempt for attempt in attempts if attempt.started_at > renewing]
        if any(attempt.passed for attempt in attempts):
            return "already_passed", None
    if len(attempts) >= allowed_attempts(exam, user_id):
        return "no_attempts_left", None
    closed = [attempt.closed_at for attempt in attempts if attempt.closed_at is not None]
    if closed:
        opens = max(closed) + timedelta(hours=exam.cooldown_hours)
        if opens > now:
            return "cooldown", opens
    return None, None


def draw_layout(exam: Exam) -> list[dict[str, Any]]:
    """Draw each category's quota, shuffle questions and options, give everything random tokens."""
    drawn: list[ExamQuestion] = []
    categories = db.session.scalars(
        select(ExamCategory)
        .where(ExamCategory.exam_id == exam.id)
        .options(selectinload(ExamCategory.questions).selectinload(ExamQuestion.choices))
    ).all()
    for category in categories:
        active = [question for question in category.questions if question.is_active]
        drawn.extend(_random.sample(active, min(category.draw, len(active))))
    _random.shuffle(drawn)
    layout = []
    for question in drawn:
        options = [
            {"token": secrets.token_urlsafe(9), "choice_id": choice.id}
            for choice in question.choices
        ]
        _random.shuffle(options)
        layout.append(
            {"token": secrets.token_urlsafe(9), "question_id": question.id, "options": options}
        )
    return layout


def _in_progress(user_id: int, exam_id: int) -> ExamAttempt | None:
    return db.session.scalar(
        select(ExamAttempt)
        .where(
            ExamAttempt.user_id == user_id,
            ExamAttempt.exam_id == exam_id,
            ExamAttempt.state == AttemptState.IN_PROGRESS.value,
        )
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def start_attempt(user: User, exam: Exam, now: datetime | None = None) -> ExamAttempt:
    """Resume the attempt in progress, or start a new one if the rules allow it."""
    now = now or utcnow()
    with write_transaction():
        current = _in_progress(user.id, exam.id)
        if current is not None and not _close_if_expired(current, now):
            db.session.commit()
            return current
        if not has_pledged(user.id, exam.id):
            raise ExamRefused("no_pledge")
        reason, until = next_start(exam, user.id, now)
        if reason:
            db.session.commit()  # keep an attempt closed on the way
            raise ExamRefused(reason, until=until)
        attempt = ExamAttempt(
            public_id=secrets.token_urlsafe(16),
            user_id=user.id,
            exam_id=exam.id,
            number=len(attempts_of(user.id, exam.id)) + 1,
            started_at=now,
            deadline=now + timedelta(minutes=exam.time_limit_minutes),
            layout=draw_layout(exam),
        )
        db.session.add(attempt)
        try:
            db.session.flush()
        except IntegrityError:  # another tab started one at the same moment: use that one
            db.session.rollback()
            current = _in_progress(user.id, exam.id)
            if current is None:
                raise
            db.session.commit()
            return current
        audit.record("exam.start", actor_id=user.id, target=attempt, exam_id=exam.id)
        db.session.commit()
        return attempt


def _attempt_of(public_id: str, user_id: int) -> ExamAttempt:
    attempt = db.session.scalar(
        select(ExamAttempt)
        .where(ExamAttempt.public_id == public_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if attempt is None or attempt.user_id != user_id:
        raise ExamRefused("not_found")
    return attempt


def _hard_deadline(attempt: ExamAttempt, exam: Exam) -> datetime:
    return attempt.deadline + timedelta(seconds=exam.grace_seconds)


def _close_if_expired(attempt: ExamAttempt, now: datetime) -> bool:
    """Close an attempt left open past its deadline and grace, grading what was saved."""
    exam = db.session.get(Exam, attempt.exam_id)
    if attempt.state != AttemptState.IN_PROGRESS or now <= _hard_deadline(attempt, exam):
        return False
    _grade_and_close(attempt, exam, AttemptState.EXPIRED, now)
    return True


def save_answer(
    public_id: str, user_id: int, question_token: str, selected: list[str], sequence: int
) -> bool:
    """Autosave one answer; False when a newer save from the same attempt already arrived."""
    now = utcnow()
    with write_transaction():
        attempt = _attempt_of(public_id, user_id)
        if not enrollment.is_enrolled(user_id, db.session.get(Exam, attempt.exam_id).course_id):
            raise ExamRefused("not_enrolled")  # refunded or revoked during the exam
        if attempt.state != AttemptState.IN_PROGRESS or _close_if_expired(attempt, now):
            db.session.commit()
            raise ExamRefused("closed")
        item = next((item for item in attempt.layout if item["token"] == question_token), None)
        if item is None:
            raise ExamRefused("foreign_question")
        question = db.session.get(ExamQuestion, item["question_id"])
        allowed = (
            {"true", "false"}
            if question.kind == "true_false"
            else {o["token"] for o in item["options"]}
        )
        chosen = list(dict.fromkeys(selected))[:10]
        if not set(chosen) <= allowed or (question.kind != "multiple" and len(chosen) > 1):
            raise ExamRefused("foreign_option")
        updated = db.session.execute(
            update(ExamAnswer)
            .where(
                ExamAnswer.attempt_id == attempt.id,
                ExamAnswer.question_token == question_token,
                ExamAnswer.sequence < sequence,
            )
            .values(selected=chosen, sequence=sequence, saved_at=now)
            .execution_options(synchronize_session=False)
        )
        saved = updated.rowcount == 1
        if not saved:
            exists = db.session.scalar(
                select(ExamAnswer.id).where(
                    ExamAnswer.attempt_id == attempt.id, ExamAnswer.question_token == question_token
                )
            )
            if exists is None:
                db.session.add(
                    ExamAnswer(
                        attempt_id=attempt.id,
                        question_token=question_token,
                        selected=chosen,
                        sequence=sequence,
                        saved_at=now,
                    )
                )
                saved = True
        db.session.commit()
        return saved


def submit(public_id: str, user_id: int) -> ExamAttempt:
    """Close and grade the attempt; a second or replayed submit returns it unchanged."""
    now = utcnow()
    with write_transaction():
        attempt = _attempt_of(public_id, user_id)
        if attempt.state == AttemptState.IN_PROGRESS and not _close_if_expired(attempt, now):
            _grade_and_close(
                attempt, db.session.get(Exam, attempt.exam_id), AttemptState.SUBMITTED, now
            )
        db.session.commit()
        return attempt


def saved_answers(attempt_id: int) -> dict[str, list[str]]:
    rows = db.session.scalars(select(ExamAnswer).where(ExamAnswer.attempt_id == attempt_id))
    return {answer.question_token: answer.selected for answer in rows}


def is_right(question: ExamQuestion, item: dict[str, Any], selected: list[str]) -> bool:
    if question.kind == "true_false":
        return selected == ["true" if question.answer_true else "false"]
    by_token = {option["token"]: option["choice_id"] for option in item["options"]}
    right = {choice.id for choice in question.choices if choice.is_correct}
    return {by_token[token] for token in selected if token in by_token} == right and bool(selected)


def _grade_and_close(attempt: ExamAttempt, exam: Exam, state: AttemptState, now: datetime) -> None:
    answers = saved_answers(attempt.id)
    questions = {
        question.id: question
        for question in db.session.scalars(
            select(ExamQuestion)
            .where(ExamQuestion.id.in_([item["question_id"] for item in attempt.layout]))
            .options(selectinload(ExamQuestion.choices), selectinload(ExamQuestion.category))
        )
    }
    breakdown: dict[str, dict[str, Any]] = {}
    right_total = 0
    for item in attempt.layout:
        question = questions[item["question_id"]]
        right = is_right(question, item, answers.get(item["token"], []))
        right_total += right
        entry = breakdown.setdefault(
            question.category.key, {"title": question.category.title, "right": 0, "total": 0}
        )
        entry["total"] += 1
        entry["right"] += right
    total = len(attempt.layout) or 1
    attempt.score_percent = round(100 * right_total / total)
    attempt.passed = attempt.score_percent >= exam.pass_percent
    attempt.breakdown = breakdown
    attempt.state = state.value
    attempt.closed_at = now
    audit.record(
        "exam.close",
        actor_id=attempt.user_id,
        target=attempt,
        state=state.value,
        score=attempt.score_percent,
    )
    if attempt.passed:
        _certify(attempt, exam, now)


def _certify(attempt: ExamAttempt, exam: Exam, now: datetime) -> None:
    """Issue (or renew) the certificate in the same transaction as the pass."""
    user = db.session.get(User, attempt.user_id)
    try:
        certificates.issue_certificate(
            user, db.session.get(Course, exam.course_id), now=now, attempt_id=attempt.id
        )
    except certificates.CertificateRefused:  # revoked: only the instructor can reinstate it
        audit.record("certificate.not_renewed", actor_id=user.id, target=attempt)


def shown_questions(attempt: ExamAttempt) -> list[ShownQuestion]:
    questions = {
        question.id: question
        for question in db.session.scalars(
            select(ExamQuestion)
            .where(ExamQuestion.id.in_([item["question_id"] for item in attempt.layout]))
            .options(selectinload(ExamQuestion.choices))
        )
    }
    answers = saved_answers(attempt.id)
    shown = []
    for item in attempt.layout:
        question = questions[item["question_id"]]
        texts = {choice.id: choice.text for choice in question.choices}
        options = [
            ShownOption(option["token"], texts[option["choice_id"]]) for option in item["options"]
        ]
        shown.append(
            ShownQuestion(
                item["token"],
                question.kind,
                question.prompt,
                options,
                answers.get(item["token"], []),
            )
        )
    return shown


def close_expired_attempts(now: datetime | None = None) -> int:
    """Close every attempt left open past deadline and grace (the command behind cron)."""
    now = now or utcnow()
    closed = 0
    for public_id, user_id in db.session.execute(
        select(ExamAttempt.public_id, ExamAttempt.user_id).where(
            ExamAttempt.state == AttemptState.IN_PROGRESS.value, ExamAttempt.deadline < now
        )
    ).all():
        with write_transaction():
            attempt = _attempt_of(public_id, user_id)
            if _close_if_expired(attempt, now):
                closed += 1
            db.session.commit()
    return closed


def attempt_for(public_id: str, user_id: int) -> ExamAttempt | None:
    found = db.session.scalar(select(ExamAttempt).where(ExamAttempt.public_id == public_id))
    return found if found is not None and found.user_id == user_id else None


def close_if_expired(public_id: str, user_id: int) -> bool:
    """Close the attempt now if its deadline and grace have passed (on next access)."""
    with write_transaction():
        attempt = _attempt_of(public_id, user_id)
        closed = _close_if_expired(attempt, utcnow())
        db.session.commit()
        return closed
