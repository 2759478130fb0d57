"""The dashboard of a course: enrollments, revenue, the completion funnel, hard questions."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import abort, render_template, url_for
from flask_babel import get_timezone

from lms.blueprints.studio.access import studio_blueprint
from lms.models import utcnow
from lms.services import catalog, charts, course_stats

bp = studio_blueprint("dashboard", __name__)


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
        edit_links=_edit_links(course.slug, stats),
        now=now,
    )


def _edit_links(slug: str, stats) -> dict[tuple[str, int], str]:
    """Where each hard question is edited, to improve it."""
    links = {
        ("quiz", q.question_id): url_for(
            "question_bank.question_edit", slug=slug, quiz_id=q.group_id, question_id=q.question_id
        )
        for q in stats.quiz_questions
    }
    links.update(
        {
            ("exam", q.question_id): url_for(
                "question_bank.bank_question_edit", slug=slug, question_id=q.question_id
            )
            for q in stats.exam_questions
        }
    )
    return links
