"""Coupon codes: checked on the server, applied to the price sent to Stripe."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update

from lms.extensions import db
from lms.models import Coupon, CouponKind, Course, utcnow
from lms.services.errors import DomainError

STRIPE_MINIMUM_CENTS = 50  # Stripe refuses card charges under 0.50 EUR


class CouponRejected(DomainError):
    """reason: unknown, expired, used_up, other_course, too_low."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Price:
    list_cents: int
    discount_cents: int
    coupon: Coupon | None

    @property
    def amount_cents(self) -> int:
        return self.list_cents - self.discount_cents


def normalize_code(code: str | None) -> str:
    return (code or "").strip().upper()


def discount_for(coupon: Coupon, list_cents: int) -> int:
    if coupon.kind == CouponKind.PERCENT:
        return min(list_cents, (list_cents * (coupon.percent_off or 0) + 50) // 100)
    return min(list_cents, coupon.amount_off_cents or 0)


def price_for(course: Course, code: str | None) -> Price:
    """The price of a course with an optional coupon, or CouponRejected saying why not."""
    code = normalize_code(code)
    if not code:
        return Price(course.price_cents, 0, None)
    coupon = db.session.scalar(select(Coupon).where(Coupon.code == code))
    if coupon is None or not coupon.is_active:
        raise CouponRejected("unknown")
    if coupon.expires_at is not None and coupon.expires_at <= utcnow():
        raise CouponRejected("expired")
    if coupon.max_redemptions is not None and coupon.redemptions >= coupon.max_redemptions:
        raise CouponRejected("used_up")
    if coupon.course_id is not None and coupon.course_id != course.id:
        raise CouponRejected("other_course")
    discount = discount_for(coupon, course.price_cents)
    if 0 < course.price_cents - discount < STRIPE_MINIMUM_CENTS:
        raise CouponRejected("too_low")
    return Price(course.price_cents, discount, coupon)


def reserve(coupon_id: int) -> bool:
    """Take one use of the coupon for a new order, atomically; False when none is left.

    Uses are taken when checkout opens, so a capped coupon cannot be paid more times than its
    cap however many buyers race; a replaced or failed order gives its use back (`release`).
    """
    result = db.session.execute(
        update(Coupon)
        .where(Coupon.id == coupon_id)
        .where((Coupon.max_redemptions.is_(None)) | (Coupon.redemptions < Coupon.max_redemptions))
        .values(redemptions=Coupon.redemptions + 1)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def release(coupon_id: int) -> None:
    db.session.execute(
        update(Coupon)
        .where(Coupon.id == coupon_id, Coupon.redemptions > 0)
        .values(redemptions=Coupon.redemptions - 1)
        .execution_options(synchronize_session=False)
    )


def create_coupon(
    code: str,
    *,
    percent_off: int | None = None,
    amount_off_cents: int | None = None,
    course_id: int | None = None,
    expires_at=None,
    max_redemptions: int | None = None,
) -> Coupon:
    if (percent_off is None) == (amount_off_cents is None):
        raise DomainError("give either percent_off or amount_off_cents")
    if percent_off is not None and not 1 <= percent_off <= 100:
        raise DomainError("percent_off must be between 1 and 100")
    coupon = Coupon(
        code=normalize_code(code),
        kind=(CouponKind.PERCENT if percent_off is not None else CouponKind.AMOUNT).value,
        percent_off=percent_off,
        amount_off_cents=amount_off_cents,
        course_id=course_id,
        expires_at=expires_at,
        max_redemptions=max_redemptions,
    )
    db.session.add(coupon)
    db.session.commit()
    return coupon
