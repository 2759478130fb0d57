"""The course player: course home, lessons, attachments."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_from_directory,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from lms.blueprints.auth.forms import EmptyForm
from lms.extensions import talisman
from lms.security import CONTENT_SECURITY_POLICY
from lms.services import catalog, course_files, exams, learning, quizzes, video

bp = Blueprint("learn", __name__, url_prefix="/learn")

LESSON_POLICY = {**CONTENT_SECURITY_POLICY, "frame-src": list(video.EMBED_ORIGINS)}
# The course id a staff member is viewing as a new student would (set from the studio).
VIEW_AS_STUDENT = "view_as_student"


def _outline(course):
    previewing = session.get(VIEW_AS_STUDENT) == course.id
    if previewing and current_user.is_authenticated and current_user.is_staff:
        return learning.outline_for(course, None, as_new_student=True)
    return learning.outline_for(course, current_user)


def _course_or_404(slug: str):
    course = catalog.find_course(
        slug, include_drafts=current_user.is_authenticated and current_user.is_staff
    )
    if course is None:
        abort(404)
    return course


@bp.get("/<slug>/")
def course_home(slug: str):
    course = _course_or_404(slug)
    outline = _outline(course)
    if not (outline.enrolled or outline.staff):
        return redirect(url_for("catalog.course", slug=slug))
    return render_template(
        "learn/course_home.html", outline=outline, course=course, exam=exams.exam_for(course.id)
    )


def _lesson_or_404(course, lesson_slug: str):
    lesson = learning.find_lesson(course.id, lesson_slug)
    if lesson is None:
        abort(404)
    return lesson.module, lesson


@bp.get("/<slug>/<lesson_slug>")
@talisman(content_security_policy=LESSON_POLICY)
def lesson(slug: str, lesson_slug: str):
    course = _course_or_404(slug)
    module, found = _lesson_or_404(course, lesson_slug)
    outline = _outline(course)
    state = outline.state_of(found.id)
    if state.locked:
        if outline.enrolled:
            return render_template(
                "learn/locked.html", outline=outline, course=course, state=state
            ), 403
        abort(403)
    if outline.enrolled and not outline.previewing:
        learning.record_view(current_user.id, found, outline)
    previous, following = outline.neighbours(found.id)
    body = found.body_md
    return render_template(
        "learn/lesson.html",
        course=course,
        module=module,
        lesson=found,
        outline=outline,
        state=state,
        previous=previous,
        following=following,
        video_url=video.embed_url(found.video_url),
        video_link=video.external_link(found.video_url),
        body=body,
        minutes=found.minutes or video.reading_minutes(body),
        attachments=learning.attachments_of(found.id)
        if (outline.enrolled or outline.staff)
        else [],
        done_form=EmptyForm(),
    )


@bp.post("/<slug>/<lesson_slug>/done")
@login_required
def mark_done(slug: str, lesson_slug: str):
    course = _course_or_404(slug)
    _module, found = _lesson_or_404(course, lesson_slug)
    outline = learning.outline_for(course, current_user)
    if not outline.enrolled or not learning.can_open(outline, found.id):
        abort(403)
    if EmptyForm().validate_on_submit():
        learning.mark_done(current_user.id, found)
        flash(_("Lesson done."), "success")
    _previous, following = outline.neighbours(found.id)
    target = following or found
    return redirect(url_for("learn.lesson", slug=slug, lesson_slug=target.slug))


@bp.get("/<slug>/<lesson_slug>/files/<id:attachment_id>")
@login_required
def attachment(slug: str, lesson_slug: str, attachment_id: int):
    course = _course_or_404(slug)
    _module, found = _lesson_or_404(course, lesson_slug)
    outline = learning.outline_for(course, current_user)
    if not (outline.staff or (outline.enrolled and learning.can_open(outline, found.id))):
        abort(403)
    file = learning.attachment(found.id, attachment_id)
    if file is None:
        abort(404)
    return send_from_directory(
        course_files.attachments_dir(),
        file.stored_name,
        as_attachment=True,
        download_name=file.filename,
        mimetype=file.content_type,
    )


def _quiz_access(slug: str, quiz_id: int):
    course = _course_or_404(slug)
    quiz = quizzes.load(course.id, quiz_id)
    if quiz is None:
        abort(404)
    outline = _outline(course)
    state = next((q for q in outline.quizzes if q.quiz.id == quiz.id), None)
    if state is None or state.locked or not (outline.enrolled or outline.staff):
        abort(403)
    return course, quiz, outline


@bp.route("/<slug>/quiz/<id:quiz_id>", methods=["GET", "POST"])
@login_required
def quiz(slug: str, quiz_id: int):
    course, found, outline = _quiz_access(slug, quiz_id)
    attempts = quizzes.attempts_of(current_user.id, found.id)
    left = quizzes.attempts_left(found, len(attempts))
    number = len(attempts) + 1
    if request.method == "POST":
        if not EmptyForm().validate_on_submit():
            abort(400)
        if outline.previewing:
            flash(_("In the student view nothing is recorded: answers are not graded."), "info")
            return redirect(url_for("learn.quiz", slug=slug, quiz_id=quiz_id))
        answers = {
            question.id: request.form.getlist(f"q{question.id}") for question in found.questions
        }
        try:
            submitted = request.form.get("attempt", type=int) or 0
            submitted = submitted if 0 < submitted < 10_000 else 0
            attempt = quizzes.submit(current_user.id, found, submitted, answers)
        except quizzes.NoAttemptsLeft:
            flash(_("No attempts left for this quiz."), "error")
            return redirect(url_for("learn.quiz", slug=slug, quiz_id=quiz_id))
        return redirect(
            url_for("learn.quiz_result", slug=slug, quiz_id=quiz_id, number=attempt.number),
            code=303,
        )
    return render_template(
        "learn/quiz.html",
        course=course,
        quiz=found,
        outline=outline,
        attempts=attempts,
        left=left,
        number=number,
        questions=quizzes.questions_for(found, current_user.id, number) if left != 0 else [],
        form=EmptyForm(),
    )


@bp.get("/<slug>/quiz/<id:quiz_id>/attempts/<id:number>")
@login_required
def quiz_result(slug: str, quiz_id: int, number: int):
    course, found, outline = _quiz_access(slug, quiz_id)
    attempts = quizzes.attempts_of(current_user.id, found.id)
    attempt = next((a for a in attempts if a.number == number), None)
    if attempt is None:
        abort(404)
    return render_template(
        "learn/quiz_result.html",
        course=course,
        quiz=found,
        outline=outline,
        attempt=attempt,
        left=quizzes.attempts_left(found, len(attempts)),
        reveal=quizzes.may_reveal_answers(found, attempt, len(attempts)),
        choice_texts=quizzes.choice_texts(found),
        correct_answers=quizzes.correct_answers,
    )
