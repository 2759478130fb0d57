"""The dashboard of a course: enrollments, revenue, the completion funnel, hard questions."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import abort, render_template, url_for
from flask_babel import get_timezone
from werkzeug.routing import BuildError

from lms.blueprints.studio.access import studio_blueprint
from lms.models import utcnow
from lms.services import catalog, charts, course_stats

bp = studio_blueprint("dashboard", __name__)

# The studio page where a course's quizzes are edited; until it exists, no link is shown.
QUIZ_PAGE_ENDPOINT = "question_bank.quizzes"


@bp.get("/courses/<slug>/dashboard")
def course_dashboard(slug: str):
    course = catalog.find_course(slug, include_drafts=True)
    if course is None:
        abort(404)
    now = utcnow()
    stats = course_stats.course_stats(course, now, ZoneInfo(str(get_timezone())))
    return render_template(
        "dashboard/course.html",
        course=course,
        stats=stats,
        charts=charts.course_charts(stats),
        funnel_labels=charts.funnel_labels(),
        min_answers=course_stats.MIN_ANSWERS,
        top_questions=course_stats.TOP_QUESTIONS,
        quiz_page=_url_if_any(QUIZ_PAGE_ENDPOINT, slug=course.slug),
        now=now,
    )


def _url_if_any(endpoint: str, **values) -> str | None:
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None
