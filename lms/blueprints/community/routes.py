"""The community's pages: threads and posts (thin views over services.community_*)."""

from __future__ import annotations

from flask import abort, g, redirect, render_template, request, url_for

from lms.blueprints.community.access import community_blueprint
from lms.services import community_reading

bp = community_blueprint("community", __name__)


def _thread_or_404(thread_id: int):
    thread = community_reading.thread_in_course(g.course.id, thread_id)
    if thread is None:
        abort(404)
    return thread


@bp.get("/t/<id:thread_id>")
def thread(thread_id: int):
    current = _thread_or_404(thread_id)
    page = request.args.get("page", 1, type=int) or 1
    posts, pages = community_reading.posts_page(g.viewer, current, max(page, 1))
    return render_template(
        "community/thread.html", thread=current, posts=posts, page=min(page, pages), pages=pages
    )


@bp.get("/p/<id:post_id>")
def post(post_id: int):
    """A stable link to one post (used by notifications and emails): its page and anchor."""
    found = community_reading.post_in_course(g.course.id, post_id)
    if found is None:
        abort(404)
    page = community_reading.page_of_post(g.viewer, found)
    return redirect(
        url_for("community.thread", thread_id=found.thread_id, page=page, _anchor=f"post-{post_id}")
    )
