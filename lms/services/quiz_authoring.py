"""Writing quizzes in the studio: where each one sits, its rules, its questions and their order.

Every change is audited. A quiz attempt keeps its score and, per question id, the answers given
(answer row ids for choice questions), and the result page reads them back. So a quiz students
have taken is not deleted, and a question they answered is not deleted, keeps its kind, and keeps
every answer row someone chose; wording, points and which answers are right can still be fixed
(past attempts keep the score they were given).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from lms.extensions import db, write_transaction
from lms.models import Choice, Lesson, Module, Question, QuestionKind, Quiz, QuizAttempt
from lms.services import audit, ordering, question_edits, quizzes
from lms.services.question_edits import EditRefused, NotFound, QuestionDraft
from lms.services.versions import claim

QUIZ_KINDS = tuple(kind.value for kind in QuestionKind)


@dataclass(frozen=True)
class QuizSettings:
    """Where the quiz sits (end of a module, or after one lesson) and its rules."""

    title: str
    module_id: int | None
    lesson_id: int | None
    pass_percent: int
    max_attempts: int
    shuffle: bool


@dataclass(frozen=True)
class QuizSummary:
    quiz: Quiz
    questions: int
    attempts: int


def course_quizzes(course_id: int) -> list[QuizSummary]:
    """The course's quizzes with their question and attempt counts, in one query."""
    questions = select(func.count(Question.id)).where(Question.quiz_id == Quiz.id).scalar_subquery()
    attempts = (
        select(func.count(QuizAttempt.id)).where(QuizAttempt.quiz_id == Quiz.id).scalar_subquery()
    )
    rows = db.session.execute(
        select(Quiz, questions, attempts).where(Quiz.course_id == course_id).order_by(Quiz.id)
    ).all()
    return [QuizSummary(quiz, count, tries) for quiz, count, tries in rows]


def quiz_of_course(course_id: int, quiz_id: int) -> Quiz:
    quiz = quizzes.load(course_id, quiz_id)
    if quiz is None:
        raise NotFound
    return quiz


def question_of_quiz(quiz: Quiz, question_id: int) -> Question:
    question = next((q for q in quiz.questions if q.id == question_id), None)
    if question is None:
        raise NotFound
    return question


def places_taken(course_id: int, except_quiz_id: int | None = None) -> dict[str, str]:
    """The places that already have a quiz ("module-3", "lesson-7"), with that quiz's title.

    The course outline shows one quiz per module end and one per lesson, so a place holds one.
    """
    taken = {}
    for quiz in db.session.scalars(select(Quiz).where(Quiz.course_id == course_id)):
        if quiz.id != except_quiz_id:
            taken[place_of(quiz)] = quiz.title
    return taken


def place_of(quiz: Quiz) -> str:
    return f"lesson-{quiz.lesson_id}" if quiz.lesson_id else f"module-{quiz.module_id}"


def attempt_count(quiz_id: int) -> int:
    count = select(func.count(QuizAttempt.id)).where(QuizAttempt.quiz_id == quiz_id)
    return db.session.scalar(count) or 0


def answers_given(quiz_id: int) -> dict[int, set[str]]:
    """For each question students answered, every answer given (row ids, true/false, text)."""
    given: dict[int, set[str]] = {}
    for answers in db.session.scalars(
        select(QuizAttempt.answers).where(QuizAttempt.quiz_id == quiz_id)
    ):
        for key, record in answers.items():
            if key.isdigit():
                given.setdefault(int(key), set()).update(record.get("given", []))
    return given


def _check_place(course_id: int, settings: QuizSettings, except_quiz_id: int | None) -> None:
    if settings.lesson_id is not None:
        lesson = db.session.get(Lesson, settings.lesson_id)
        if lesson is None or lesson.course_id != course_id:
            raise NotFound
        place = f"lesson-{lesson.id}"
    else:
        module = db.session.get(Module, settings.module_id or 0)
        if module is None or module.course_id != course_id:
            raise NotFound
        place = f"module-{module.id}"
    taken = places_taken(course_id, except_quiz_id)
    if place in taken:
        raise EditRefused("place", "place_taken", title=taken[place])


def _flush_place(course_id: int, settings: QuizSettings, except_quiz_id: int | None) -> None:
    """The unique index decides when two quizzes are put in one place at the same moment."""
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as error:
        db.session.rollback()
        taken = places_taken(course_id, except_quiz_id)
        place = (
            f"lesson-{settings.lesson_id}" if settings.lesson_id else f"module-{settings.module_id}"
        )
        raise EditRefused("place", "place_taken", title=taken.get(place, "")) from error


def _write_settings(quiz: Quiz, settings: QuizSettings) -> None:
    quiz.title = settings.title.strip()
    quiz.lesson_id = settings.lesson_id
    quiz.module_id = None if settings.lesson_id is not None else settings.module_id
    quiz.pass_percent = settings.pass_percent
    quiz.max_attempts = settings.max_attempts
    quiz.shuffle = settings.shuffle


def _settings_record(quiz: Quiz) -> dict:
    return {
        "title": quiz.title,
        "module_id": quiz.module_id,
        "lesson_id": quiz.lesson_id,
        "pass_percent": quiz.pass_percent,
        "max_attempts": quiz.max_attempts,
        "shuffle": quiz.shuffle,
    }


@write_transaction()
def create_quiz(actor_id: int, course_id: int, settings: QuizSettings, ip: str | None) -> Quiz:
    _check_place(course_id, settings, None)
    quiz = Quiz(course_id=course_id)
    _write_settings(quiz, settings)
    db.session.add(quiz)
    _flush_place(course_id, settings, None)
    audit.record("quiz.create", actor_id=actor_id, target=quiz, ip=ip, **_settings_record(quiz))
    db.session.commit()
    return quiz


