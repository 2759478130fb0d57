"""A whole course as one ZIP, so its content can move to another installation and back.

The archive (format "lms-course", version 1) holds:

    manifest.json                      every authorable field, modules and lessons in order,
                                       quizzes and the exam; Markdown and files by path
    course.md                          the course description
    cover.<png|jpg|gif|webp>           the cover picture, when there is one
    modules/NN-<title>/NN-<slug>.md    each lesson's body, numbered by module and lesson order
    attachments/<lesson-slug>/NN-<name>  each lesson's files, byte for byte
    exam/code-of-ethics.md, exam/pledge.md

No database id and no student data are written: quizzes name their module by its number (1 for
the first) and their lesson by its slug. Positions are renumbered from 0 on import, in order.
The same course always gives the same bytes but for `exported_at`: entries are written sorted
(the manifest first) with a fixed timestamp, so two exports can be compared.
"""

from __future__ import annotations

import json
import re
import unicodedata
import zipfile
from io import BytesIO
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from lms.extensions import db, write_transaction
from lms.models import (
    Attachment,
    Course,
    Exam,
    ExamCategory,
    ExamQuestion,
    Lesson,
    Module,
    Question,
    Quiz,
    User,
    utcnow,
)
from lms.services import audit, course_files
from lms.services.course_archive_format import (
    ATTACHMENT_FIELDS,
    CATEGORY_FIELDS,
    CHOICE_FIELDS,
    COURSE_FIELDS,
    EXAM_FIELDS,
    EXAM_QUESTION_FIELDS,
    FORMAT,
    LESSON_FIELDS,
    MAX_ARCHIVE_BYTES,
    MODULE_FIELDS,
    QUESTION_FIELDS,
    QUIZ_FIELDS,
    SLUG,
    VERSION,
    ArchiveRefused,
    picture_extension,
    values_of,
)
from lms.services.course_archive_reader import CheckedCourse, read_archive

__all__ = ["MAX_ARCHIVE_BYTES", "ArchiveRefused", "export_course", "import_course"]

_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest a ZIP can say: the same for every export


# -- Export


def export_course(course_id: int, *, actor: User | None = None, ip: str | None = None) -> bytes:
    """The course as a ZIP (see the module's docstring); the export is audited."""
    course = db.session.scalar(
        select(Course)
        .where(Course.id == course_id)
        .options(selectinload(Course.modules).selectinload(Module.lessons))
    )
    if course is None:
        raise ArchiveRefused("not_found")
    files: dict[str, bytes] = {"course.md": course.description_md.encode()}
    described = values_of(course, COURSE_FIELDS)
    described["description"] = "course.md"
    described["cover"] = _export_cover(course, files)
    described["modules"] = _export_modules(course, files)
    described["quizzes"] = _export_quizzes(course)
    described["exam"] = _export_exam(course.id, files)
    manifest = {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": utcnow().strftime("%Y-%m-%dT%H:%M:%SZ"),
        "course": described,
    }
    data = _zip(json.dumps(manifest, ensure_ascii=False, indent=2).encode(), files)
    audit.record(
        "course.export",
        actor_id=actor.id if actor is not None else None,
        target=course,
        ip=ip,
        slug=course.slug,
        bytes=len(data),
    )
    db.session.commit()
    return data


def _export_cover(course: Course, files: dict[str, bytes]) -> str | None:
    if not course.cover_image:
        return None
    data = _stored_file(course_files.covers_dir(), course.cover_image, "cover")
    path = "cover" + (picture_extension(data) or Path(course.cover_image).suffix.lower())
    files[path] = data
    return path


def _export_modules(course: Course, files: dict[str, bytes]) -> list[dict[str, Any]]:
    lesson_ids = [lesson.id for module in course.modules for lesson in module.lessons]
    attachments: dict[int, list[Attachment]] = {}
    for attachment in db.session.scalars(
        select(Attachment).where(Attachment.lesson_id.in_(lesson_ids)).order_by(Attachment.id)
    ):
        attachments.setdefault(attachment.lesson_id, []).append(attachment)
    modules = []
    for m, module in enumerate(course.modules, start=1):
        folder = f"modules/{m:02d}-{_path_part(module.title, 'module').lower()}"
        lessons = []
        for n, lesson in enumerate(module.lessons, start=1):
            lesson_slug = _path_part(lesson.slug, "lesson")
            body = f"{folder}/{n:02d}-{lesson_slug}.md"
            files[body] = lesson.body_md.encode()
            described = values_of(lesson, LESSON_FIELDS)
            described["body"] = body
            described["attachments"] = []
            for a, attachment in enumerate(attachments.get(lesson.id, []), start=1):
                path = (
                    f"attachments/{lesson_slug}/{a:02d}-{_path_part(attachment.filename, 'file')}"
                )
                files[path] = _stored_file(
                    course_files.attachments_dir(),
                    attachment.stored_name,
                    f"{lesson.slug}/{attachment.filename}",
                )
                described["attachments"].append(
                    {**values_of(attachment, ATTACHMENT_FIELDS), "path": path}
                )
            lessons.append(described)
        modules.append({**values_of(module, MODULE_FIELDS), "lessons": lessons})
    return modules


