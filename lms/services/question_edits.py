"""A question as typed in the studio: when its answers are complete, and saving them in place.

Quizzes and the exam bank share single, multiple and true/false questions with answer rows.
Past attempts name those rows by id (the answers a student gave to a quiz, the layout drawn for an
exam), so an edit updates each row where it is and adds or removes only what changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from lms.extensions import db
from lms.models import AuditEntry, User
from lms.services.errors import DomainError

CHOICE_KINDS = ("single", "multiple")


class NotFound(DomainError):
    """No such quiz, question, exam or topic in this course."""


class EditRefused(DomainError):
    """The change breaks a rule: `field` names the form field to show it beside, `code` the rule."""

    def __init__(self, field: str, code: str, **details: Any):
        super().__init__(code)
        self.field = field
        self.code = code
        self.details = details


@dataclass(frozen=True)
class ChoiceDraft:
    id: int | None  # the row it edits, None for a new one
    text: str
    is_correct: bool


@dataclass(frozen=True)
class QuestionDraft:
    """The form's values; `choices` may hold blank rows, which are ignored."""

    kind: str
    prompt: str
    explanation: str = ""
    choices: tuple[ChoiceDraft, ...] = ()
    answer_true: bool | None = None
    accepted: tuple[str, ...] = ()
    points: int = 1

    @property
    def filled_choices(self) -> list[ChoiceDraft]:
        if self.kind not in CHOICE_KINDS:
            return []
        return [choice for choice in self.choices if choice.text.strip()]

    @property
    def accepted_answers(self) -> list[str]:
        return [answer.strip() for answer in self.accepted if answer.strip()]


def problems(draft: QuestionDraft, kinds: tuple[str, ...]) -> dict[str, str]:
    """Each field whose value is incomplete for the question's kind, with the rule it breaks."""
    if draft.kind not in kinds:
        return {"kind": "unknown_kind"}
    found = {}
    if not draft.prompt.strip():
        found["prompt"] = "prompt_required"
    if draft.kind in CHOICE_KINDS:
        filled = draft.filled_choices
        right = sum(choice.is_correct for choice in filled)
        if any(choice.is_correct and not choice.text.strip() for choice in draft.choices):
            found["choices"] = "ticked_blank"
        elif len(filled) < 2:
            found["choices"] = "two_choices"
        elif draft.kind == "single" and right != 1:
            found["choices"] = "one_right"
        elif draft.kind == "multiple" and right < 1:
            found["choices"] = "some_right"
    elif draft.kind == "true_false" and draft.answer_true is None:
        found["answer_true"] = "answer_true_required"
    elif draft.kind == "text" and not draft.accepted_answers:
        found["accepted"] = "accepted_required"
    return found


def check(draft: QuestionDraft, kinds: tuple[str, ...]) -> None:
    for field, code in problems(draft, kinds).items():
        raise EditRefused(field, code)


def removed_choice_ids(question: Any, draft: QuestionDraft) -> set[int]:
    """Rows of the question that the draft leaves out (blank, or a kind without answer rows)."""
    kept = {choice.id for choice in draft.filled_choices}
    return {choice.id for choice in question.choices} - kept


def apply(question: Any, draft: QuestionDraft, choice_model: type) -> None:
    """Write the draft on the question; answer rows are updated in place, matched by id."""
    question.kind = draft.kind
    question.prompt = draft.prompt.strip()
    question.explanation = draft.explanation.strip()
    question.answer_true = draft.answer_true if draft.kind == "true_false" else None
    existing = {choice.id: choice for choice in question.choices}
    for position, row in enumerate(draft.filled_choices):
        choice = existing.pop(row.id, None) if row.id is not None else None
        if choice is None:  # a new row, or an id that is not one of this question's rows
            choice = choice_model()
            question.choices.append(choice)
        choice.position = position
        choice.text = row.text.strip()
        choice.is_correct = row.is_correct
    for removed in existing.values():
        question.choices.remove(removed)


def snapshot(question: Any) -> dict[str, Any]:
    """The question as the audit log keeps it, before and after a change."""
    return {
        "kind": question.kind,
        "prompt": question.prompt,
        "explanation": question.explanation,
        "answer_true": question.answer_true,
        "choices": [[choice.text, choice.is_correct] for choice in question.choices],
    }


def last_change(target: Any) -> tuple[str, datetime] | None:
    """Who last changed a row, and when: named beside the version that won an edit conflict."""
    row = db.session.execute(
        select(User.name, AuditEntry.created_at)
        .join(User, User.id == AuditEntry.actor_id)
        .where(
            AuditEntry.target_type == target.__tablename__,
            AuditEntry.target_id == str(target.id),
        )
        .order_by(AuditEntry.id.desc())
        .limit(1)
    ).first()
    return (row[0], row[1]) if row else None
