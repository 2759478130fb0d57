"""Buying a course: opening a checkout, and turning Stripe's word into access, exactly once.

Access follows the money: `apply_event` and `fulfill_checkout` are idempotent and commutative,
so whatever order Stripe delivers events in, and however often, the result is the same.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from lms.extensions import db, write_transaction
from lms.models import (
    Course,
    EnrollmentSource,
    EnrollmentStatus,
    Order,
    OrderStatus,
    StripeEvent,
    User,
    utcnow,
)
from lms.services import audit, coupons, enrollment, payments
from lms.services.errors import DomainError
from lms.services.links import external_url
from lms.services.mail import queue_email

log = logging.getLogger(__name__)

HANDLED_EVENTS = [
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed",
    "charge.refunded",
    "charge.dispute.created",
    "charge.dispute.closed",
]
PAYABLE = (OrderStatus.PENDING, OrderStatus.PROCESSING, OrderStatus.CANCELED, OrderStatus.FAILED)
SESSION_REUSE = timedelta(hours=23)  # Stripe expires a Checkout Session after 24 hours
NUMBER_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


class AlreadyEnrolled(DomainError):
    pass


class OrderNotFound(DomainError):
    pass


@dataclass(frozen=True)
class CheckoutStart:
    """Where to send the buyer; None when nothing was due and the student is already enrolled."""

    redirect_url: str | None
    order: Order


def _new_number() -> str:
    return "".join(secrets.choice(NUMBER_ALPHABET) for _ in range(10))


def start_checkout(
    user: User,
    course: Course,
    coupon_code: str | None,
    success_url: str,
    cancel_url: str,
    locale: str,
) -> CheckoutStart:
    """Create (or reuse) the student's open order and its Checkout Session.

    The order is committed before Stripe is called, and the session id stored after: no
    transaction is open during the network call.
    """
    if enrollment.is_enrolled(user.id, course.id):
        raise AlreadyEnrolled("already_enrolled")
    price = coupons.price_for(course, coupon_code)
    order, replaced = _open_order(user, course, price)
    if replaced:
        payments.expire_checkout_session(replaced)  # the old price can no longer be paid
    if order.checkout_url:
        return CheckoutStart(order.checkout_url, order)
    if price.amount_cents == 0:
        return CheckoutStart(None, _fulfil_free_order(order))
    session_id, url = payments.create_checkout_session(
        payments.CheckoutRequest(
            order_id=order.id,
            order_number=order.number,
            course_id=course.id,
            course_title=course.title,
            amount_cents=order.amount_cents,
            currency=order.currency,
            customer_email=user.email,
            success_url=success_url,
            cancel_url=cancel_url,
            locale=locale,
        )
    )
    db.session.execute(
        update(Order)
        .where(Order.id == order.id)
        .values(checkout_session_id=session_id, checkout_url=url)
    )
    db.session.commit()
    return CheckoutStart(url, db.session.get(Order, order.id))


def _open_order(user: User, course: Course, price: coupons.Price) -> tuple[Order, str | None]:
    """The pending order of this student and course at this price, created if needed.

    A pending order at another price (a coupon added or removed), or too old to reuse its
    checkout, is set aside as canceled; its checkout session id is returned to be expired.
    The partial unique index on pending orders settles double clicks.
    """
    replaced = None
    with write_transaction():
        pending = db.session.scalar(
            select(Order).where(
                Order.user_id == user.id,
                Order.course_id == course.id,
                Order.status == OrderStatus.PENDING,
            )
        )
        if (
            pending is not None
            and pending.amount_cents == price.amount_cents
            and pending.coupon_id == (price.coupon.id if price.coupon else None)
            and pending.created_at > utcnow() - SESSION_REUSE
        ):
            db.session.commit()
            return pending, None
        if pending is not None:
            pending.status = OrderStatus.CANCELED.value
            replaced = pending.checkout_session_id
            if pending.coupon_id:
                coupons.release(pending.coupon_id)
        if price.coupon is not None and not coupons.reserve(price.coupon.id):
            db.session.rollback()
            raise coupons.CouponRejected("used_up")
        order = Order(
            number=_new_number(),
            user_id=user.id,
            course_id=course.id,
            coupon_id=price.coupon.id if price.coupon else None,
            list_price_cents=price.list_cents,
            discount_cents=price.discount_cents,
            amount_cents=price.amount_cents,
            currency=course.currency,
            course_title=course.title,
            customer_name=user.name,
            customer_email=user.email,
            livemode=not payments.is_test_mode(),
        )
        db.session.add(order)
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            existing = db.session.scalar(
                select(Order).where(
                    Order.user_id == user.id,
                    Order.course_id == course.id,
                    Order.status == OrderStatus.PENDING,
                )
            )
            if existing is None:
                raise
            return existing, None
        return order, replaced


def _fulfil_free_order(order: Order) -> Order:
    """A coupon took the price to zero: no payment to wait for."""
    with write_transaction():
        order = _lock_order(order.id)
        _mark_paid(order, payment_intent_id=None)
        db.session.commit()
    return order


def _mark_paid(order: Order, payment_intent_id: str | None) -> str:
    """Paid: enroll, unless a refund or dispute already came in for this order."""
    if order.status in (OrderStatus.REFUNDED, OrderStatus.DISPUTED):
        order.payment_intent_id = order.payment_intent_id or payment_intent_id
        return "already_" + order.status
    if order.status == OrderStatus.PAID:
        return "already_paid"
    order.status = OrderStatus.PAID.value
    order.paid_at = utcnow()
    order.payment_intent_id = payment_intent_id or order.payment_intent_id
    if order.user_id is not None:
        enrollment.set_status(
            order.user_id,
            order.course_id,
            EnrollmentStatus.ACTIVE,
            EnrollmentSource.PURCHASE,
            order.id,
        )
    audit.record(
        "order.paid", actor_id=order.user_id, target=order, amount_cents=order.amount_cents
    )
    _notify(order, "order_paid", lambda: _("Your purchase: %(course)s", course=order.course_title))
    return "fulfilled"


def _notify(order: Order, kind: str, subject) -> None:
    """The buyer's email about this order, in the same transaction as the change it reports."""
    if order.user is None:
        return
    queue_email(
        order.customer_email,
        kind,
        order.user.locale,
        subject,
        name=order.customer_name,
        order=order,
        receipt_link=external_url("payments.receipt", number=order.number),
        course_link=external_url("learn.course_home", slug=order.course.slug),
    )


