"""Reading an untrusted course archive: everything is checked before anything is written.

Format and version, every field's type, length and range (the studio's own limits), every
referenced file, and the limits that stop zip bombs: the entry count is read from the ZIP's end
record before its directory is parsed, each file may be named once only, and the bytes actually
unpacked are counted. Nothing is ever extracted to disk: entries are only read by name, and an
unsafe name (absolute, '..', backslash, drive, link) refuses the whole archive.
"""

from __future__ import annotations

import json
import stat
import struct
import zipfile
from dataclasses import dataclass, field
from io import BytesIO
from typing import Any, BinaryIO

from lms.models import (
    Attachment,
    Choice,
    Course,
    Exam,
    ExamCategory,
    ExamChoice,
    ExamQuestion,
    Lesson,
    Module,
    Question,
    Quiz,
)
from lms.services import course_authoring, course_rules
from lms.services.course_archive_format import (
    ATTACHMENT_FIELDS,
    CATEGORY_FIELDS,
    CHOICE_FIELDS,
    COURSE_FIELDS,
    EXAM_FIELDS,
    EXAM_KINDS,
    EXAM_QUESTION_FIELDS,
    FORMAT,
    LESSON_FIELDS,
    MAX_ARCHIVE_BYTES,
    MAX_DIRECTORY_BYTES,
    MAX_ENTRIES,
    MAX_FILE_BYTES,
    MAX_INLINE_TEXT,
    MAX_MANIFEST_BYTES,
    MAX_MARKDOWN_BYTES,
    MAX_TOTAL_BYTES,
    MODULE_FIELDS,
    QUESTION_FIELDS,
    QUIZ_FIELDS,
    QUIZ_KINDS,
    VERSION,
    ArchiveRefused,
    Field,
    is_plain_name,
    is_safe_path,
)

# -- What a checked archive holds: rows not yet added to any session, and the files' bytes.


@dataclass
class CheckedLesson:
    lesson: Lesson
    attachments: list[tuple[Attachment, bytes]] = field(default_factory=list)


@dataclass
class CheckedQuiz:
    quiz: Quiz
    module_number: int | None  # 1 for the first module
    lesson_slug: str | None


@dataclass
class CheckedCourse:
    course: Course
    cover: bytes | None  # as found: import re-encodes it like a cover uploaded in the studio
    lessons: list[CheckedLesson]
    quizzes: list[CheckedQuiz]
    exam: Exam | None

    def counts(self) -> dict[str, int]:
        exam_questions = (
            sum(len(c.questions) for c in self.exam.categories) if self.exam is not None else 0
        )
        return {
            "modules": len(self.course.modules),
            "lessons": len(self.lessons),
            "attachments": sum(len(item.attachments) for item in self.lessons),
            "quizzes": len(self.quizzes),
            "questions": sum(len(item.quiz.questions) for item in self.quizzes),
            "exam_questions": exam_questions,
        }


def read_archive(data: bytes | BinaryIO) -> CheckedCourse:
    """Check a whole archive and build its rows, or raise ArchiveRefused saying why."""
    if not isinstance(data, bytes | bytearray):
        data = data.read(MAX_ARCHIVE_BYTES + 1)
    if len(data) > MAX_ARCHIVE_BYTES:
        raise ArchiveRefused("too_large")
    with _open_zip(bytes(data)) as archive:
        return _Reader(archive).course()


_END = struct.Struct("<4s4H2LH")  # end of central directory record
_END64_LOCATOR = struct.Struct("<4sLQL")
_END64 = struct.Struct("<4sQ2H2L4Q")


def _directory_size(data: bytes) -> tuple[int, int] | None:
    """(entries, bytes) of the central directory as the ZIP's end record states them, found the
    way zipfile finds it; None when there is no end record (zipfile then refuses the file)."""
    position = len(data) - _END.size
    if position < 0 or not data.startswith(b"PK\x05\x06", position) or data[-2:] != b"\0\0":
        position = data.rfind(b"PK\x05\x06", max(0, len(data) - _END.size - 0xFFFF))
    if position < 0 or position + _END.size > len(data):
        return None
    end = _END.unpack_from(data, position)
    entries, size = end[4], end[5]
    locator = position - _END64_LOCATOR.size
    if locator >= 0 and data.startswith(b"PK\x06\x07", locator):
        start = locator - _END64.size
        if start < 0 or not data.startswith(b"PK\x06\x06", start):
            return None
        end64 = _END64.unpack_from(data, start)
        entries, size = end64[7], end64[8]
    return entries, size


