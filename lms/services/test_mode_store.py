"""Storage of the offline test mode: Stripe-shaped objects kept in the database.

It stands in for Stripe when no key is configured, so that checkout, events and refunds follow
the same path as in live mode without the internet.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

from sqlalchemy import select

from lms.extensions import db
from lms.models import TestModeObject


def new_id(prefix: str) -> str:
    return f"{prefix}_test_{secrets.token_hex(12)}"


def save(obj: dict[str, Any]) -> dict[str, Any]:
    """Insert or replace one object in the open transaction (the caller commits)."""
    row = db.session.get(TestModeObject, obj["id"])
    if row is None:
        row = TestModeObject(id=obj["id"], object=obj["object"], created=obj["created"], data=obj)
        db.session.add(row)
    else:
        row.data = dict(obj)
    return obj


def get(object_id: str) -> dict[str, Any] | None:
    row = db.session.get(TestModeObject, object_id)
    return dict(row.data) if row else None


def events_since(created_after: int) -> list[dict[str, Any]]:
    rows = db.session.scalars(
        select(TestModeObject)
        .where(TestModeObject.object == "event", TestModeObject.created >= created_after)
        .order_by(TestModeObject.created, TestModeObject.id)
    ).all()
    return [dict(row.data) for row in rows]


def now() -> int:
    return int(time.time())
