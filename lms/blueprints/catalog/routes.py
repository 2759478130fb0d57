"""The public course catalog."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, send_from_directory
from flask_login import current_user

from lms.blueprints.payments.forms import BuyForm
from lms.models import Course
from lms.services import catalog, course_files, enrollment, photos

bp = Blueprint("catalog", __name__, url_prefix="/courses")


def course_page_context(course: Course, buy_form: BuyForm | None = None) -> dict:
    """What the course page shows; the buy form is passed back with its errors after a POST."""
    return {
        "course": course,
        "modules": catalog.syllabus(course),
        "totals": catalog.syllabus_totals(course),
        "enrolled": current_user.is_authenticated
        and enrollment.is_enrolled(current_user.id, course.id),
        "buy_form": buy_form or BuyForm(formdata=None),
    }


@bp.get("/")
def index():
    return render_template("catalog/index.html", courses=catalog.published_courses())


@bp.get("/<slug>")
def course(slug: str):
    found = catalog.course_with_syllabus(slug)
    if found is None:
        abort(404)
    return render_template("catalog/course.html", **course_page_context(found))


@bp.get("/covers/<name>")
def cover(name: str):
    """A published course's cover; a draft's only to the staff."""
    staff = current_user.is_authenticated and current_user.is_staff
    if not photos.is_photo_name(name) or not catalog.cover_visible(name, include_drafts=staff):
        abort(404)
    response = send_from_directory(course_files.covers_dir(), name, mimetype="image/webp")
    response.cache_control.max_age = 86400  # a new cover gets a new name
    return response
