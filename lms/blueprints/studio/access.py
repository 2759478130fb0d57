"""What every part of the studio shares: staff only, and the course list of its navigation."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, request, url_for
from flask_login import current_user

from lms.services import catalog, exam_admin


def staff_only():
    """Visitors go to the login page; students get 403 (nothing here is theirs)."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=request.full_path))
    if not current_user.is_staff:
        abort(403)
    return None


def studio_context() -> dict:
    return {
        "in_studio": True,
        "studio_courses": catalog.all_courses(),
        "studio_exam_courses": exam_admin.course_ids_with_exam(),
    }


def studio_blueprint(name: str, import_name: str) -> Blueprint:
    """A blueprint under /studio that only staff can open."""
    bp = Blueprint(name, import_name, url_prefix="/studio")
    bp.before_request(staff_only)
    bp.context_processor(studio_context)
    return bp
