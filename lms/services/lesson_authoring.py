"""Authoring a course's modules and lessons: their text, order, drafts and attached files.

Every change is audited and moves the course's `updated_at` (see models.courses), so the cached
outline of every process is rebuilt at the next page view.
"""

from __future__ import annotations

import mimetypes
import re
import unicodedata
from pathlib import PurePosixPath
from typing import Any, BinaryIO

from sqlalchemy import exists, func, select
from sqlalchemy.exc import IntegrityError

from lms.extensions import db, write_transaction
from lms.models import Attachment, Course, Lesson, LessonProgress, Module, Quiz, QuizAttempt, User
from lms.services import audit, course_files, versions
from lms.services.errors import DomainError

ATTACHMENT_MAX_BYTES = 15 * 1024 * 1024
LESSON_FIELDS = (
    "title",
    "slug",
    "body_md",
    "video_url",
    "is_preview",
    "is_draft",
    "drip_days",
    "minutes",
)
MODULE_FIELDS = ("title", "summary")


class ContentRefused(DomainError):
    """slug_taken, module_not_empty, lesson_has_progress, lesson_has_quiz, bad_order, too_large,
    empty_file."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def slugify(text: str) -> str:
    """'Lezione 1: l’etica' -> 'lezione-1-l-etica' (ASCII, for URLs)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:120] or "lezione"


def course_content(course_id: int) -> list[Module]:
    """Modules with their lessons (drafts included) in order, for the studio's outline."""
    return list(
        db.session.scalars(
            select(Module).where(Module.course_id == course_id).order_by(Module.position, Module.id)
        )
    )


def find_module(module_id: int) -> Module | None:
    return db.session.get(Module, module_id)


def find_lesson(lesson_id: int) -> Lesson | None:
    return db.session.get(Lesson, lesson_id)


def find_attachment(attachment_id: int) -> Attachment | None:
    return db.session.get(Attachment, attachment_id)


# Modules


@write_transaction()
def add_module(actor: User, course_id: int, values: dict[str, Any], ip: str | None) -> Module:
    last = db.session.scalar(select(func.max(Module.position)).where(Module.course_id == course_id))
    module = Module(course_id=course_id, position=(last or 0) + 1, **_pick(values, MODULE_FIELDS))
    db.session.add(module)
    db.session.flush()
    audit.record("module.create", actor_id=actor.id, target=module, ip=ip, title=module.title)
    db.session.commit()
    return module


@write_transaction()
def update_module(
    actor: User, module_id: int, version: int | None, values: dict[str, Any], ip: str | None
) -> Module:
    versions.claim(Module, module_id, version)
    module = db.session.get(Module, module_id)
    for name, value in _pick(values, MODULE_FIELDS).items():
        setattr(module, name, value)
    audit.record("module.update", actor_id=actor.id, target=module, ip=ip, title=module.title)
    db.session.commit()
    return module


@write_transaction()
def delete_module(actor: User, module_id: int, ip: str | None) -> None:
    """Only an empty module goes: lessons are moved or deleted first, one decision at a time."""
    module = db.session.get(Module, module_id, with_for_update=True)  # no lesson added meanwhile
    if module.lessons:
        raise ContentRefused("module_not_empty")
    audit.record("module.delete", actor_id=actor.id, target=module, ip=ip, title=module.title)
    db.session.delete(module)
    db.session.commit()


# Lessons


@write_transaction()
def add_lesson(actor: User, module_id: int, values: dict[str, Any], ip: str | None) -> Lesson:
    module = db.session.get(Module, module_id, with_for_update=True)
    last = db.session.scalar(select(func.max(Lesson.position)).where(Lesson.module_id == module_id))
    lesson = Lesson(
        course_id=module.course_id,
        module=module,
        position=(last or 0) + 1,
        **_pick(values, LESSON_FIELDS),
    )
    lesson.slug = lesson.slug or slugify(lesson.title)
    db.session.add(lesson)
    _flush_or_refuse()
    audit.record("lesson.create", actor_id=actor.id, target=lesson, ip=ip, slug=lesson.slug)
    db.session.commit()
    return lesson


@write_transaction()
def update_lesson(
    actor: User, lesson_id: int, version: int | None, values: dict[str, Any], ip: str | None
) -> Lesson:
    """Save the lesson as edited from `version`; EditConflict if someone saved it since."""
    versions.claim(Lesson, lesson_id, version)
    lesson = db.session.get(Lesson, lesson_id)
    values = _pick(values, LESSON_FIELDS)
    values["slug"] = values["slug"] or slugify(values["title"])
    changed = sorted(name for name, value in values.items() if getattr(lesson, name) != value)
    for name, value in values.items():
        setattr(lesson, name, value)
    _flush_or_refuse()
    audit.record("lesson.update", actor_id=actor.id, target=lesson, ip=ip, changed=changed)
    db.session.commit()
    return lesson


@write_transaction()
def delete_lesson(actor: User, lesson_id: int, ip: str | None) -> None:
    """A lesson students have opened stays (make it a draft instead): their progress counts.

    The row lock makes a first visit recorded meanwhile either wait for the deletion or be
    seen by the check below (PostgreSQL; SQLite's write lock already serializes them).
    """
    lesson = db.session.get(Lesson, lesson_id, with_for_update=True)
    opened = db.session.scalar(select(exists().where(LessonProgress.lesson_id == lesson_id)))
    if opened:
        raise ContentRefused("lesson_has_progress")
    quiz_taken = db.session.scalar(
        select(exists().where(Quiz.lesson_id == lesson_id, QuizAttempt.quiz_id == Quiz.id))
    )
    if quiz_taken:
        raise ContentRefused("lesson_has_quiz")
    files = [file.stored_name for file in _attachments(lesson_id)]
    audit.record("lesson.delete", actor_id=actor.id, target=lesson, ip=ip, slug=lesson.slug)
    db.session.delete(lesson)
    db.session.commit()
    for name in files:
        (course_files.attachments_dir() / name).unlink(missing_ok=True)