def _export_quizzes(course: Course) -> list[dict[str, Any]]:
    module_numbers = {module.id: m for m, module in enumerate(course.modules, start=1)}
    lesson_slugs = {
        lesson.id: lesson.slug for module in course.modules for lesson in module.lessons
    }
    quizzes = db.session.scalars(
        select(Quiz)
        .where(Quiz.course_id == course.id)
        .options(selectinload(Quiz.questions).selectinload(Question.choices))
        .order_by(Quiz.id)
    )
    return [
        {
            "module": module_numbers.get(quiz.module_id),
            "lesson": lesson_slugs.get(quiz.lesson_id),
            **values_of(quiz, QUIZ_FIELDS),
            "questions": [
                {
                    **values_of(question, QUESTION_FIELDS),
                    "accepted": list(question.accepted or []),
                    "choices": [values_of(choice, CHOICE_FIELDS) for choice in question.choices],
                }
                for question in quiz.questions
            ],
        }
        for quiz in quizzes
    ]


def _export_exam(course_id: int, files: dict[str, bytes]) -> dict[str, Any] | None:
    exam = db.session.scalar(
        select(Exam)
        .where(Exam.course_id == course_id)
        .options(
            selectinload(Exam.categories)
            .selectinload(ExamCategory.questions)
            .selectinload(ExamQuestion.choices)
        )
    )
    if exam is None:
        return None
    files["exam/code-of-ethics.md"] = exam.code_of_ethics_md.encode()
    files["exam/pledge.md"] = exam.pledge_text.encode()
    return {
        **values_of(exam, EXAM_FIELDS),
        "code_of_ethics": "exam/code-of-ethics.md",
        "pledge": "exam/pledge.md",
        "categories": [
            {
                **values_of(category, CATEGORY_FIELDS),
                "questions": [
                    {
                        **values_of(question, EXAM_QUESTION_FIELDS),
                        "choices": [values_of(c, CHOICE_FIELDS) for c in question.choices],
                    }
                    for question in category.questions
                ],
            }
            for category in exam.categories
        ],
    }


def _stored_file(folder: Path, name: str, label: str) -> bytes:
    """A stored file's bytes; if it is gone, the refusal names it as the staff know it."""
    try:
        return (folder / name).read_bytes()
    except OSError as error:
        raise ArchiveRefused(f"missing_file:{label}") from error


def _path_part(text: str, fallback: str) -> str:
    """A readable, portable piece of a path: ASCII letters, digits, '.', '_' and '-'."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", ascii_text).strip(".-_")[:60].strip(".-_")
    return cleaned or fallback


def _zip(manifest: bytes, files: dict[str, bytes]) -> bytes:
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in [("manifest.json", manifest), *sorted(files.items())]:
            entry = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            entry.create_system = 3  # Unix, wherever the export runs
            entry.external_attr = 0o644 << 16
            archive.writestr(entry, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=6)
    return buffer.getvalue()


# -- Import


def import_course(
    data: bytes | BinaryIO, actor: User | None, ip: str | None, slug: str | None = None
) -> Course:
    """Create the archive's course here, whole or not at all; the import is audited.

    The archive is checked entirely before anything is written. Files get new random names and
    are written before the commit, and deleted again if the transaction fails.
    """
    checked = read_archive(data)
    source_slug = checked.course.slug
    if slug:
        if len(slug) > 120 or not SLUG.match(slug):
            raise ArchiveRefused("bad_slug")
        checked.course.slug = slug
    written: list[Path] = []
    with write_transaction():
        if _slug_taken(checked.course.slug):
            raise ArchiveRefused("slug_taken", suggestion=free_slug(checked.course.slug))
        try:
            course = _create(checked, written)
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
        except BaseException as error:
            db.session.rollback()
            for path in written:
                path.unlink(missing_ok=True)
            if isinstance(error, IntegrityError) and _slug_taken(checked.course.slug):
                raise ArchiveRefused(
                    "slug_taken", suggestion=free_slug(checked.course.slug)
                ) from error
            raise
    return course


def _create(checked: CheckedCourse, written: list[Path]) -> Course:
    course = checked.course
    if checked.cover is not None:
        extension, picture = checked.cover
        course.cover_image = course_files.new_stored_name(extension)
        written.append(
            course_files.write_file(course_files.covers_dir(), course.cover_image, picture)
        )
    db.session.add(course)
    db.session.flush()
    lessons: dict[str, Lesson] = {}
    for item in checked.lessons:
        lessons[item.lesson.slug] = item.lesson
        for attachment, content in item.attachments:
            attachment.lesson_id = item.lesson.id
            attachment.stored_name = course_files.new_stored_name(_suffix(attachment.filename))
            written.append(
                course_files.write_file(
                    course_files.attachments_dir(), attachment.stored_name, content
                )
            )
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
