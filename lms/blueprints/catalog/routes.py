"""The public course catalog."""

from __future__ import annotations

from flask import Blueprint, abort, render_template

from lms.services import catalog

bp = Blueprint("catalog", __name__, url_prefix="/courses")


@bp.get("/")
def index():
    return render_template("catalog/index.html", courses=catalog.published_courses())


@bp.get("/<slug>")
def course(slug: str):
    found = catalog.course_with_syllabus(slug)
    if found is None:
        abort(404)
    return render_template(
        "catalog/course.html", course=found, totals=catalog.syllabus_totals(found)
    )