def _session_matches(order: Order, session: dict[str, Any]) -> bool:
    metadata = session.get("metadata") or {}
    return (
        session.get("amount_total") == order.amount_cents
        and (session.get("currency") or "").lower() == order.currency.lower()
        and str(metadata.get("course_id")) == str(order.course_id)
        and str(session.get("client_reference_id")) == str(order.id)
    )


def _apply_paid_session(
    order: Order, session: dict[str, Any], *, delayed_success: bool = False
) -> str:
    if not _session_matches(order, session):
        log.error(
            "checkout session %s does not match order %s (amount %s %s, course %s): not fulfilled",
            session.get("id"), order.number, session.get("amount_total"), session.get("currency"),
            (session.get("metadata") or {}).get("course_id"),
        )  # fmt: skip
        order.payment_intent_id = order.payment_intent_id or session.get("payment_intent")
        if order.status in PAYABLE:
            order.status = OrderStatus.NEEDS_REVIEW.value
            order.note = "amount, currency or course did not match the checkout session"
        return "mismatch"
    if session.get("payment_status") == "paid" or delayed_success:
        return _mark_paid(order, session.get("payment_intent"))
    if session.get("status") != "complete":
        return "not_paid"  # still open: the buyer has not paid
    if order.status == OrderStatus.PENDING:
        order.status = OrderStatus.PROCESSING.value
    return "processing"


