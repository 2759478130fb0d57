"""Writing the certification exam in the studio: creating it, its texts, topics and question bank.

Every change is audited. An exam attempt keeps the layout it drew (question ids and the ids of
every answer row shown), and the instructor's review of that attempt reads those rows back and
judges the saved answers again. So once a question has been drawn its answers are fixed: the
wording of the prompt, the explanation and each answer can be corrected in place, but which
answers exist and which are right stay as they were (stop drawing the question and add a new one
to change them), and the question is never deleted (stop drawing it instead).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from lms.extensions import db, write_transaction
from lms.models import Exam, ExamAttempt, ExamCategory, ExamChoice, ExamQuestion
from lms.services import audit, ordering, question_edits
from lms.services.question_edits import EditRefused, NotFound, QuestionDraft
from lms.services.versions import claim

EXAM_KINDS = ("single", "multiple", "true_false")
TEXTS = ("title", "code_of_ethics_md", "pledge_text")


def exam_of_course(course_id: int) -> Exam:
    exam = db.session.scalar(
        select(Exam)
        .where(Exam.course_id == course_id)
        .options(selectinload(Exam.categories).selectinload(ExamCategory.questions))
    )
    if exam is None:
        raise NotFound
    return exam


def category_of_exam(exam: Exam, category_id: int) -> ExamCategory:
    category = next((c for c in exam.categories if c.id == category_id), None)
    if category is None:
        raise NotFound
    return category


def question_of_exam(exam: Exam, question_id: int) -> ExamQuestion:
    question = db.session.scalar(
        select(ExamQuestion)
        .join(ExamCategory)
        .where(ExamQuestion.id == question_id, ExamCategory.exam_id == exam.id)
        .options(selectinload(ExamQuestion.choices))
    )
    if question is None:
        raise NotFound
    return question


def times_drawn(exam_id: int, question_id: int) -> int:
    """How many attempts drew the question (their layouts name it)."""
    return sum(
        any(item["question_id"] == question_id for item in layout)
        for layout in db.session.scalars(
            select(ExamAttempt.layout).where(ExamAttempt.exam_id == exam_id)
        )
    )


def _refresh_quota(exam: Exam) -> None:
    exam.questions_per_attempt = sum(category.draw for category in exam.categories)


@write_transaction()
def create_exam(
    actor_id: int, course_id: int, title: str, key: str, topic: str, ip: str | None
) -> Exam:
    """An exam with the default rules and one topic; it draws nothing until it has questions."""
    if db.session.scalar(select(Exam.id).where(Exam.course_id == course_id)) is not None:
        raise EditRefused("title", "exam_exists")
    exam = Exam(course_id=course_id, title=title.strip(), questions_per_attempt=0)
    exam.categories.append(ExamCategory(key=key, title=topic.strip(), draw=0, position=0))
    db.session.add(exam)
    db.session.flush()
    audit.record("exam.create", actor_id=actor_id, target=exam, ip=ip, title=exam.title, topic=key)
    db.session.commit()
    return exam


@write_transaction()
def update_texts(
    actor_id: int, course_id: int, version: int, texts: dict[str, str], ip: str | None
) -> Exam:
    """Save the title, code of ethics and pledge, unless someone saved them since `version`.

    Candidates who already pledged keep the text they accepted (stored with their pledge).
    """
    exam = exam_of_course(course_id)
    claim(Exam, exam.id, version)
    before = {name: getattr(exam, name) for name in TEXTS}
    for name in TEXTS:
        setattr(exam, name, texts[name].strip())
    changed = {name: before[name] for name in TEXTS if before[name] != getattr(exam, name)}
    audit.record("exam.texts", actor_id=actor_id, target=exam, ip=ip, before=changed)
    db.session.commit()
    return exam


@write_transaction()
def add_category(actor_id: int, course_id: int, key: str, title: str, ip: str | None) -> None:
    exam = exam_of_course(course_id)
    if any(category.key == key for category in exam.categories):
        raise EditRefused("key", "key_taken")
    last = max((category.position for category in exam.categories), default=-1)
    category = ExamCategory(key=key, title=title.strip(), draw=0, position=last + 1)
    exam.categories.append(category)
    db.session.flush()
    audit.record("exam.category_create", actor_id=actor_id, target=category, ip=ip, key=key)
    db.session.commit()


@write_transaction()
def rename_category(
    actor_id: int, course_id: int, category_id: int, title: str, ip: str | None
) -> None:
    """A new title; the key stays, as past attempts' score breakdowns are keyed by it."""
    category = category_of_exam(exam_of_course(course_id), category_id)
    before, category.title = category.title, title.strip()
    audit.record(
        "exam.category_rename",
        actor_id=actor_id,
        target=category,
        ip=ip,
        before=before,
        after=category.title,
    )
    db.session.commit()


@write_transaction()
def move_category(
    actor_id: int, course_id: int, category_id: int, step: int, ip: str | None
) -> bool:
    """Swap a topic with the one before (-1) or after (+1) in the studio and the score breakdown."""
    exam = exam_of_course(course_id)
    ordered = list(exam.categories)
    category = category_of_exam(exam, category_id)
    if not ordering.move_one_place(ordered, category, step):
        return False
    audit.record(
        "exam.category_move",
        actor_id=actor_id,
        target=category,
        ip=ip,
        order=[category.key for category in ordered],
    )
    db.session.commit()
    return True


