"""The course archive's format: its limits, its refusals, and the fields of each row it carries.

The field tables are shared by the writer (`course_archive_writer`) and the reader
(`course_archive_reader`), so what is exported is exactly what is read back.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

from lms.models import QuestionKind
from lms.services import course_rules, video
from lms.services.errors import DomainError

FORMAT = "lms-course"
VERSION = 1

MAX_ARCHIVE_BYTES = 64 * 1024 * 1024  # the ZIP as uploaded
MAX_ENTRIES = 2000
MAX_FILE_BYTES = 32 * 1024 * 1024  # one file, uncompressed
MAX_TOTAL_BYTES = 256 * 1024 * 1024  # every file, uncompressed
MAX_MANIFEST_BYTES = 4 * 1024 * 1024
MAX_MARKDOWN_BYTES = 2 * 1024 * 1024
MAX_INLINE_TEXT = 20_000  # a Text column written in the manifest (summary, prompt, ...)
# The ZIP's central directory: 46 bytes an entry, plus its name (at most 255) and a few extras.
MAX_DIRECTORY_BYTES = MAX_ENTRIES * 1024

_CURRENCY = re.compile(r"^[a-z]{3}$")
_DESIGN = re.compile(r"^[a-z0-9][a-z0-9_-]*$")  # a folder name under CERTIFICATE_DIR
_CONTENT_TYPE = re.compile(r"^[A-Za-z0-9][\w.+-]*/[\w.+-]+$")
_VIDEO_URL = re.compile(r"^https?://\S+$")
_CATEGORY_KEY = re.compile(r"^[A-Za-z0-9_.-]+$")

# The first bytes of each picture type a cover may be, and the extension it is stored with.
_PICTURES = ((b"\x89PNG\r\n\x1a\n", ".png"), (b"\xff\xd8\xff", ".jpg"), (b"GIF8", ".gif"))


class ArchiveRefused(DomainError):
    """not_a_zip, encrypted, too_large, too_many_files, unsafe_path:<name>, duplicate_name:<name>,
    no_manifest, unsupported_format, unsupported_version, bad_manifest:<where>,
    missing_file:<path>, damaged_file:<path>, not_utf8:<path>, bad_cover, bad_slug, slug_taken,
    not_found; `suggestion` is a free slug when the reason is slug_taken.

    Limits that the studio's forms also apply (course_rules) refuse as bad_manifest:<where>."""

    def __init__(self, reason: str, *, suggestion: str | None = None):
        super().__init__(reason)
        self.reason = reason
        self.suggestion = suggestion

    @property
    def code(self) -> str:
        """The reason without its detail: 'bad_manifest:course.title' -> 'bad_manifest'."""
        return self.reason.partition(":")[0]

    @property
    def detail(self) -> str:
        return self.reason.partition(":")[2]


@dataclass(frozen=True)
class Field:
    """One scalar of a row as written in the manifest, under the column's own name."""

    name: str
    kind: type
    low: int = 0
    high: int = 0
    nullable: bool = False
    required: bool = False  # a string that may not be empty
    pattern: re.Pattern[str] | None = None
    max_length: int | None = None  # else the column's length, or MAX_INLINE_TEXT
    choices: Collection[str] | None = None
    check: Callable[[str], bool] | None = None


def _text(name: str, **options: Any) -> Field:
    return Field(name, str, **options)


def _number(name: str, low: int, high: int, nullable: bool = False) -> Field:
    return Field(name, int, low=low, high=high, nullable=nullable)


def _flag(name: str, nullable: bool = False) -> Field:
    return Field(name, bool, nullable=nullable)


def _is_video(url: str) -> bool:
    return video.embed_url(url) is not None