def _open_zip(data: bytes) -> zipfile.ZipFile:
    stated = _directory_size(data)
    if stated is not None and (stated[0] > MAX_ENTRIES or stated[1] > MAX_DIRECTORY_BYTES):
        raise ArchiveRefused("too_many_files")  # refused before the directory is parsed
    try:
        archive = zipfile.ZipFile(BytesIO(data))
        entries = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError) as error:
        raise ArchiveRefused("not_a_zip") from error
    if len(entries) > MAX_ENTRIES:
        raise ArchiveRefused("too_many_files")
    seen = set()
    for entry in entries:
        if not is_safe_path(entry.filename.removesuffix("/") if entry.is_dir() else entry.filename):
            raise ArchiveRefused(f"unsafe_path:{entry.filename[:200]}")
        if stat.S_ISLNK(entry.external_attr >> 16):
            raise ArchiveRefused(f"unsafe_path:{entry.filename[:200]}")
        if entry.filename in seen:
            raise ArchiveRefused(f"duplicate_name:{entry.filename[:200]}")
        seen.add(entry.filename)
        if entry.flag_bits & 0x1:
            raise ArchiveRefused("encrypted")
        if entry.file_size > MAX_FILE_BYTES:
            raise ArchiveRefused("too_large")
    if sum(entry.file_size for entry in entries) > MAX_TOTAL_BYTES:
        raise ArchiveRefused("too_large")
    return archive


