"""Writing a course archive: the ZIP described in `course_archive`, the same bytes each time.

Entries are written sorted (the manifest first) with a fixed timestamp, and a path is never
written twice: a clash is a bug in the paths' naming, and raises rather than lose a file.
"""

from __future__ import annotations

import json
import re
import unicodedata
import zipfile
from io import BytesIO
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from lms.extensions import db, write_transaction
from lms.models import (
    Attachment,
    Course,
    Exam,
    ExamCategory,
    ExamQuestion,
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
    MODULE_FIELDS,
    QUESTION_FIELDS,
    QUIZ_FIELDS,
    VERSION,
    ArchiveRefused,
    picture_extension,
    values_of,
)

_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest a ZIP can say: the same for every export


def export_course(course_id: int, *, actor: User | None = None, ip: str | None = None) -> bytes:
    """The course as a ZIP (see `course_archive`'s docstring); the export is audited.

    The reading transaction ends before the ZIP is built and the audit entry has a write
    transaction of its own: on SQLite a read transaction cannot become a write one once another
    connection has committed, and a long export would otherwise fail at its very end.
    """
    course = db.session.scalar(
        select(Course)
        .where(Course.id == course_id)
        .options(selectinload(Course.modules).selectinload(Module.lessons))
    )
    if course is None:
        raise ArchiveRefused("not_found")
    files: dict[str, bytes] = {}
    _put(files, "course.md", course.description_md.encode())
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
    slug = course.slug
    db.session.commit()  # the reading is done: no transaction stays open while the ZIP is built
    data = _zip(json.dumps(manifest, ensure_ascii=False, indent=2).encode(), files)
    with write_transaction():
        audit.record(
            "course.export",
            actor_id=actor.id if actor is not None else None,
            target=course,
            ip=ip,
            slug=slug,
            bytes=len(data),
        )
        db.session.commit()
    return data


def _put(files: dict[str, bytes], path: str, data: bytes) -> None:
    """Add a file to the archive being built; a path already taken is a bug, never overwritten."""
    if path in files:
        raise ValueError(f"two files of the course archive at {path}")
    files[path] = data


def _export_cover(course: Course, files: dict[str, bytes]) -> str | None:
    """Covers are stored as WebP (see course_authoring.set_cover); one stored raw by an older
    import keeps the extension of what it is."""
    if not course.cover_image:
        return None
    data = _stored_file(course_files.covers_dir(), course.cover_image, "cover")
    path = "cover" + (picture_extension(data) or ".webp")
    _put(files, path, data)
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
            body = f"{folder}/{n:02d}-{_path_part(lesson.slug, 'lesson')}.md"
            _put(files, body, lesson.body_md.encode())
            described = values_of(lesson, LESSON_FIELDS)
            described["body"] = body
            described["attachments"] = []
            for a, attachment in enumerate(attachments.get(lesson.id, []), start=1):
                name = _path_part(attachment.filename, "file")
                path = f"attachments/{m:02d}-{n:02d}/{a:02d}-{name}"
                _put(
                    files,
                    path,
                    _stored_file(
                        course_files.attachments_dir(),
                        attachment.stored_name,
                        f"{lesson.slug}/{attachment.filename}",
                    ),
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
    _put(files, "exam/code-of-ethics.md", exam.code_of_ethics_md.encode())
    _put(files, "exam/pledge.md", exam.pledge_text.encode())
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
