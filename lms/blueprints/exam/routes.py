"""The certification exam pages: code and pledge, the timed attempt with autosave, the result."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_login import current_user, login_required

from lms.blueprints.auth.forms import EmptyForm
from lms.blueprints.exam.forms import PledgeForm
from lms.extensions import client_ip
from lms.models import AttemptState, utcnow
from lms.services import catalog, certificates, exams, learning

bp = Blueprint("exam", __name__, url_prefix="/learn/<slug>/exam")

REFUSALS = {
    "no_pledge": lambda until: _("Accept the pledge before starting."),
    "not_ready": lambda until: _("The exam is not open yet: its questions are being written."),
    "already_passed": lambda until: _("You have already passed this exam."),
    "no_attempts_left": lambda until: _(
        "You have used every attempt. Ask the instructor if you need another."
    ),
    "cooldown": lambda until: _(
        "Your next attempt opens on %(date)s.", date=format_datetime(until, "medium")
    ),
}


def _context(slug: str):
    course = catalog.find_course(slug)
    if course is None:
        abort(404)
    exam = exams.exam_for(course.id)
    if exam is None:
        abort(404)
    outline = learning.outline_for(course, current_user)
    if not outline.enrolled:
        abort(make_response(render_template("exam/not_enrolled.html", course=course), 403))
    return course, exam, outline


@bp.get("/")
@login_required
def overview(slug: str):
    course, exam, outline = _context(slug)
    reason, until = exams.next_start(exam, current_user.id, utcnow())
    return render_template(
        "exam/overview.html",
        course=course,
        exam=exam,
        outline=outline,
        lessons_left=sum(not s.done for s in outline.lessons),
        quizzes_left=sum(not q.passed for q in outline.quizzes),
        pledged=exams.has_pledged(current_user.id, exam.id),
        attempts=exams.attempts_of(current_user.id, exam.id),
        allowed=exams.allowed_attempts(exam, current_user.id),
        blocked=REFUSALS[reason](until) if reason else None,
        pledge_form=PledgeForm(),
        start_form=EmptyForm(),
    )


@bp.post("/pledge")
@login_required
def pledge(slug: str):
    _course, exam, outline = _context(slug)
    form = PledgeForm()
    if not outline.complete:
        abort(403)
    if form.validate_on_submit():
        exams.accept_pledge(current_user.id, exam, client_ip())
        flash(_("Pledge recorded. You can start the exam when you are ready."), "success")
    else:
        flash(_("Tick the box to accept the pledge."), "error")
    return redirect(url_for("exam.overview", slug=slug))


@bp.post("/start")
@login_required
def start(slug: str):
    _course, exam, outline = _context(slug)
    if not outline.complete or not EmptyForm().validate_on_submit():
        abort(403)
    try:
        attempt = exams.start_attempt(current_user, exam)
    except exams.ExamRefused as refused:
        flash(REFUSALS[refused.reason](refused.until), "error")
        return redirect(url_for("exam.overview", slug=slug))
    return redirect(url_for("exam.attempt", slug=slug, public_id=attempt.public_id), code=303)


def _own_attempt(public_id: str):
    attempt = exams.attempt_for(public_id, current_user.id)
    if attempt is None:
        abort(404)
    return attempt


@bp.get("/<public_id>")
@login_required
def attempt(slug: str, public_id: str):
    course, exam, _outline = _context(slug)
    found = _own_attempt(public_id)
    if found.state != AttemptState.IN_PROGRESS or exams.close_if_expired(
        public_id, current_user.id
    ):
        return redirect(url_for("exam.result", slug=slug, public_id=public_id))
    return render_template(
        "exam/attempt.html",
        course=course,
        exam=exam,
        attempt=found,
        questions=exams.shown_questions(found),
        seconds_left=max(0, int((found.deadline - utcnow()).total_seconds())),
        form=EmptyForm(),
    )


@bp.post("/<public_id>/answer")
@login_required
def answer(slug: str, public_id: str):
    """The autosave endpoint: hit for every click of every candidate, so it only does what the
    save needs (the service checks the attempt is this user's and still open)."""
    data = request.get_json(silent=True) or {}
    selected = data.get("selected")
    sequence = data.get("sequence")
    if (
        not isinstance(selected, list)
        or not isinstance(sequence, int)
        or not 0 < sequence < 2**31 - 1
    ):
        return jsonify(error="bad_request"), 400
    try:
        saved = exams.save_answer(
            public_id,
            current_user.id,
            str(data.get("question", "")),
            [str(s) for s in selected],
            sequence,
        )
    except exams.ExamRefused as refused:
        status = {"not_found": 404, "not_enrolled": 403}.get(refused.reason, 409)
        return jsonify(error=refused.reason), status
    return jsonify(saved=saved)


@bp.post("/<public_id>/submit")
@login_required
def submit(slug: str, public_id: str):
    _context(slug)
    if not EmptyForm().validate_on_submit():
        abort(400)
    found = _own_attempt(public_id)
    sequence = request.form.get("sequence", type=int) or 1
    if found.state == AttemptState.IN_PROGRESS:
        for item in found.layout:  # the answers in the form, for browsers without JavaScript
            chosen = request.form.getlist(item["token"])
            if chosen:
                try:
                    exams.save_answer(
                        public_id,
                        current_user.id,
                        item["token"],
                        chosen,
                        min(max(sequence, 1), 2**31 - 2),
                    )
                except exams.ExamRefused:
                    break
    exams.submit(public_id, current_user.id)
    return redirect(url_for("exam.result", slug=slug, public_id=public_id), code=303)


@bp.get("/<public_id>/result")
@login_required
def result(slug: str, public_id: str):
    course, exam, _outline = _context(slug)
    found = _own_attempt(public_id)
    if found.state == AttemptState.IN_PROGRESS and not exams.close_if_expired(
        public_id, current_user.id
    ):
        return redirect(url_for("exam.attempt", slug=slug, public_id=public_id))
    found = _own_attempt(public_id)
    reason, until = exams.next_start(exam, current_user.id, utcnow())
    return render_template(
        "exam/result.html",
        course=course,
        exam=exam,
        attempt=found,
        next_attempt=REFUSALS[reason](until) if reason else None,
        can_retry=reason is None,
        certificate=certificates.certificate_for(current_user.id, course.id)
        if found.passed
        else None,
    )