class _Reader:
    """Walks the manifest, checking each value where it is and naming that place on refusal."""

    def __init__(self, archive: zipfile.ZipFile):
        self.archive = archive
        self.names = {entry.filename for entry in archive.infolist() if not entry.is_dir()}
        self.claimed: set[str] = set()
        self.unread = MAX_TOTAL_BYTES  # what may still be unpacked, all files together

    # -- files

    def claim(self, path: str, where: str) -> None:
        """Each file belongs to one place: naming a small entry again and again would unpack it
        again and again (an export never names a file twice)."""
        if path in self.claimed:
            raise ArchiveRefused(f"bad_manifest:{where}")
        self.claimed.add(path)

    def file(self, path: Any, where: str, limit: int = MAX_FILE_BYTES) -> bytes:
        if not isinstance(path, str) or not is_safe_path(path):
            raise ArchiveRefused(f"bad_manifest:{where}")
        self.claim(path, where)
        if path not in self.names:
            raise ArchiveRefused(f"missing_file:{path}")
        allowed = min(limit, self.unread)
        try:
            with self.archive.open(path) as handle:
                data = handle.read(allowed + 1)
        except (zipfile.BadZipFile, ValueError, OSError, EOFError, NotImplementedError) as error:
            raise ArchiveRefused(f"damaged_file:{path}") from error
        if len(data) > allowed:
            raise ArchiveRefused("too_large")
        self.unread -= len(data)
        return data

    def markdown(self, path: Any, where: str, max_length: int | None = None) -> str:
        data = self.file(path, where, MAX_MARKDOWN_BYTES)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as error:
            raise ArchiveRefused(f"not_utf8:{path}") from error
        if "\x00" in text:
            raise ArchiveRefused(f"not_utf8:{path}")
        if max_length is not None and len(text) > max_length:
            raise ArchiveRefused(f"bad_manifest:{where}")
        return text

    # -- values

    def fields(self, source: Any, fields: tuple[Field, ...], model: type, where: str) -> dict:
        if not isinstance(source, dict):
            raise ArchiveRefused(f"bad_manifest:{where}")
        values = {}
        for spec in fields:
            values[spec.name] = self.value(source, spec, model, f"{where}.{spec.name}")
        return values

    def value(self, source: dict, spec: Field, model: type, where: str) -> Any:
        if spec.name not in source:
            raise ArchiveRefused(f"bad_manifest:{where}")
        value = source[spec.name]
        if value is None and spec.nullable:
            return None
        if type(value) is not spec.kind:  # bool is not an int here
            raise ArchiveRefused(f"bad_manifest:{where}")
        if spec.kind is int and not spec.low <= value <= spec.high:
            raise ArchiveRefused(f"bad_manifest:{where}")
        if spec.kind is str:
            column = model.__table__.c[spec.name]
            limit = spec.max_length or getattr(column.type, "length", None) or MAX_INLINE_TEXT
            if len(value) > limit or "\x00" in value or (spec.required and not value.strip()):
                raise ArchiveRefused(f"bad_manifest:{where}")
            if spec.pattern is not None and not spec.pattern.match(value):
                raise ArchiveRefused(f"bad_manifest:{where}")
            if spec.choices is not None and value not in spec.choices:
                raise ArchiveRefused(f"bad_manifest:{where}")
            if spec.check is not None and not spec.check(value):
                raise ArchiveRefused(f"bad_manifest:{where}")
        return value

    @staticmethod
    def items(source: Any, key: str, where: str) -> list:
        value = source.get(key) if isinstance(source, dict) else None
        if not isinstance(value, list):
            raise ArchiveRefused(f"bad_manifest:{where}.{key}")
        return value

    # -- the manifest

    def course(self) -> CheckedCourse:
        if "manifest.json" not in self.names:
            raise ArchiveRefused("no_manifest")
        try:
            manifest = json.loads(self.file("manifest.json", "manifest", MAX_MANIFEST_BYTES))
        except (ValueError, RecursionError) as error:
            raise ArchiveRefused("bad_manifest:manifest.json") from error
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise ArchiveRefused("unsupported_format")
        if manifest.get("version") != VERSION:
            raise ArchiveRefused(f"unsupported_version:{str(manifest.get('version'))[:20]}")
        source = manifest.get("course")
        course = Course(**self.fields(source, COURSE_FIELDS, Course, "course"))
        course.is_published = False  # published here only once someone here has looked at it
        if course.certificate_design not in course_authoring.certificate_designs():
            raise ArchiveRefused("bad_manifest:course.certificate_design")
        course.description_md = self.markdown(
            source.get("description"), "course.description", course_rules.DESCRIPTION_MAX_LENGTH
        )
        cover = None if source.get("cover") is None else self.file(source["cover"], "course.cover")
        lessons: list[CheckedLesson] = []
        for m, item in enumerate(self.items(source, "modules", "course")):
            where = f"course.modules[{m}]"
            module = Module(position=m, **self.fields(item, MODULE_FIELDS, Module, where))
            course.modules.append(module)
            for n, lesson_item in enumerate(self.items(item, "lessons", where)):
                checked = self.lesson(lesson_item, f"{where}.lessons[{n}]", n)
                checked.lesson.course = course
                module.lessons.append(checked.lesson)
                lessons.append(checked)
        slugs = [item.lesson.slug for item in lessons]
        if len(set(slugs)) != len(slugs):
            raise ArchiveRefused("bad_manifest:course.modules.lessons.slug")
        quizzes = [
            self.quiz(item, f"course.quizzes[{q}]", len(course.modules), set(slugs))
            for q, item in enumerate(self.items(source, "quizzes", "course"))
        ]
        places = [
            (q.lesson_slug, q.module_number if q.lesson_slug is None else None) for q in quizzes
        ]
        if len(set(places)) != len(places):  # one quiz per place, as the studio keeps it
            raise ArchiveRefused("bad_manifest:course.quizzes")
        exam = None if source.get("exam") is None else self.exam(source["exam"], "course.exam")
        return CheckedCourse(course, cover, lessons, quizzes, exam)

    def lesson(self, item: Any, where: str, position: int) -> CheckedLesson:
        lesson = Lesson(position=position, **self.fields(item, LESSON_FIELDS, Lesson, where))
        lesson.body_md = self.markdown(
            item.get("body"), f"{where}.body", course_rules.BODY_MAX_LENGTH
        )
        checked = CheckedLesson(lesson)
        for a, attachment_item in enumerate(self.items(item, "attachments", where)):
            place = f"{where}.attachments[{a}]"
            values = self.fields(attachment_item, ATTACHMENT_FIELDS, Attachment, place)
            if not is_plain_name(values["filename"]):
                raise ArchiveRefused(f"bad_manifest:{place}.filename")
            data = self.file(attachment_item.get("path"), f"{place}.path")
            checked.attachments.append((Attachment(size=len(data), **values), data))
        return checked

    def quiz(self, item: Any, where: str, modules: int, lesson_slugs: set[str]) -> CheckedQuiz:
        quiz = Quiz(**self.fields(item, QUIZ_FIELDS, Quiz, where))
        module_number, lesson_slug = item.get("module"), item.get("lesson")
        if module_number is not None and (
            type(module_number) is not int or not 1 <= module_number <= modules
        ):
            raise ArchiveRefused(f"bad_manifest:{where}.module")
        if lesson_slug is not None and (
            not isinstance(lesson_slug, str) or lesson_slug not in lesson_slugs
        ):
            raise ArchiveRefused(f"bad_manifest:{where}.lesson")
        for q, question_item in enumerate(self.items(item, "questions", where)):
            place = f"{where}.questions[{q}]"
            question = Question(
                position=q, **self.fields(question_item, QUESTION_FIELDS, Question, place)
            )
            question.accepted = self.accepted(question_item, place)
            question.choices = self.choices(question_item, Choice, place)
            self.check_answers(question, QUIZ_KINDS, place)
            quiz.questions.append(question)
        return CheckedQuiz(quiz, module_number, lesson_slug)

    def accepted(self, item: dict, where: str) -> list[str]:
        accepted = self.items(item, "accepted", where)
        for value in accepted:
            if not isinstance(value, str) or not value.strip() or len(value) > 200:
                raise ArchiveRefused(f"bad_manifest:{where}.accepted")
        return accepted

    def choices(self, item: dict, model: type, where: str) -> list:
        return [
            model(position=c, **self.fields(choice, CHOICE_FIELDS, model, f"{where}.choices[{c}]"))
            for c, choice in enumerate(self.items(item, "choices", where))
        ]

    @staticmethod
    def check_answers(question: Any, kinds: tuple[str, ...], where: str) -> None:
        """Only what grading relies on: a right answer exists, and exactly one for 'single'."""
        right = sum(choice.is_correct for choice in question.choices)
        problem = {
            "single": len(question.choices) < 2 or right != 1,
            "multiple": len(question.choices) < 2 or right < 1,
            "true_false": question.answer_true is None,
            "text": not getattr(question, "accepted", None),
        }
        if question.kind not in kinds:
            raise ArchiveRefused(f"bad_manifest:{where}.kind")
        if problem[question.kind]:
            raise ArchiveRefused(f"bad_manifest:{where}.choices")

    def exam(self, item: Any, where: str) -> Exam:
        exam = Exam(**self.fields(item, EXAM_FIELDS, Exam, where))
        exam.code_of_ethics_md = self.markdown(item.get("code_of_ethics"), f"{where}.code")
        exam.pledge_text = self.markdown(item.get("pledge"), f"{where}.pledge")
        for c, category_item in enumerate(self.items(item, "categories", where)):
            place = f"{where}.categories[{c}]"
            values = self.fields(category_item, CATEGORY_FIELDS, ExamCategory, place)
            category = ExamCategory(position=c, **values)
            for q, question_item in enumerate(self.items(category_item, "questions", place)):
                spot = f"{place}.questions[{q}]"
                question = ExamQuestion(
                    **self.fields(question_item, EXAM_QUESTION_FIELDS, ExamQuestion, spot)
                )
                question.choices = self.choices(question_item, ExamChoice, spot)
                self.check_answers(question, EXAM_KINDS, spot)
                category.questions.append(question)
            if category.draw > sum(question.is_active for question in category.questions):
                raise ArchiveRefused(f"bad_manifest:{place}.draw")
            exam.categories.append(category)
        keys = [category.key for category in exam.categories]
        if len(set(keys)) != len(keys):
            raise ArchiveRefused(f"bad_manifest:{where}.categories.key")
        exam.questions_per_attempt = sum(category.draw for category in exam.categories)
        return exam