COURSE_FIELDS = (
    _text("slug", required=True, pattern=course_rules.SLUG),
    _text("title", required=True),
    _text("subtitle"),
    _number("price_cents", 0, course_rules.PRICE_MAX_CENTS),
    _text("currency", pattern=_CURRENCY),
    _text("language", choices=course_rules.LANGUAGES),
    _number("hours", 0, course_rules.HOURS_MAX),
    _flag("is_published"),  # written for the reader's information: an import is always a draft
    _flag("sequential"),
    _number(
        "certificate_validity_months",
        course_rules.VALIDITY_MONTHS_MIN,
        course_rules.VALIDITY_MONTHS_MAX,
        nullable=True,
    ),
    _text("certificate_design", pattern=_DESIGN),  # and a design of this installation
    _text("certificate_signer_name"),
    _text("certificate_signer_title"),
)
MODULE_FIELDS = (
    _text("title", required=True),
    _text("summary", max_length=course_rules.SUMMARY_MAX_LENGTH),
)
LESSON_FIELDS = (
    _text("slug", required=True, pattern=course_rules.SLUG),
    _text("title", required=True),
    _text("video_url", nullable=True, pattern=_VIDEO_URL, check=_is_video),
    _flag("is_preview"),
    _flag("is_draft"),
    _number("drip_days", 0, course_rules.DRIP_DAYS_MAX),
    _number("minutes", 0, course_rules.LESSON_MINUTES_MAX),
)
ATTACHMENT_FIELDS = (
    _text("filename", required=True),
    _text("content_type", required=True, pattern=_CONTENT_TYPE),
)
QUIZ_FIELDS = (
    _text("title", required=True),
    _number("pass_percent", *course_rules.QUIZ_PASS_PERCENT),
    _number("max_attempts", *course_rules.QUIZ_ATTEMPTS),
    _flag("shuffle"),
)
QUESTION_FIELDS = (
    _text("kind", required=True),
    _text("prompt", required=True),
    _text("explanation"),
    _number("points", *course_rules.QUESTION_POINTS),
    _flag("answer_true", nullable=True),
)
CHOICE_FIELDS = (_text("text", required=True), _flag("is_correct"))
EXAM_FIELDS = (
    _text("title", required=True),
    _number("questions_per_attempt", 0, 1000),  # recomputed on import: the sum of the draws
    _number("time_limit_minutes", *course_rules.EXAM_MINUTES),
    _number("pass_percent", *course_rules.EXAM_PASS_PERCENT),
    _number("max_attempts", *course_rules.EXAM_ATTEMPTS),
    _number("cooldown_hours", *course_rules.EXAM_COOLDOWN_HOURS),
    _number("grace_seconds", *course_rules.EXAM_GRACE_SECONDS),
)
CATEGORY_FIELDS = (
    _text("key", required=True, pattern=_CATEGORY_KEY),
    _text("title", required=True),
    _number("draw", 0, 1000),
)
EXAM_QUESTION_FIELDS = (
    _text("kind", required=True),
    _text("prompt", required=True),
    _text("explanation"),
    _flag("answer_true", nullable=True),
    _flag("is_active"),
)
QUIZ_KINDS = tuple(kind.value for kind in QuestionKind)
EXAM_KINDS = ("single", "multiple", "true_false")


def values_of(row: Any, fields: tuple[Field, ...]) -> dict[str, Any]:
    """The manifest's scalars of a row (the writer's side of the tables above)."""
    return {f.name: getattr(row, f.name) for f in fields}


def picture_extension(data: bytes) -> str | None:
    """'.png', '.jpg', '.gif' or '.webp' when the bytes start like that picture, else None."""
    for signature, extension in _PICTURES:
        if data.startswith(signature):
            return extension
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return ".webp"
    return None


def is_plain_name(name: str) -> bool:
    """A file name alone: no folder, no control character (it becomes a download's name)."""
    return not any(character in "/\\" or ord(character) < 32 for character in name)


def is_safe_path(name: str) -> bool:
    """A relative path of plain parts: no root, drive, backslash, '..', '.' or empty part."""
    if not name or len(name) > 255 or "\\" in name or ":" in name or name.startswith("/"):
        return False
    if any(ord(character) < 32 for character in name):
        return False
    return all(part not in ("", ".", "..") for part in name.split("/"))