def _locked(query) -> Order | None:
    """The order, locked for the rest of the transaction (FOR UPDATE on PostgreSQL; on SQLite
    the write transaction already holds the lock) and re-read, so decisions see the latest state."""
    return db.session.scalar(query.with_for_update().execution_options(populate_existing=True))


def _lock_order(order_id: int) -> Order | None:
    return _locked(select(Order).where(Order.id == order_id)) if 0 < order_id < 2**31 else None


def _order_for_session(session: dict[str, Any]) -> Order | None:
    order = _locked(select(Order).where(Order.checkout_session_id == str(session.get("id"))))
    reference = str(session.get("client_reference_id") or "")
    if order is None and reference.isdigit():
        order = _lock_order(int(reference))
    return order


def _order_for_charge(charge: dict[str, Any]) -> Order | None:
    order_id = str((charge.get("metadata") or {}).get("order_id") or "")
    if order_id.isdigit():
        found = _lock_order(int(order_id))
        if found is not None:
            return found
    intent = charge.get("payment_intent")
    return _locked(select(Order).where(Order.payment_intent_id == str(intent))) if intent else None


def _refund(order: Order) -> str:
    if order.status == OrderStatus.REFUNDED:
        return "already_refunded"
    order.status = OrderStatus.REFUNDED.value
    order.refunded_at = utcnow()
    _notify(order, "order_refunded", lambda: _("Refund of order %(number)s", number=order.number))
    if order.user_id is not None:
        current = enrollment.find(order.user_id, order.course_id)
        if (
            current is not None
            and (current.order_id in (None, order.id))
            and current.source == EnrollmentSource.PURCHASE
        ):
            current.status = EnrollmentStatus.REFUNDED.value
        elif current is None:
            enrollment.set_status(
                order.user_id,
                order.course_id,
                EnrollmentStatus.REFUNDED,
                EnrollmentSource.PURCHASE,
                order.id,
            )
    return "refunded"


def _bought_with(order: Order):
    """The enrollment this order paid for, if it is still the one in force."""
    if order.user_id is None:
        return None
    current = enrollment.find(order.user_id, order.course_id)
    if (
        current is not None
        and current.order_id == order.id
        and current.source == EnrollmentSource.PURCHASE
    ):
        return current
    return None


def _dispute(order: Order, dispute: dict[str, Any], opened: bool) -> str:
    bought = _bought_with(order)
    if opened:
        if order.status != OrderStatus.REFUNDED:
            order.status = OrderStatus.DISPUTED.value
            if bought is not None and bought.status == EnrollmentStatus.ACTIVE:
                bought.status = EnrollmentStatus.SUSPENDED.value
        return "suspended"
    if dispute.get("status") == "won" and order.status == OrderStatus.DISPUTED:
        order.status = OrderStatus.PAID.value
        if bought is not None and bought.status == EnrollmentStatus.SUSPENDED:
            bought.status = EnrollmentStatus.ACTIVE.value  # never undoes a staff revocation
        return "reinstated"
    if dispute.get("status") == "lost":
        return _refund(order)
    return "ignored"


def _dispatch(event: dict[str, Any]) -> tuple[str, Order | None]:
    kind = event["type"]
    obj = event.get("data", {}).get("object", {})
    if kind.startswith("checkout.session."):
        order = _order_for_session(obj)
        if order is None:
            return "unknown_order", None
        if kind == "checkout.session.async_payment_failed":
            if order.status in (OrderStatus.PENDING, OrderStatus.PROCESSING):
                order.status = OrderStatus.FAILED.value
                if order.coupon_id:
                    coupons.release(order.coupon_id)
            return "failed", order
        delayed = kind == "checkout.session.async_payment_succeeded"
        return _apply_paid_session(order, obj, delayed_success=delayed), order
    if kind == "charge.refunded":
        order = _order_for_charge(obj)
        if order is None:
            return "unknown_order", None
        return (_refund(order) if obj.get("refunded") else "partial_refund"), order
    if kind in ("charge.dispute.created", "charge.dispute.closed"):
        order = _order_for_charge(obj)
        if order is None:
            return "unknown_order", None
        return _dispute(order, obj, opened=kind == "charge.dispute.created"), order
    return "ignored", None


