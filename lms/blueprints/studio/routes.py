"""The instructor's studio: orders and refunds, removing access, exams and certificates."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from lms.blueprints.studio import forms
from lms.blueprints.studio.access import studio_blueprint
from lms.extensions import client_ip
from lms.models import OrderStatus, utcnow
from lms.services import (
    accounts,
    catalog,
    certificates,
    enrollment,
    exam_admin,
    exams,
    orders,
    payments,
)
from lms.services.errors import DomainError

bp = studio_blueprint("studio", __name__)


@bp.get("/")
def home():
    """The first course's dashboard; the orders when there is no course yet."""
    courses = catalog.all_courses()
    if courses:
        return redirect(url_for("dashboard.course_dashboard", slug=courses[0].slug))
    return redirect(url_for("studio.order_list"))


@bp.get("/orders")
def order_list():
    status = request.args.get("status") or None
    if status not in (None, *[s.value for s in OrderStatus]):
        status = None
    return render_template(
        "studio/orders.html",
        orders=orders.all_orders(status),
        status=status,
        statuses=[s.value for s in OrderStatus],
        refund_form=forms.RefundForm(formdata=None),
    )


@bp.post("/orders/<id:order_id>/refund")
def refund(order_id: int):
    form = forms.RefundForm()
    if not form.validate_on_submit():
        flash(_("Write the reason for the refund."), "error")
        return redirect(url_for("studio.order_list"))
    try:
        order = orders.refund_order(current_user, order_id, form.reason.data, client_ip())
    except orders.OrderNotFound:
        abort(404)
    except payments.PaymentProviderError:
        flash(
            _("Stripe did not accept the refund: nothing changed. Try again in a minute."), "error"
        )
    except DomainError:
        flash(_("This order cannot be refunded."), "error")
    else:
        flash(
            _("Order %(number)s refunded; the student no longer has access.", number=order.number),
            "success",
        )
    return redirect(url_for("studio.order_list"))


@bp.post("/enrollments/<id:enrollment_id>/revoke")
def revoke(enrollment_id: int):
    form = forms.RevokeForm()
    slug = request.form.get("course", "")
    if not form.validate_on_submit():
        flash(_("Write the reason for removing the student."), "error")
    else:
        try:
            removed = enrollment.revoke(current_user, enrollment_id, form.reason.data, client_ip())
        except DomainError:
            abort(404)
        flash(_("Access removed."), "success")
        if slug:
            return redirect(url_for("roster.student", slug=slug, user_id=removed.user_id))
    return redirect(url_for("roster.students", slug=slug) if slug else url_for("studio.order_list"))


def _exam_or_404(slug: str):
    course = catalog.find_course(slug, include_drafts=True)
    exam = exam_admin.exam_with_bank(course.id) if course else None
    if exam is None:
        abort(404)
    return course, exam


@bp.route("/courses/<slug>/exam", methods=["GET", "POST"])
def exam_settings(slug: str):
    course, exam = _exam_or_404(slug)
    form = forms.exam_settings_form(exam)
    if form.validate_on_submit():
        values = {name: form[name].data for name in exam_admin.SETTINGS}
        draws = {category.id: form[f"draw_{category.id}"].data for category in exam.categories}
        exam_admin.update_settings(current_user, exam.id, values, draws, client_ip())
        flash(_("Exam settings saved."), "success")
        return redirect(url_for("studio.exam_settings", slug=slug))
    return render_template(
        "studio/exam.html",
        course=course,
        exam=exam,
        form=form,
        grant_form=forms.GrantAttemptForm(formdata=None),
        attempts=exam_admin.all_attempts(exam.id),
    )


@bp.post("/courses/<slug>/exam/grant")
def exam_grant(slug: str):
    course, exam = _exam_or_404(slug)
    form = forms.GrantAttemptForm()
    student = (
        accounts.find_user_by_email(form.email.data or "") if form.validate_on_submit() else None
    )
    if student is None:
        flash(_("Write the email of a student and the reason."), "error")
    else:
        exam_admin.grant_extra_attempt(
            current_user, exam, student.id, form.reason.data, client_ip()
        )
        flash(_("%(name)s has one more attempt.", name=student.name), "success")
    return redirect(url_for("studio.exam_settings", slug=course.slug))


@bp.get("/exam-attempts/<id:attempt_id>")
def exam_attempt(attempt_id: int):
    found = exam_admin.review(attempt_id)
    if found is None:
        abort(404)
    attempt, student, answers = found
    return render_template(
        "studio/exam_attempt.html", attempt=attempt, student=student, answers=answers
    )


@bp.get("/courses/<slug>/exam/bank")
def exam_bank(slug: str):
    course, exam = _exam_or_404(slug)
    return render_template(
        "studio/exam_bank.html", course=course, exam=exam, form=forms.EmptyForm()
    )


@bp.post("/courses/<slug>/exam/bank/<id:question_id>")
def exam_question_active(slug: str, question_id: int):
    course, exam = _exam_or_404(slug)
    if forms.EmptyForm().validate_on_submit():
        try:
            exam_admin.set_question_active(
                current_user, exam.id, question_id, request.form.get("active") == "1", client_ip()
            )
        except exams.ExamRefused as refused:
            if refused.reason == "not_found":
                abort(404)
            flash(
                _("A topic needs at least as many questions as it draws: lower its quota first."),
                "error",
            )
    return redirect(url_for("studio.exam_bank", slug=course.slug))


CERTIFICATE_DONE = {
    "revoke": lambda: _("Certificate revoked: the verification page says so from now on."),
    "suspend": lambda: _("Certificate suspended."),
    "reinstate": lambda: _("Certificate reinstated."),
    "unsuspend": lambda: _("Suspension lifted."),
}


@bp.route("/courses/<slug>/certificates", methods=["GET", "POST"])
def certificate_list(slug: str):
    course = catalog.find_course(slug, include_drafts=True)
    if course is None:
        abort(404)
    form = forms.IssueCertificateForm()
    if form.validate_on_submit():
        student = accounts.find_user_by_email(form.email.data)
        if student is None:
            form.email.errors.append(_("No account has this email address."))
        else:
            try:
                issued = certificates.issue_by_instructor(
                    current_user.id, student, course, form.reason.data
                )
            except certificates.CertificateRefused:
                form.email.errors.append(
                    _("This student's certificate is revoked: reinstate it in the list below.")
                )
            else:
                flash(_("Certificate %(code)s issued.", code=issued.display_code), "success")
                return redirect(url_for("studio.certificate_list", slug=slug))
    query = request.args.get("q", "").strip()[:100]
    return render_template(
        "studio/certificates.html",
        course=course,
        form=form,
        query=query,
        now=utcnow(),
        items=certificates.course_certificates(course.id, query),
        status_form=forms.CertificateStatusForm(formdata=None),
        allowed_actions=certificates.allowed_actions,
    )


@bp.post("/certificates/<id:certificate_id>/<any(revoke, suspend, reinstate, unsuspend):action>")
def certificate_status(certificate_id: int, action: str):
    form = forms.CertificateStatusForm()
    slug = request.form.get("course", "")
    if not form.validate_on_submit():
        flash(_("Write the reason: it is audited (a revocation's reason is also public)."), "error")
    else:
        try:
            certificates.change_status(
                current_user.id, certificate_id, action, form.reason.data, client_ip()
            )
        except certificates.CertificateRefused:
            abort(404)
        flash(CERTIFICATE_DONE[action](), "success")
    if catalog.find_course(slug, include_drafts=True) is None:
        return redirect(url_for("studio.home"))
    return redirect(url_for("studio.certificate_list", slug=slug))