def _flush_or_refuse() -> None:
    try:
        db.session.flush()
    except IntegrityError as error:
        db.session.rollback()
        raise ContentRefused("slug_taken") from error


def _pick(values: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    return {name: values[name] for name in names if name in values}


# Order


@write_transaction()
def reorder(
    actor: User, course_id: int, order: list[tuple[int, list[int]]], ip: str | None
) -> None:
    """Set the whole order at once: [(module id, [lesson ids...]), ...] as the instructor laid it.

    It must name every module and lesson of the course exactly once, so a stale page (someone
    added a lesson meanwhile) is refused instead of losing or hiding anything.
    """
    modules = {m.id: m for m in course_content(course_id)}
    lessons = {lesson.id: lesson for m in modules.values() for lesson in m.lessons}
    named_lessons = [lesson_id for _module_id, ids in order for lesson_id in ids]
    if sorted(m for m, _ids in order) != sorted(modules) or sorted(named_lessons) != sorted(
        lessons
    ):
        raise ContentRefused("bad_order")
    for position, (module_id, lesson_ids) in enumerate(order, start=1):
        modules[module_id].position = position
        for lesson_position, lesson_id in enumerate(lesson_ids, start=1):
            lesson = lessons[lesson_id]
            lesson.module_id, lesson.position = module_id, lesson_position
    audit.record(
        "course.reorder",
        actor_id=actor.id,
        target=db.session.get(Course, course_id),
        ip=ip,
        order=[[m, ids] for m, ids in order],
    )
    db.session.commit()


def current_order(course_id: int) -> list[tuple[int, list[int]]]:
    return [(m.id, [lesson.id for lesson in m.lessons]) for m in course_content(course_id)]


def moved(order: list[tuple[int, list[int]]], kind: str, item_id: int, step: int) -> list:
    """The order with one module, or one lesson, moved one place up (-1) or down (+1).

    A lesson at the edge of its module moves into the neighbouring module, as on a keyboard
    one expects to be able to reach every place a drag could.
    """
    order = [(m, list(ids)) for m, ids in order]
    if kind == "module":
        index = next(i for i, (m, _ids) in enumerate(order) if m == item_id)
        target = index + step
        if 0 <= target < len(order):
            order[index], order[target] = order[target], order[index]
        return order
    index = next(i for i, (_m, ids) in enumerate(order) if item_id in ids)
    ids = order[index][1]
    place = ids.index(item_id)
    if 0 <= place + step < len(ids):
        ids[place], ids[place + step] = ids[place + step], ids[place]
    elif 0 <= index + step < len(order):
        ids.remove(item_id)
        neighbour = order[index + step][1]
        if step < 0:
            neighbour.append(item_id)
        else:
            neighbour.insert(0, item_id)
    return order


# Attachments


def _attachments(lesson_id: int) -> list[Attachment]:
    return list(db.session.scalars(select(Attachment).where(Attachment.lesson_id == lesson_id)))


def add_attachment(
    actor: User, lesson_id: int, filename: str, stream: BinaryIO, ip: str | None
) -> Attachment:
    """Store the file under a random name first, then record it; the file goes if that fails."""
    data = stream.read(ATTACHMENT_MAX_BYTES + 1)
    if len(data) > ATTACHMENT_MAX_BYTES:
        raise ContentRefused("too_large")
    if not data:
        raise ContentRefused("empty_file")
    shown = PurePosixPath(filename.replace("\\", "/")).name[:200] or "file"
    suffix = PurePosixPath(shown).suffix.lower()[:10]
    stored = course_files.new_stored_name(suffix)
    path = course_files.write_file(course_files.attachments_dir(), stored, data)
    content_type = mimetypes.guess_type(shown)[0] or "application/octet-stream"
    try:
        return _record_attachment(actor, lesson_id, shown, stored, content_type, len(data), ip)
    except Exception:
        path.unlink(missing_ok=True)
        raise


@write_transaction()
def _record_attachment(
    actor: User,
    lesson_id: int,
    filename: str,
    stored: str,
    content_type: str,
    size: int,
    ip: str | None,
) -> Attachment:
    file = Attachment(
        lesson_id=lesson_id,
        filename=filename,
        stored_name=stored,
        content_type=content_type,
        size=size,
    )
    db.session.add(file)
    db.session.flush()
    audit.record(
        "attachment.add", actor_id=actor.id, target=file, ip=ip, lesson_id=lesson_id, name=filename
    )
    db.session.commit()
    return file


@write_transaction()
def delete_attachment(actor: User, attachment_id: int, ip: str | None) -> int:
    """Remove a file from its lesson; returns the lesson's id."""
    file = db.session.get(Attachment, attachment_id)
    lesson_id, stored = file.lesson_id, file.stored_name
    audit.record(
        "attachment.delete",
        actor_id=actor.id,
        target=file,
        ip=ip,
        lesson_id=lesson_id,
        name=file.filename,
    )
    db.session.delete(file)
    db.session.commit()
    (course_files.attachments_dir() / stored).unlink(missing_ok=True)
    return lesson_id
