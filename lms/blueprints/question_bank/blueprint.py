"""The studio's authoring of quizzes and of the exam bank: one staff-only blueprint under /studio.

Its views live in `quiz_routes` and `bank_routes`; `routes` puts them together for the app.
"""

from __future__ import annotations

from flask import render_template, request
from werkzeug.exceptions import NotFound as PageNotFound

from lms.blueprints.studio.access import studio_blueprint
from lms.services import question_edits
from lms.services.question_edits import NotFound

bp = studio_blueprint("question_bank", __name__)


@bp.errorhandler(NotFound)
def not_found(_error):
    """A quiz, question or topic that is not there, or belongs to another course."""
    return render_template("errors/404.html", error=PageNotFound()), 404


def get_data(data: dict) -> dict | None:
    """A saved row's values for the form, on GET only (a POST shows what was typed)."""
    return data if request.method == "GET" else None


def conflict_with(form, current) -> dict:
    """The version someone else saved, shown beside what was typed; saving again replaces it."""
    form.version.data = str(current.version)
    return {"current": current, "by": question_edits.last_change(current)}
