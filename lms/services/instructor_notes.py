"""Private notes of the staff about one student of a course: never shown to the student.

Only a note's author may change it; an admin may also delete anyone's. Every change is audited
(without the text: the audit log says who did what, the note itself stays where it can be deleted).
"""

from __future__ import annotations

from sqlalchemy import select

from lms.extensions import db, write_transaction
from lms.models import InstructorNote, Role, User, utcnow
from lms.services import audit
from lms.services import enrollment as enrollments
from lms.services.errors import DomainError

MAX_LENGTH = 5000


class NoteRefused(DomainError):
    """not_found (no such note about this student of this course), not_yours."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def notes_about(course_id: int, student_id: int) -> list[tuple[InstructorNote, str]]:
    """The notes about a student of a course, newest first, with their author's name."""
    rows = db.session.execute(
        select(InstructorNote, User.name)
        .outerjoin(User, User.id == InstructorNote.author_id)
        .where(InstructorNote.course_id == course_id, InstructorNote.student_id == student_id)
        .order_by(InstructorNote.created_at.desc(), InstructorNote.id.desc())
    ).all()
    return [(row[0], row[1] or "") for row in rows]


def find_note(course_id: int, student_id: int, note_id: int) -> InstructorNote | None:
    """The note, if it is about this student of this course (any other is not found)."""
    note = db.session.get(InstructorNote, note_id)
    if note is None or (note.course_id, note.student_id) != (course_id, student_id):
        return None
    return note


def student_name(student_id: int) -> str:
    return db.session.scalar(select(User.name).where(User.id == student_id)) or ""


def may_edit(actor: User, note: InstructorNote) -> bool:
    return note.author_id == actor.id


def may_delete(actor: User, note: InstructorNote) -> bool:
    return note.author_id == actor.id or actor.role == Role.ADMIN


@write_transaction()
def add_note(
    actor: User, course_id: int, student_id: int, body: str, ip: str | None
) -> InstructorNote:
    """A note about someone ever enrolled in the course (and only about them)."""
    if enrollments.find(student_id, course_id) is None:
        raise NoteRefused("not_found")
    now = utcnow()  # one instant for both: a note is "edited" only once updated_at moves
    note = InstructorNote(
        course_id=course_id,
        student_id=student_id,
        author_id=actor.id,
        body=body[:MAX_LENGTH],
        created_at=now,
        updated_at=now,
    )
    db.session.add(note)
    db.session.flush()
    audit.record(
        "note.add", actor_id=actor.id, target=note, ip=ip, course_id=course_id,
        student_id=student_id,
    )  # fmt: skip
    db.session.commit()
    return note


def _own_note(
    actor: User, course_id: int, student_id: int, note_id: int, allowed
) -> InstructorNote:
    note = find_note(course_id, student_id, note_id)
    if note is None:
        raise NoteRefused("not_found")
    if not allowed(actor, note):
        raise NoteRefused("not_yours")
    return note


@write_transaction()
def edit_note(
    actor: User, course_id: int, student_id: int, note_id: int, body: str, ip: str | None
) -> InstructorNote:
    note = _own_note(actor, course_id, student_id, note_id, may_edit)
    note.body = body[:MAX_LENGTH]
    audit.record(
        "note.edit", actor_id=actor.id, target=note, ip=ip, course_id=course_id,
        student_id=student_id,
    )  # fmt: skip
    db.session.commit()
    return note


@write_transaction()
def delete_note(actor: User, course_id: int, student_id: int, note_id: int, ip: str | None) -> None:
    note = _own_note(actor, course_id, student_id, note_id, may_delete)
    audit.record(
        "note.delete", actor_id=actor.id, target=note, ip=ip, course_id=course_id,
        student_id=student_id, author_id=note.author_id,
    )  # fmt: skip
    db.session.delete(note)
    db.session.commit()
