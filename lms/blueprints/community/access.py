"""The door of a course's community, shared by every community blueprint.

`community_blueprint` makes a blueprint under /community/<slug> whose views all start with the
course and the viewer loaded: a visitor is sent to log in, anyone else without access gets a 403
page that says why, and an unknown course is a 404.
"""

from __future__ import annotations

from flask import Blueprint, abort, g, render_template
from flask_login import current_user, login_required

from lms.services import catalog, community_access


def community_blueprint(name: str, import_name: str) -> Blueprint:
    bp = Blueprint(name, import_name, url_prefix="/community/<slug>")
    bp.url_value_preprocessor(_pop_slug)
    bp.url_defaults(_add_slug)
    bp.before_request(login_required(_enter))
    bp.context_processor(lambda: {"course": g.get("course"), "viewer": g.get("viewer")})
    return bp


def _pop_slug(_endpoint, values) -> None:
    g.community_slug = values.pop("slug", None) if values else None


def _add_slug(endpoint, values) -> None:
    if "slug" not in values and getattr(g, "community_slug", None):
        values["slug"] = g.community_slug


def _enter():
    course = catalog.find_course(g.community_slug, include_drafts=current_user.is_staff)
    if course is None:
        abort(404)
    try:
        g.viewer = community_access.enter(current_user, course)
    except community_access.NotAMember:
        return render_template("community/no_access.html", course=course), 403
    g.course = course
    return None
