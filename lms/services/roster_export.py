"""The roster as a CSV file: one row per student, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from lms.services.roster import RosterRow

CSV_COLUMNS = (
    "name", "email", "city", "headline", "enrolled_on", "source", "status", "progress_percent",
    "quizzes_passed", "quizzes_total", "exam_best_score", "exam_passed", "certificate_status",
    "certificate_code", "last_activity",
)  # fmt: skip
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: object) -> str:
    """A cell a spreadsheet shows as text: one starting like a formula gets an apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _csv_values(row: RosterRow) -> list[object]:
    tried = row.exam_attempts > 0
    return [
        row.name, row.email, row.city, row.headline, row.enrolled_at.date().isoformat(),
        row.source, row.status, row.percent, row.quizzes_passed, row.quizzes_total,
        row.exam_best, ("yes" if row.exam_passed else "no") if tried else "",
        row.certificate_status, row.certificate_code,
        row.last_activity.isoformat(timespec="seconds"),
    ]  # fmt: skip


def roster_csv(rows: Iterable[RosterRow], header: Sequence[str]) -> str:
    """UTF-8 text with a byte-order mark, so that Excel reads accented names right."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([spreadsheet_safe(label) for label in header])
    for row in rows:
        writer.writerow([spreadsheet_safe(value) for value in _csv_values(row)])
    return "\ufeff" + buffer.getvalue()
