"""Orders, coupons, the Stripe events already applied, and the offline test-mode store."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.extensions import db
from lms.models.courses import Course
from lms.models.types import UTCDateTime, utcnow
from lms.models.users import User


class OrderStatus(enum.StrEnum):
    PENDING = "pending"  # checkout opened, not paid yet
    PROCESSING = "processing"  # paid by a delayed method (bank debit): waiting for the money
    PAID = "paid"
    FAILED = "failed"
    CANCELED = "canceled"  # replaced by a newer checkout of the same student and course
    REFUNDED = "refunded"
    DISPUTED = "disputed"
    NEEDS_REVIEW = "needs_review"  # paid, but amount, currency or course did not match the order


class CouponKind(enum.StrEnum):
    PERCENT = "percent"
    AMOUNT = "amount"


class Coupon(db.Model):
    __tablename__ = "coupons"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)  # stored upper-case
    kind: Mapped[str] = mapped_column(String(10))
    percent_off: Mapped[int | None] = mapped_column(Integer)
    amount_off_cents: Mapped[int | None] = mapped_column(Integer)
    course_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    max_redemptions: Mapped[int | None] = mapped_column(Integer)
    redemptions: Mapped[int] = mapped_column(Integer, default=0)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Order(db.Model):
    __tablename__ = "orders"
    __table_args__ = (
        # At most one open checkout per student and course: a double click reuses it.
        Index(
            "uq_orders_one_pending",
            "user_id",
            "course_id",
            unique=True,
            sqlite_where=db.text("status = 'pending'"),
            postgresql_where=db.text("status = 'pending'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    course_id: Mapped[int] = mapped_column(
        ForeignKey("courses.id", ondelete="RESTRICT"), index=True
    )
    coupon_id: Mapped[int | None] = mapped_column(ForeignKey("coupons.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(20), default=OrderStatus.PENDING.value, index=True)
    list_price_cents: Mapped[int] = mapped_column(Integer)
    discount_cents: Mapped[int] = mapped_column(Integer, default=0)
    amount_cents: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    course_title: Mapped[str] = mapped_column(String(200))  # as bought, for the receipt
    customer_name: Mapped[str] = mapped_column(String(120))
    customer_email: Mapped[str] = mapped_column(String(254))
    checkout_session_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    checkout_url: Mapped[str | None] = mapped_column(Text)
    payment_intent_id: Mapped[str | None] = mapped_column(String(255), index=True)
    livemode: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    refunded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    note: Mapped[str | None] = mapped_column(Text)

    user: Mapped[User | None] = relationship()
    course: Mapped[Course] = relationship()
    coupon: Mapped[Coupon | None] = relationship()


class StripeEvent(db.Model):
    """An event applied once: its row is written in the same transaction as its effect."""

    __tablename__ = "stripe_events"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    type: Mapped[str] = mapped_column(String(80))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="SET NULL"))
    outcome: Mapped[str] = mapped_column(String(40), default="")


class TestModeObject(db.Model):
    """Stripe-shaped objects (checkout sessions, events) of the offline test mode."""

    __tablename__ = "test_mode_objects"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    object: Mapped[str] = mapped_column(String(40), index=True)
    created: Mapped[int] = mapped_column(Integer, index=True)  # unix seconds, as Stripe
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