@write_transaction()
def delete_category(actor_id: int, course_id: int, category_id: int, ip: str | None) -> None:
    """Delete a topic with no question (move or delete its questions first)."""
    exam = exam_of_course(course_id)
    category = category_of_exam(exam, category_id)
    if category.questions:
        raise EditRefused("category", "category_not_empty", count=len(category.questions))
    audit.record(
        "exam.category_delete",
        actor_id=actor_id,
        target=category,
        ip=ip,
        key=category.key,
        title=category.title,
    )
    exam.categories.remove(category)
    _refresh_quota(exam)
    db.session.commit()


def _record(question: ExamQuestion) -> dict:
    return {**question_edits.snapshot(question), "category_id": question.category_id}


@write_transaction()
def add_question(
    actor_id: int,
    course_id: int,
    category_id: int,
    draft: QuestionDraft,
    ip: str | None,
    replaces: int | None = None,
) -> ExamQuestion:
    """Add a question to a topic; it is drawn from the next attempt on. `replaces` names a
    question it takes over from: that one stops being drawn, in the same transaction."""
    exam = exam_of_course(course_id)
    category = category_of_exam(exam, category_id)
    question_edits.check(draft, EXAM_KINDS)
    question = ExamQuestion(is_active=True)
    category.questions.append(question)
    question_edits.apply(question, draft, ExamChoice)
    db.session.flush()
    audit.record(
        "exam.question_create", actor_id=actor_id, target=question, ip=ip, after=_record(question)
    )
    if replaces is not None:
        _retire(actor_id, exam, replaces, question, ip)
    db.session.commit()
    return question


def _retire(actor_id: int, exam: Exam, question_id: int, successor: ExamQuestion, ip) -> None:
    """Stop drawing a question replaced by `successor`, if its topic keeps enough for its quota."""
    original = question_of_exam(exam, question_id)
    source = original.category
    remaining = sum(q.is_active for q in source.questions if q.id != original.id)
    if original.is_active and remaining < source.draw:
        raise EditRefused("replace_original", "quota", title=source.title, draw=source.draw)
    original.is_active = False
    audit.record(
        "exam.question_active",
        actor_id=actor_id,
        target=original,
        ip=ip,
        active=False,
        replaced_by=successor.id,
    )


def _answer_key_change(question: ExamQuestion, draft: QuestionDraft) -> str | None:
    """The field whose change would alter which answers exist or are right, if any."""
    if draft.kind != question.kind:
        return "kind"
    if question.kind == "true_false":
        return "answer_true" if draft.answer_true != question.answer_true else None
    rows = {choice.id: choice.is_correct for choice in question.choices}
    typed = {choice.id: choice.is_correct for choice in draft.filled_choices}
    return "choices" if typed != rows or len(draft.filled_choices) != len(rows) else None


def _check_topic_move(question: ExamQuestion, target: ExamCategory) -> None:
    """Moving an active question out of a topic must leave the topic enough for its quota."""
    source = question.category
    if target.id == source.id or not question.is_active:
        return
    remaining = sum(q.is_active for q in source.questions if q.id != question.id)
    if remaining < source.draw:
        raise EditRefused("category", "quota", title=source.title, draw=source.draw)


@write_transaction()
def update_question(
    actor_id: int,
    course_id: int,
    question_id: int,
    version: int,
    category_id: int,
    draft: QuestionDraft,
    ip: str | None,
) -> ExamQuestion:
    """Save a question unless someone saved it since `version` (EditConflict), or it has been
    drawn and the edit would change its answers rather than their wording (EditRefused)."""
    exam = exam_of_course(course_id)
    question = question_of_exam(exam, question_id)
    claim(ExamQuestion, question.id, version)
    question_edits.check(draft, EXAM_KINDS)
    target = category_of_exam(exam, category_id)
    _check_topic_move(question, target)
    if times_drawn(exam.id, question.id):
        field = _answer_key_change(question, draft)
        if field is not None:
            raise EditRefused(field, "answers_fixed")
    before = _record(question)
    question.category = target
    question_edits.apply(question, draft, ExamChoice)
    audit.record(
        "exam.question_update",
        actor_id=actor_id,
        target=question,
        ip=ip,
        before=before,
        after=_record(question),
    )
    db.session.commit()
    return question


def question_deletion_refused(exam: Exam, question: ExamQuestion) -> EditRefused | None:
    """Why the question cannot be deleted: it was drawn (past attempts' reviews read it back),
    or its topic would keep fewer active questions than it draws."""
    drawn = times_drawn(exam.id, question.id)
    if drawn:
        return EditRefused("question", "question_drawn", count=drawn)
    category = question.category
    remaining = sum(q.is_active for q in category.questions if q.id != question.id)
    if question.is_active and remaining < category.draw:
        return EditRefused("question", "quota", title=category.title, draw=category.draw)
    return None


@write_transaction()
def delete_question(actor_id: int, course_id: int, question_id: int, ip: str | None) -> None:
    exam = exam_of_course(course_id)
    question = question_of_exam(exam, question_id)
    refused = question_deletion_refused(exam, question)
    if refused:
        raise refused
    category = question.category
    audit.record(
        "exam.question_delete", actor_id=actor_id, target=question, ip=ip, before=_record(question)
    )
    category.questions.remove(question)
    db.session.commit()
