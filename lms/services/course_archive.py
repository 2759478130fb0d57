"""A whole course as one ZIP, so its content can move to another installation and back.

The archive (format "lms-course", version 1) holds:

    manifest.json                      every authorable field, modules and lessons in order,
                                       quizzes and the exam; Markdown and files by path
    course.md                          the course description
    cover.webp                         the cover picture, when there is one
    modules/MM-<title>/NN-<slug>.md    each lesson's body, numbered by module and lesson order
    attachments/MM-NN/AA-<name>        each lesson's files, byte for byte, in a folder named by
                                       the lesson's module and lesson number
    exam/code-of-ethics.md, exam/pledge.md

No database id and no student data are written: quizzes name their module by its number (1 for
the first) and their lesson by its slug. Positions are renumbered from 0 on import, in order.
The same course always gives the same bytes but for `exported_at`: entries are written sorted
(the manifest first) with a fixed timestamp, so two exports can be compared. Every path is
written once: the manifest names each file in one place only, and the reader refuses reuse.

An imported course is always a draft, and its cover is re-encoded like one uploaded in the
studio; every file is written before the database transaction opens, so the write lock is never
held while files are written.

The format's limits and field tables are in `course_archive_format`, the checks of an untrusted
archive in `course_archive_reader`, the export in `course_archive_writer`.
"""

from __future__ import annotations

import re
from io import BytesIO
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from lms.extensions import db, write_transaction
from lms.models import (
    Attachment,
    Course,
    Exam,
    ExamCategory,
    ExamQuestion,
    Lesson,
    Module,
    Quiz,
    User,
)
from lms.services import audit, course_authoring, course_files, course_rules, photos
from lms.services.course_archive_format import MAX_ARCHIVE_BYTES, ArchiveRefused
from lms.services.course_archive_reader import CheckedCourse, read_archive
from lms.services.course_archive_writer import export_course

__all__ = ["MAX_ARCHIVE_BYTES", "ArchiveRefused", "export_course", "import_course"]


def import_course(
    data: bytes | BinaryIO, actor: User | None, ip: str | None, slug: str | None = None
) -> Course:
    """Create the archive's course here, as a draft, whole or not at all; the import is audited.

    The archive is checked entirely before anything is written. Files get new random names and
    are all written before the transaction opens (on SQLite it holds the database's write lock),
    then deleted again if the transaction fails.
    """
    checked = read_archive(data)
    source_slug = checked.course.slug
    if slug:
        if not course_rules.is_slug(slug):
            raise ArchiveRefused("bad_slug")
        checked.course.slug = slug
    if _slug_taken(checked.course.slug):  # before any file is written; checked again below
        raise ArchiveRefused("slug_taken", suggestion=free_slug(checked.course.slug))
    db.session.commit()  # the reading is done: no transaction stays open while files are written
    written = _write_files(checked)
    try:
        return _save(checked, actor, ip, source_slug)
    except BaseException:
        _delete(written)
        raise


def _write_files(checked: CheckedCourse) -> list[Path]:
    """Store the cover (re-encoded, as the studio stores one) and the attachments under new names;
    the paths written, or none at all if one fails."""
    written: list[Path] = []
    try:
        if checked.cover is not None:
            folder = course_files.covers_dir()
            try:
                name = photos.store_picture(
                    BytesIO(checked.cover), folder, course_authoring.COVER_SIZE, smallest=320
                )
            except photos.PhotoRefused as refused:
                raise ArchiveRefused("bad_cover") from refused
            checked.course.cover_image = name
            written.append(folder / name)
        for item in checked.lessons:
            for attachment, content in item.attachments:
                attachment.stored_name = course_files.new_stored_name(_suffix(attachment.filename))
                written.append(
                    course_files.write_file(
                        course_files.attachments_dir(), attachment.stored_name, content
                    )
                )
    except BaseException:
        _delete(written)
        raise
    return written


def _delete(paths: list[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)


def _save(checked: CheckedCourse, actor: User | None, ip: str | None, source_slug: str) -> Course:
    with write_transaction():
        if _slug_taken(checked.course.slug):
            raise ArchiveRefused("slug_taken", suggestion=free_slug(checked.course.slug))
        try:
            course = _create(checked)
            audit.record(
                "course.import",
                actor_id=actor.id if actor is not None else None,
                target=course,
                ip=ip,
                slug=course.slug,
                source_slug=source_slug,
                **checked.counts(),
            )
            db.session.commit()
        except IntegrityError as error:
            db.session.rollback()
            if _slug_taken(checked.course.slug):
                raise ArchiveRefused(
                    "slug_taken", suggestion=free_slug(checked.course.slug)
                ) from error
            raise
    return course


def _create(checked: CheckedCourse) -> Course:
    """The checked rows, linked to each other; their files are already written."""
    course = checked.course
    db.session.add(course)
    db.session.flush()
    lessons: dict[str, Lesson] = {}
    for item in checked.lessons:
        lessons[item.lesson.slug] = item.lesson
        for attachment, _content in item.attachments:
            attachment.lesson_id = item.lesson.id
            db.session.add(attachment)
    for item in checked.quizzes:
        item.quiz.course_id = course.id
        if item.module_number is not None:
            item.quiz.module_id = course.modules[item.module_number - 1].id
        if item.lesson_slug is not None:
            item.quiz.lesson_id = lessons[item.lesson_slug].id
        db.session.add(item.quiz)
    if checked.exam is not None:
        checked.exam.course_id = course.id
        db.session.add(checked.exam)
    db.session.flush()
    return course


def counts_of(course_id: int) -> dict[str, int]:
    """What a course holds, for the message after an import."""
    lesson_ids = select(Lesson.id).where(Lesson.course_id == course_id)
    category_ids = select(ExamCategory.id).join(Exam).where(Exam.course_id == course_id)
    count = func.count()
    return {
        "modules": db.session.scalar(
            select(count).select_from(Module).where(Module.course_id == course_id)
        ),
        "lessons": db.session.scalar(select(count).select_from(lesson_ids.subquery())),
        "attachments": db.session.scalar(
            select(count).select_from(Attachment).where(Attachment.lesson_id.in_(lesson_ids))
        ),
        "quizzes": db.session.scalar(
            select(count).select_from(Quiz).where(Quiz.course_id == course_id)
        ),
        "exam_questions": db.session.scalar(
            select(count)
            .select_from(ExamQuestion)
            .where(ExamQuestion.category_id.in_(category_ids))
        ),
    }


def _suffix(filename: str) -> str:
    """The file's extension for its stored name, when it is a plain one like '.pdf'."""
    suffix = Path(filename).suffix.lower()
    return suffix if re.fullmatch(r"\.[a-z0-9]{1,10}", suffix) else ""


def _slug_taken(slug: str) -> bool:
    return db.session.scalar(select(Course.id).where(Course.slug == slug)) is not None


def free_slug(slug: str) -> str:
    """The first of slug-2, slug-3, ... that no course uses yet."""
    stem = slug[:110]
    number = 2
    while _slug_taken(f"{stem}-{number}"):
        number += 1
    return f"{stem}-{number}"
