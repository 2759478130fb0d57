"""Quizzes: shown without their answers, graded on the server, every attempt kept."""

from __future__ import annotations

import random
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from lms.extensions import db, write_transaction
from lms.models import Question, QuestionKind, Quiz, QuizAttempt
from lms.services.errors import DomainError


class NoAttemptsLeft(DomainError):
    pass


@dataclass(frozen=True)
class ShownQuestion:
    """What the page may know of a question: never which answer is right."""

    id: int
    kind: str
    prompt: str
    choices: list[tuple[int, str]]  # (choice id, text), in this attempt's order


def load(course_id: int, quiz_id: int) -> Quiz | None:
    return db.session.scalar(
        select(Quiz)
        .where(Quiz.id == quiz_id, Quiz.course_id == course_id)
        .options(selectinload(Quiz.questions).selectinload(Question.choices))
    )


def attempts_of(user_id: int, quiz_id: int) -> Sequence[QuizAttempt]:
    return db.session.scalars(
        select(QuizAttempt)
        .where(QuizAttempt.user_id == user_id, QuizAttempt.quiz_id == quiz_id)
        .order_by(QuizAttempt.number)
    ).all()


def attempts_left(quiz: Quiz, used: int) -> int | None:
    """None when unlimited."""
    return None if quiz.max_attempts == 0 else max(0, quiz.max_attempts - used)


def questions_for(quiz: Quiz, user_id: int, attempt_number: int) -> list[ShownQuestion]:
    """The questions of an attempt, shuffled the same way on every reload of that attempt."""
    rng = random.Random(f"{user_id}:{quiz.id}:{attempt_number}")  # noqa: S311 - not for secrets
    shown = []
    for question in quiz.questions:
        choices = [(choice.id, choice.text) for choice in question.choices]
        if quiz.shuffle:
            rng.shuffle(choices)
        shown.append(ShownQuestion(question.id, question.kind, question.prompt, choices))
    if quiz.shuffle:
        rng.shuffle(shown)
    return shown


def normalize_text(value: str) -> str:
    """Lower case, no accents, single spaces, no final punctuation ("Forfettàrio." matches)."""
    decomposed = unicodedata.normalize("NFKD", value)
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    plain = re.sub(r"\s+", " ", plain).strip().lower()
    return plain.rstrip(".!?;:,").strip()


def is_correct(question: Question, given: list[str]) -> bool:
    if question.kind == QuestionKind.TEXT:
        accepted = {normalize_text(answer) for answer in question.accepted}
        return bool(given) and normalize_text(given[0]) in accepted
    if question.kind == QuestionKind.TRUE_FALSE:
        return given == [("true" if question.answer_true else "false")]
    right = {str(choice.id) for choice in question.choices if choice.is_correct}
    if question.kind == QuestionKind.SINGLE:
        return len(given) == 1 and given[0] in right
    return set(given) == right


def grade(quiz: Quiz, answers: Mapping[int, list[str]]) -> tuple[int, dict[str, dict]]:
    """Score in percent (by points) and the per-question record kept with the attempt."""
    total = sum(question.points for question in quiz.questions) or 1
    earned = 0
    record: dict[str, dict] = {}
    for question in quiz.questions:
        given = [value for value in answers.get(question.id, []) if value][:20]
        correct = is_correct(question, given)
        earned += question.points if correct else 0
        record[str(question.id)] = {"given": [value[:200] for value in given], "correct": correct}
    return round(100 * earned / total), record


def submit(
    user_id: int, quiz: Quiz, attempt_number: int, answers: Mapping[int, list[str]]
) -> QuizAttempt:
    """Grade and keep attempt `attempt_number`; the same attempt sent again returns the kept one."""
    with write_transaction():
        existing = db.session.scalar(
            select(QuizAttempt).where(
                QuizAttempt.user_id == user_id,
                QuizAttempt.quiz_id == quiz.id,
                QuizAttempt.number == attempt_number,
            )
        )
        if existing is not None:
            db.session.commit()
            return existing
        used = db.session.scalar(
            select(func.count(QuizAttempt.id)).where(
                QuizAttempt.user_id == user_id, QuizAttempt.quiz_id == quiz.id
            )
        )
        left = attempts_left(quiz, used)
        if (left is not None and left <= 0) or attempt_number != used + 1:
            db.session.rollback()
            raise NoAttemptsLeft("no_attempts_left")
        score, record = grade(quiz, answers)
        attempt = QuizAttempt(
            user_id=user_id,
            quiz_id=quiz.id,
            number=attempt_number,
            score_percent=score,
            passed=score >= quiz.pass_percent,
            answers=record,
        )
        db.session.add(attempt)
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            return db.session.scalar(
                select(QuizAttempt).where(
                    QuizAttempt.user_id == user_id,
                    QuizAttempt.quiz_id == quiz.id,
                    QuizAttempt.number == attempt_number,
                )
            )
        return attempt


def choice_texts(quiz: Quiz) -> dict[str, str]:
    return {
        str(choice.id): choice.text for question in quiz.questions for choice in question.choices
    }


def correct_answers(question: Question) -> list[str]:
    """The right answers in words, for the result page only."""
    if question.kind == QuestionKind.TEXT:
        return list(question.accepted[:1])
    if question.kind == QuestionKind.TRUE_FALSE:
        return ["true" if question.answer_true else "false"]
    return [choice.text for choice in question.choices if choice.is_correct]


def may_reveal_answers(quiz: Quiz, attempt: QuizAttempt, attempts_used: int) -> bool:
    """Right answers and explanations: once passed, once no attempt is left, or when attempts
    are unlimited (a practice quiz). Otherwise they would hand out the next attempt's answers."""
    return attempt.passed or quiz.max_attempts == 0 or attempts_left(quiz, attempts_used) == 0
