"""Buying and joining courses, the Stripe webhook, the test-mode checkout and receipts."""

from __future__ import annotations

import logging

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from lms.blueprints.catalog.routes import course_page_context
from lms.blueprints.payments import forms
from lms.extensions import csrf, limiter
from lms.i18n import select_locale
from lms.services import catalog, coupons, enrollment, orders, payments, test_checkout
from lms.services.links import external_url

bp = Blueprint("payments", __name__)
log = logging.getLogger(__name__)


def _published_course(slug: str):
    course = catalog.find_course(slug)
    if course is None:
        abort(404)
    return course


@bp.post("/courses/<slug>/buy")
@login_required
def buy(slug: str):
    course = _published_course(slug)
    form = forms.BuyForm()
    if form.validate_on_submit():
        try:
            start = orders.start_checkout(
                current_user,
                course,
                form.coupon.data,
                success_url=external_url("payments.checkout_success")
                + "?session_id={CHECKOUT_SESSION_ID}",
                cancel_url=external_url("payments.checkout_canceled", course=course.slug),
                locale=select_locale(),
            )
        except orders.AlreadyEnrolled:
            flash(_("You are already enrolled in this course."), "info")
            return redirect(url_for("catalog.course", slug=slug))
        except coupons.CouponRejected as error:
            form.coupon.errors.append(str(forms.COUPON_MESSAGES[error.reason]))
        except payments.PaymentProviderError:
            log.exception("could not open a checkout for %s", slug)
            flash(
                _(
                    "The payment service is not answering. "
                    "Nothing was charged: try again in a minute."
                ),
                "error",
            )
        else:
            if start.redirect_url is None:
                flash(_("You are enrolled. Welcome to the course!"), "success")
                return redirect(url_for("catalog.course", slug=slug))
            return redirect(start.redirect_url, code=303)
    with_syllabus = catalog.course_with_syllabus(slug)  # published lessons only, like the GET
    return render_template("catalog/course.html", **course_page_context(with_syllabus, form)), 422


@bp.post("/courses/<slug>/enroll")
@login_required
def enroll_free(slug: str):
    course = _published_course(slug)
    if forms.BuyForm().validate_on_submit():
        try:
            enrollment.enroll_free(current_user, course)
        except enrollment.NotFree:
            abort(400)
        flash(_("You are enrolled. Welcome to the course!"), "success")
    return redirect(url_for("catalog.course", slug=slug))


@bp.get("/checkout/success")
@login_required
def checkout_success():
    try:
        order = orders.fulfill_checkout(request.args.get("session_id", ""), current_user.id)
    except payments.PaymentProviderError:
        log.warning("could not confirm a checkout with Stripe", exc_info=True)
        return render_template("payments/confirming.html"), 503
    if order is None:
        return render_template("payments/not_found.html"), 404
    return render_template("payments/success.html", order=order)


@bp.get("/checkout/canceled")
def checkout_canceled():
    flash(_("Payment canceled: nothing was charged."), "info")
    slug = request.args.get("course", "")
    return redirect(url_for("catalog.course", slug=slug) if slug else url_for("catalog.index"))


@bp.route("/checkout/test/<session_id>", methods=["GET", "POST"])
@login_required
def test_checkout_page(session_id: str):
    if not payments.is_test_mode():
        abort(404)
    try:
        session, order = test_checkout.payable_session(session_id, current_user.id)
    except test_checkout.SessionNotPayable:
        abort(404)
    form = forms.TestCardForm()
    if form.validate_on_submit():
        try:
            return redirect(
                test_checkout.pay(session_id, current_user.id, form.card_number.data), code=303
            )
        except test_checkout.CardDeclined as error:
            form.card_number.errors.append(str(forms.CARD_MESSAGES[error.code]))
    return render_template("payments/test_checkout.html", form=form, session=session, order=order)


@bp.post("/stripe/webhook")
@csrf.exempt
@limiter.exempt
def stripe_webhook():
    try:
        event = payments.parse_webhook(request.get_data(), request.headers.get("Stripe-Signature"))
    except payments.InvalidWebhook as error:
        log.warning("rejected webhook: %s", error)
        return jsonify(error="invalid signature"), 400
    return jsonify(received=True, outcome=orders.apply_event(event))


@bp.get("/account/purchases")
@login_required
def purchases():
    return render_template("payments/purchases.html", orders=orders.orders_of(current_user.id))


@bp.get("/account/purchases/<number>")
@login_required
def receipt(number: str):
    order = orders.order_for_receipt(number, current_user.id)
    if order is None:
        abort(404)
    return render_template("payments/receipt.html", order=order)
