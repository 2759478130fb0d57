"""Authoring a course: its settings, cover and publication. Every change is audited.

Modules and lessons are in `lesson_authoring`; quizzes and the exam bank in their own modules.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

from flask import current_app
from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError

from lms.extensions import db, write_transaction
from lms.models import AuditEntry, Course, Lesson, User
from lms.services import audit, course_files, photos, versions
from lms.services.errors import DomainError

COVER_SIZE = (1280, 720)

# The fields of the settings form, in the order the audit log shows them.
SETTINGS = (
    "title",
    "slug",
    "subtitle",
    "description_md",
    "price_cents",
    "language",
    "hours",
    "sequential",
    "certificate_validity_months",
    "certificate_design",
    "certificate_signer_name",
    "certificate_signer_title",
)


class CourseRefused(DomainError):
    """slug_taken, nothing_to_publish, unknown_design."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def find_course(course_id: int) -> Course | None:
    return db.session.get(Course, course_id)


def certificate_designs() -> list[str]:
    """The design folders that hold a template: the only values a course may name."""
    root = Path(current_app.config["CERTIFICATE_DIR"])
    return sorted(p.parent.name for p in root.glob("*/template.html"))


def _check(values: dict[str, Any]) -> None:
    if values["certificate_design"] not in certificate_designs():
        raise CourseRefused("unknown_design")


@write_transaction()
def create_course(actor: User, values: dict[str, Any], ip: str | None) -> Course:
    """A new course, as a draft: nobody sees it until it is published."""
    _check(values)
    course = Course(**{name: values[name] for name in SETTINGS}, is_published=False)
    db.session.add(course)
    try:
        db.session.flush()
    except IntegrityError as error:
        db.session.rollback()
        raise CourseRefused("slug_taken") from error
    audit.record("course.create", actor_id=actor.id, target=course, ip=ip, slug=course.slug)
    db.session.commit()
    return course


@write_transaction()
def update_course(
    actor: User, course_id: int, version: int | None, values: dict[str, Any], ip: str | None
) -> Course:
    """Save the settings made from `version`; EditConflict if someone saved since."""
    _check(values)
    versions.claim(Course, course_id, version)
    course = db.session.get(Course, course_id)
    changed = {
        name: [_plain(getattr(course, name)), _plain(values[name])]
        for name in SETTINGS
        if getattr(course, name) != values[name]
    }
    for name in SETTINGS:
        setattr(course, name, values[name])
    try:
        db.session.flush()
    except IntegrityError as error:
        db.session.rollback()
        raise CourseRefused("slug_taken") from error
    audit.record("course.update", actor_id=actor.id, target=course, ip=ip, changed=changed)
    db.session.commit()
    return course


def _plain(value: Any) -> Any:
    return value if value is None or isinstance(value, int | str | bool) else str(value)


@write_transaction()
def set_published(actor: User, course_id: int, published: bool, ip: str | None) -> Course:
    """Publish (it needs at least one lesson that is not a draft) or take back to draft."""
    course = db.session.get(Course, course_id)
    if published:
        has_lesson = db.session.scalar(
            select(exists().where(Lesson.course_id == course_id, Lesson.is_draft.is_(False)))
        )
        if not has_lesson:
            raise CourseRefused("nothing_to_publish")
    if course.is_published != published:
        course.is_published = published
        action = "course.publish" if published else "course.unpublish"
        audit.record(action, actor_id=actor.id, target=course, ip=ip)
    db.session.commit()
    return course


def set_cover(actor: User, course_id: int, stream: BinaryIO | None, ip: str | None) -> None:
    """Store a new cover (or none), then swap it in; the old file goes once the change is saved.

    The picture is checked and written before the transaction opens, and removed again if the
    change fails, so a cover file always belongs to a course.
    """
    name = (
        photos.store_picture(stream, course_files.covers_dir(), COVER_SIZE, smallest=320)
        if stream is not None
        else None
    )
    try:
        old = _swap_cover(actor, course_id, name, ip)
    except Exception:
        photos.delete_photo(name, course_files.covers_dir())
        raise
    photos.delete_photo(old, course_files.covers_dir())


@write_transaction()
def _swap_cover(actor: User, course_id: int, name: str | None, ip: str | None) -> str | None:
    course = db.session.get(Course, course_id)
    old, course.cover_image = course.cover_image, name
    audit.record("course.cover", actor_id=actor.id, target=course, ip=ip, removed=name is None)
    db.session.commit()
    return old


@dataclass(frozen=True)
class LastSave:
    """Who saved a row last, for the message shown when an edit is refused."""

    name: str
    at: datetime


# The audited actions that save each kind of row through its form.
SAVES = {
    "courses": ("course.create", "course.update"),
    "modules": ("module.create", "module.update"),
    "lessons": ("lesson.create", "lesson.update"),
}


def last_save(target_type: str, target_id: int) -> LastSave | None:
    row = db.session.execute(
        select(User.name, AuditEntry.created_at)
        .join(User, User.id == AuditEntry.actor_id)
        .where(
            AuditEntry.target_type == target_type,
            AuditEntry.target_id == str(target_id),
            AuditEntry.action.in_(SAVES.get(target_type, ())),
        )
        .order_by(AuditEntry.id.desc())
        .limit(1)
    ).first()
    return LastSave(row.name, row.created_at) if row else None
