"""The exam seen from the studio: rules and quotas, the question bank, attempts and grants.

Split from `exams` (the candidate's side) so each reads in one sitting; every change is audited.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from lms.extensions import db, write_transaction
from lms.models import Exam, ExamAttempt, ExamCategory, ExamGrant, ExamQuestion, User
from lms.services import audit, exams


@write_transaction()
def grant_extra_attempt(
    actor: User, exam: Exam, student_id: int, reason: str, ip: str | None
) -> None:
    grant = ExamGrant(exam_id=exam.id, user_id=student_id, granted_by=actor.id, reason=reason)
    db.session.add(grant)
    db.session.flush()
    audit.record(
        "exam.grant_attempt",
        actor_id=actor.id,
        target=grant,
        ip=ip,
        student_id=student_id,
        reason=reason,
    )
    db.session.commit()


SETTINGS = ("time_limit_minutes", "pass_percent", "max_attempts", "cooldown_hours", "grace_seconds")


def exam_with_bank(course_id: int) -> Exam | None:
    return db.session.scalar(
        select(Exam)
        .where(Exam.course_id == course_id)
        .options(selectinload(Exam.categories).selectinload(ExamCategory.questions))
    )


@write_transaction()
def update_settings(
    actor: User, exam_id: int, values: dict[str, int], draws: dict[int, int], ip: str | None
) -> Exam:
    """Change the exam's rules; each category can draw at most its active questions."""
    exam = db.session.get(Exam, exam_id)
    categories = {category.id: category for category in exam.categories}
    for category_id, draw in draws.items():
        category = categories[category_id]
        if draw > sum(question.is_active for question in category.questions):
            raise exams.ExamRefused(f"draw_too_high:{category_id}")
    before = {name: getattr(exam, name) for name in SETTINGS}
    for name in SETTINGS:
        setattr(exam, name, values[name])
    for category_id, draw in draws.items():
        categories[category_id].draw = draw
    exam.questions_per_attempt = sum(category.draw for category in exam.categories)
    audit.record(
        "exam.settings",
        actor_id=actor.id,
        target=exam,
        ip=ip,
        before=before,
        after=values,
        draws=draws,
    )
    db.session.commit()
    return exam


def all_attempts(exam_id: int) -> list[tuple[ExamAttempt, User]]:
    rows = db.session.execute(
        select(ExamAttempt, User)
        .join(User, User.id == ExamAttempt.user_id)
        .where(ExamAttempt.exam_id == exam_id)
        .order_by(ExamAttempt.started_at.desc())
    ).all()
    return [(row[0], row[1]) for row in rows]


@dataclass(frozen=True)
class ReviewedAnswer:
    category: str
    prompt: str
    given: list[str]
    right: list[str]
    correct: bool


def review(attempt_id: int) -> tuple[ExamAttempt, User, list[ReviewedAnswer]] | None:
    """Each answer of an attempt beside the right one, for the instructor."""
    attempt = db.session.get(ExamAttempt, attempt_id)
    if attempt is None:
        return None
    answers = exams.saved_answers(attempt.id)
    reviewed = []
    for item in attempt.layout:
        question = db.session.get(ExamQuestion, item["question_id"])
        texts = {choice.id: choice.text for choice in question.choices}
        by_token = {option["token"]: texts[option["choice_id"]] for option in item["options"]}
        given_tokens = answers.get(item["token"], [])
        if question.kind == "true_false":
            given = given_tokens
            right = ["true" if question.answer_true else "false"]
        else:
            given = [by_token.get(token, "?") for token in given_tokens]
            right = [choice.text for choice in question.choices if choice.is_correct]
        reviewed.append(
            ReviewedAnswer(
                question.category.title,
                question.prompt,
                given,
                right,
                exams.is_right(question, item, given_tokens),
            )
        )
    return attempt, db.session.get(User, attempt.user_id), reviewed


def course_ids_with_exam() -> set[int]:
    return set(db.session.scalars(select(Exam.course_id)))


@write_transaction()
def set_question_active(
    actor: User, exam_id: int, question_id: int, active: bool, ip: str | None
) -> None:
    """Take a question out of future draws (or back in); a category keeps enough for its quota."""
    question = db.session.get(ExamQuestion, question_id)
    if question is None or question.category.exam_id != exam_id:
        raise exams.ExamRefused("not_found")
    if not active:
        remaining = sum(q.is_active for q in question.category.questions if q.id != question.id)
        if remaining < question.category.draw:
            raise exams.ExamRefused("quota")
    question.is_active = active
    audit.record("exam.question_active", actor_id=actor.id, target=question, ip=ip, active=active)
    db.session.commit()
