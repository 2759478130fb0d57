"""What every part of the studio shares: staff only, and the navigation between its pages."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, abort, redirect, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from lms.services import catalog, exam_admin


def staff_only():
    """Visitors go to the login page; students get 403 (nothing here is theirs)."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=request.full_path))
    if not current_user.is_staff:
        abort(403)
    return None


@dataclass(frozen=True)
class Tab:
    label: str
    url: str
    current: bool


# The sections of a course in the studio: label, endpoint, and the endpoints that belong to it.
COURSE_SECTIONS = (
    (_l("Dashboard"), "dashboard.course_dashboard", ("dashboard.",)),
    (_l("Content"), "authoring.content", ("authoring.content", "authoring.edit_module", "lesson")),
    (_l("Quizzes"), "question_bank.quiz_list", ("question_bank.quiz", "question_bank.question_")),
    (_l("Exam"), "studio.exam_settings", ("studio.exam", "question_bank.exam", "question_bank.ca",
                                           "question_bank.bank_")),
    (_l("Students"), "roster.students", ("roster.",)),
    (_l("Certificates"), "studio.certificate_list", ("studio.certificate_list",)),
    (_l("Settings"), "authoring.edit_course", ("authoring.edit_course",)),
)  # fmt: skip


def course_tabs(course) -> list[Tab]:
    """The tabs of a course's pages; a course without an exam offers to create one."""
    with_exam = course.id in exam_admin.course_ids_with_exam()
    tabs = []
    for label, endpoint, owned in COURSE_SECTIONS:
        if endpoint == "studio.exam_settings" and not with_exam:
            endpoint = "question_bank.exam_create"
        current = (request.endpoint or "").startswith(owned)
        tabs.append(Tab(str(label), url_for(endpoint, slug=course.slug), current))
    return tabs


def studio_context() -> dict:
    return {
        "in_studio": True,
        "studio_tabs": course_tabs,
        "studio_courses": catalog.all_courses(),
        "studio_exam_courses": exam_admin.course_ids_with_exam(),
    }


def studio_blueprint(name: str, import_name: str) -> Blueprint:
    """A blueprint under /studio that only staff can open."""
    bp = Blueprint(name, import_name, url_prefix="/studio")
    bp.before_request(staff_only)
    bp.context_processor(studio_context)
    return bp