AUDITED_OUTCOMES = ("refunded", "suspended", "reinstated", "failed")


def apply_event(event: dict[str, Any]) -> str:
    """Apply one verified Stripe event exactly once; its id is recorded with its effect.

    Raises on unexpected errors after rolling back, so Stripe retries and the retry succeeds.
    """
    with write_transaction():
        if db.session.get(StripeEvent, event["id"]) is not None:
            return "duplicate"
        record = StripeEvent(id=event["id"], type=event["type"])
        db.session.add(record)
        try:
            db.session.flush()
        except IntegrityError:
            db.session.rollback()
            return "duplicate"
        outcome, order = _dispatch(event)
        record.outcome = outcome
        record.order_id = order.id if order is not None else None
        if order is not None and outcome in AUDITED_OUTCOMES:
            # The enrollment changes with the order: who did it is Stripe, named by the event.
            audit.record(f"order.{outcome}", target=order, event_id=event["id"])
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            return "duplicate"
    log.info("stripe event %s %s: %s", event["id"], event["type"], outcome)
    return outcome


def fulfill_checkout(session_id: str, user_id: int) -> Order | None:
    """The success page's path: ask Stripe about the session and fulfil it if paid.

    Grants nothing for an unknown session, an unpaid one, or one that belongs to someone else.
    """
    if not session_id or len(session_id) > 255:
        return None
    session = payments.retrieve_checkout_session(session_id)  # network: before any transaction
    if session is None:
        return None
    with write_transaction():
        order = _order_for_session(session)
        if (
            order is None
            or order.user_id != user_id
            or order.checkout_session_id != session.get("id")
        ):
            db.session.rollback()
            return None
        _apply_paid_session(order, session)
        db.session.commit()
        return order


def refund_order(actor: User, order_id: int, reason: str, ip: str | None) -> Order:
    """Refund a paid order in full (through Stripe in live mode); access ends at once."""
    order = db.session.get(Order, order_id)
    if order is None:
        raise OrderNotFound("not_found")
    if order.status not in (OrderStatus.PAID, OrderStatus.DISPUTED, OrderStatus.NEEDS_REVIEW):
        raise DomainError("not_refundable")
    payment_intent = order.payment_intent_id
    if order.amount_cents > 0 and not payment_intent:
        raise DomainError("no_payment_to_refund")
    db.session.commit()  # end the read transaction before calling Stripe
    if payment_intent:
        payments.refund_payment(payment_intent, order.id)
    with write_transaction():
        order = _lock_order(order_id)
        _refund(order)
        audit.record(
            "order.refund",
            actor_id=actor.id,
            target=order,
            ip=ip,
            reason=reason,
            amount_cents=order.amount_cents,
        )
        db.session.commit()
    return order


def reconcile(days: int) -> dict[str, int]:
    """Apply the events of the last `days` days that the webhook missed; count the outcomes."""
    counts: dict[str, int] = {}
    db.session.commit()
    for event in payments.list_events(utcnow() - timedelta(days=days), HANDLED_EVENTS):
        outcome = apply_event(event)
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts


def orders_of(user_id: int) -> Sequence[Order]:
    return db.session.scalars(
        select(Order)
        .where(
            Order.user_id == user_id,
            Order.status.not_in([OrderStatus.PENDING, OrderStatus.CANCELED]),
        )
        .order_by(Order.created_at.desc())
    ).all()


def order_for_receipt(number: str, user_id: int) -> Order | None:
    return db.session.scalar(select(Order).where(Order.number == number, Order.user_id == user_id))


def all_orders(status: str | None = None, limit: int = 200) -> Sequence[Order]:
    query = (
        select(Order)
        .options(selectinload(Order.user))
        .order_by(Order.created_at.desc())
        .limit(limit)
    )
    if status:
        query = query.where(Order.status == status)
    return db.session.scalars(query).all()