@write_transaction()
def update_quiz(
    actor_id: int,
    course_id: int,
    quiz_id: int,
    version: int,
    settings: QuizSettings,
    ip: str | None,
) -> Quiz:
    """Save the quiz's place and rules, unless someone saved it since `version` (EditConflict)."""
    quiz = quiz_of_course(course_id, quiz_id)
    claim(Quiz, quiz.id, version)
    _check_place(course_id, settings, quiz.id)
    before = _settings_record(quiz)
    _write_settings(quiz, settings)
    _flush_place(course_id, settings, quiz.id)
    audit.record(
        "quiz.update",
        actor_id=actor_id,
        target=quiz,
        ip=ip,
        before=before,
        after=_settings_record(quiz),
    )
    db.session.commit()
    return quiz


def quiz_deletion_refused(quiz: Quiz) -> EditRefused | None:
    """Why the quiz cannot be deleted: students took it, and their results would go with it."""
    attempts = attempt_count(quiz.id)
    return EditRefused("quiz", "quiz_taken", count=attempts) if attempts else None


@write_transaction()
def delete_quiz(actor_id: int, course_id: int, quiz_id: int, ip: str | None) -> None:
    quiz = quiz_of_course(course_id, quiz_id)
    refused = quiz_deletion_refused(quiz)
    if refused:
        raise refused
    audit.record(
        "quiz.delete",
        actor_id=actor_id,
        target=quiz,
        ip=ip,
        questions=[question_edits.snapshot(question) for question in quiz.questions],
        **_settings_record(quiz),
    )
    db.session.delete(quiz)
    db.session.commit()


def _write_question(question: Question, draft: QuestionDraft) -> None:
    question_edits.apply(question, draft, Choice)
    question.points = draft.points
    question.accepted = draft.accepted_answers if draft.kind == QuestionKind.TEXT else []


def _question_record(question: Question) -> dict:
    return {
        **question_edits.snapshot(question),
        "points": question.points,
        "accepted": list(question.accepted),
    }


@write_transaction()
def add_question(
    actor_id: int, course_id: int, quiz_id: int, draft: QuestionDraft, ip: str | None
) -> Question:
    """Add a question at the end of the quiz."""
    quiz = quiz_of_course(course_id, quiz_id)
    question_edits.check(draft, QUIZ_KINDS)
    last = max((question.position for question in quiz.questions), default=-1)
    question = Question(position=last + 1)
    quiz.questions.append(question)
    _write_question(question, draft)
    db.session.flush()
    audit.record(
        "quiz.question_create",
        actor_id=actor_id,
        target=question,
        ip=ip,
        quiz_id=quiz.id,
        after=_question_record(question),
    )
    db.session.commit()
    return question


@write_transaction()
def update_question(
    actor_id: int,
    course_id: int,
    quiz_id: int,
    question_id: int,
    version: int,
    draft: QuestionDraft,
    ip: str | None,
) -> Question:
    """Save a question, unless someone saved it since `version` (EditConflict) or students'
    past answers need what the edit would take away (EditRefused)."""
    quiz = quiz_of_course(course_id, quiz_id)
    question = question_of_quiz(quiz, question_id)
    claim(Question, question.id, version)
    question_edits.check(draft, QUIZ_KINDS)
    given = answers_given(quiz.id).get(question.id)
    if given is not None:
        if draft.kind != question.kind:
            raise EditRefused("kind", "kind_answered")
        chosen = {str(row_id) for row_id in question_edits.removed_choice_ids(question, draft)}
        if chosen & given:
            texts = [choice.text for choice in question.choices if str(choice.id) in given]
            raise EditRefused("choices", "choice_chosen", texts=texts)
    before = _question_record(question)
    _write_question(question, draft)
    audit.record(
        "quiz.question_update",
        actor_id=actor_id,
        target=question,
        ip=ip,
        quiz_id=quiz.id,
        before=before,
        after=_question_record(question),
    )
    db.session.commit()
    return question


def question_deletion_refused(quiz: Quiz, question: Question) -> EditRefused | None:
    """Why the question cannot be deleted: students answered it, and their results show it."""
    if question.id in answers_given(quiz.id):
        return EditRefused("question", "question_answered")
    return None


@write_transaction()
def delete_question(
    actor_id: int, course_id: int, quiz_id: int, question_id: int, ip: str | None
) -> None:
    quiz = quiz_of_course(course_id, quiz_id)
    question = question_of_quiz(quiz, question_id)
    refused = question_deletion_refused(quiz, question)
    if refused:
        raise refused
    audit.record(
        "quiz.question_delete",
        actor_id=actor_id,
        target=question,
        ip=ip,
        quiz_id=quiz.id,
        before=_question_record(question),
    )
    quiz.questions.remove(question)
    db.session.commit()


@write_transaction()
def move_question(
    actor_id: int, course_id: int, quiz_id: int, question_id: int, step: int, ip: str | None
) -> bool:
    """Swap a question with the one before (step -1) or after (+1); False at either end.

    The order is not content a form shows, so it does not raise any version.
    """
    quiz = quiz_of_course(course_id, quiz_id)
    ordered = list(quiz.questions)
    question = question_of_quiz(quiz, question_id)
    if not ordering.move_one_place(ordered, question, step):
        return False
    audit.record(
        "quiz.question_move",
        actor_id=actor_id,
        target=question,
        ip=ip,
        quiz_id=quiz.id,
        order=[question.id for question in ordered],
    )
    db.session.commit()
    return True
