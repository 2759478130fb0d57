"""The roster: every student of a course, one student's page with notes, the CSV export."""

from __future__ import annotations

from flask import (
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.utils import secure_filename

from lms.blueprints.directory.display import ROLE_LABELS, SPECIALIZATION_LABELS
from lms.blueprints.roster import display
from lms.blueprints.roster.forms import NoteForm, roster_args
from lms.blueprints.studio.access import studio_blueprint
from lms.blueprints.studio.forms import EmptyForm, ManualEnrollmentForm, RevokeForm
from lms.extensions import client_ip
from lms.models import Course, utcnow
from lms.services import (
    accounts,
    catalog,
    enrollment,
    instructor_notes,
    photos,
    roster,
    roster_export,
)
from lms.services.student_timeline import student_record

bp = studio_blueprint("roster", __name__)


@bp.context_processor
def labels() -> dict:
    return {"role_labels": ROLE_LABELS, "specialization_labels": SPECIALIZATION_LABELS}


def _course_or_404(slug: str) -> Course:
    course = catalog.find_course(slug, include_drafts=True)
    if course is None:
        abort(404)
    return course


@bp.route("/courses/<slug>/students", methods=["GET", "POST"])
def students(slug: str):
    course = _course_or_404(slug)
    form = ManualEnrollmentForm()
    if form.validate_on_submit():
        student = accounts.find_user_by_email(form.email.data)
        if student is None:
            form.email.errors.append(
                _("No account has this email address. Ask the student to sign up first.")
            )
        else:
            enrollment.enroll_manually(current_user, student, course, form.reason.data, client_ip())
            flash(_("%(name)s is enrolled.", name=student.name), "success")
            return redirect(url_for("roster.students", slug=slug))
    args = roster_args(request.args)
    return render_template(
        "roster/students.html",
        course=course,
        form=form,
        args=args,
        roster=roster.roster_page(course, args.q, args.show, args.page),
        show_labels=display.show_labels(),
        stalled_days=roster.STALLED_DAYS,
        now=utcnow(),
    )


@bp.get("/courses/<slug>/students.csv")
def students_csv(slug: str):
    course = _course_or_404(slug)
    args = roster_args(request.args)
    rows = roster.roster_rows(course, args.q, args.show)
    name = secure_filename(f"{course.slug}-{args.show.value}-{utcnow():%Y-%m-%d}.csv")
    return Response(
        roster_export.roster_csv(rows, display.csv_header()).encode("utf-8"),
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename={name}"},
    )


def _student_page(course: Course, user_id: int, note_form: NoteForm, status: int = 200):
    record = student_record(course, user_id)
    if record is None:
        abort(404)
    page = render_template(
        "roster/student.html",
        course=course,
        record=record,
        notes=instructor_notes.notes_about(course.id, user_id),
        note_form=note_form,
        revoke_form=RevokeForm(formdata=None),
        button_form=EmptyForm(formdata=None),
        may_edit=instructor_notes.may_edit,
        may_delete=instructor_notes.may_delete,
    )
    return page, status


@bp.get("/courses/<slug>/students/<id:user_id>")
def student(slug: str, user_id: int):
    return _student_page(_course_or_404(slug), user_id, NoteForm(formdata=None))


@bp.get("/courses/<slug>/students/<id:user_id>/photo")
def student_photo(slug: str, user_id: int):
    """Staff see an enrolled student's directory photo whether or not the profile is listed."""
    name = roster.photo_of(_course_or_404(slug).id, user_id)
    if not name or not photos.is_photo_name(name):
        abort(404)
    return send_from_directory(photos.photo_dir(), name, mimetype="image/webp", max_age=0)


@bp.post("/courses/<slug>/students/<id:user_id>/notes")
def note_add(slug: str, user_id: int):
    course = _course_or_404(slug)
    form = NoteForm()
    if not form.validate_on_submit():
        return _student_page(course, user_id, form, 400)
    try:
        instructor_notes.add_note(current_user, course.id, user_id, form.body.data, client_ip())
    except instructor_notes.NoteRefused:
        abort(404)
    flash(_("Note saved."), "success")
    return redirect(url_for("roster.student", slug=slug, user_id=user_id, _anchor="notes"))


def _note_or_abort(course: Course, user_id: int, note_id: int, allowed):
    note = instructor_notes.find_note(course.id, user_id, note_id)
    if note is None:
        abort(404)
    if not allowed(current_user, note):
        abort(403)
    return note


@bp.route("/courses/<slug>/students/<id:user_id>/notes/<id:note_id>/edit", methods=["GET", "POST"])
def note_edit(slug: str, user_id: int, note_id: int):
    course = _course_or_404(slug)
    note = _note_or_abort(course, user_id, note_id, instructor_notes.may_edit)
    form = NoteForm(obj=note)
    if form.validate_on_submit():
        instructor_notes.edit_note(
            current_user, course.id, user_id, note.id, form.body.data, client_ip()
        )
        flash(_("Note saved."), "success")
        return redirect(url_for("roster.student", slug=slug, user_id=user_id, _anchor="notes"))
    return render_template(
        "roster/note_edit.html",
        course=course,
        note=note,
        form=form,
        student_id=user_id,
        student_name=instructor_notes.student_name(user_id),
    ), 400 if form.errors else 200


@bp.post("/courses/<slug>/students/<id:user_id>/notes/<id:note_id>/delete")
def note_delete(slug: str, user_id: int, note_id: int):
    course = _course_or_404(slug)
    note = _note_or_abort(course, user_id, note_id, instructor_notes.may_delete)
    if EmptyForm().validate_on_submit():
        instructor_notes.delete_note(current_user, course.id, user_id, note.id, client_ip())
        flash(_("Note deleted."), "success")
    return redirect(url_for("roster.student", slug=slug, user_id=user_id, _anchor="notes"))
