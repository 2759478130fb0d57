"""Labels of the roster in the reader's language: filters and the export's header row."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel import pgettext

from lms.services.roster import Show
from lms.services.roster_export import CSV_COLUMNS


def show_labels() -> dict:
    """The filters' names, as plural adjectives of the students ("Certified" alone is ambiguous)."""
    return {
        Show.ALL: pgettext("students", "All"),
        Show.NOT_STARTED: pgettext("students", "Not started"),
        Show.STALLED: pgettext("students", "Stalled"),
        Show.COMPLETED: pgettext("students", "Completed"),
        Show.CERTIFIED: pgettext("students", "Certified"),
    }


CSV_HEADER = {
    "name": _l("Name"),
    "email": _l("Email"),
    "city": _l("City"),
    "headline": _l("Headline"),
    "enrolled_on": _l("Enrolled on"),
    "source": _l("Source"),
    "status": _l("Status"),
    "progress_percent": _l("Progress (%)"),
    "quizzes_passed": _l("Quizzes passed"),
    "quizzes_total": _l("Quizzes in the course"),
    "exam_best_score": _l("Best exam score (%)"),
    "exam_passed": _l("Exam passed"),
    "certificate_status": _l("Certificate status"),
    "certificate_code": _l("Certificate code"),
    "last_activity": _l("Last activity"),
}


def csv_header() -> list[str]:
    return [str(CSV_HEADER[column]) for column in CSV_COLUMNS]
