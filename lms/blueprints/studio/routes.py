"""The instructor's studio: orders and refunds, and who is enrolled in each course."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from lms.blueprints.studio import forms
from lms.extensions import client_ip
from lms.models import OrderStatus
from lms.services import accounts, catalog, enrollment, orders, payments
from lms.services.errors import DomainError

bp = Blueprint("studio", __name__, url_prefix="/studio")


@bp.before_request
def staff_only():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=request.full_path))
    if not current_user.is_staff:
        abort(403)
    return None


@bp.get("/")
def home():
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


@bp.route("/courses/<slug>/students", methods=["GET", "POST"])
def students(slug: str):
    course = catalog.course_with_syllabus(slug, include_drafts=True)
    if course is None:
        abort(404)
    form = forms.ManualEnrollmentForm()
    if form.validate_on_submit():
        student = accounts.find_user_by_email(form.email.data)
        if student is None:
            form.email.errors.append(
                _("No account has this email address. Ask the student to sign up first.")
            )
        else:
            enrollment.enroll_manually(current_user, student, course, form.reason.data, client_ip())
            flash(_("%(name)s is enrolled.", name=student.name), "success")
            return redirect(url_for("studio.students", slug=slug))
    return render_template(
        "studio/students.html",
        course=course,
        form=form,
        roster=enrollment.roster(course.id),
        revoke_form=forms.RevokeForm(formdata=None),
    )


@bp.post("/enrollments/<id:enrollment_id>/revoke")
def revoke(enrollment_id: int):
    form = forms.RevokeForm()
    slug = request.form.get("course", "")
    if not form.validate_on_submit():
        flash(_("Write the reason for removing the student."), "error")
    else:
        try:
            enrollment.revoke(current_user, enrollment_id, form.reason.data, client_ip())
        except DomainError:
            abort(404)
        flash(_("Access removed."), "success")
    return redirect(url_for("studio.students", slug=slug) if slug else url_for("studio.order_list"))


@bp.context_processor
def studio_courses():
    return {"studio_courses": catalog.all_courses()}
