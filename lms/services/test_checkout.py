"""The offline checkout page of test mode: Stripe's test cards, and the events Stripe would send.

Paying here signs a `checkout.session.completed` event with the webhook secret and passes it
through the same verification and handler as a real delivery to /stripe/webhook.
"""

from __future__ import annotations

import json
import re
from typing import Any

from lms.extensions import db
from lms.models import Order, OrderStatus
from lms.services import orders, payments, test_mode_store
from lms.services.errors import DomainError

SUCCESS = "4242424242424242"
DECLINES = {
    "4000000000000002": "card_declined",
    "4000000000009995": "insufficient_funds",
    "4000000000000069": "expired_card",
}


class CardDeclined(DomainError):
    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


class SessionNotPayable(DomainError):
    """Unknown, finished, or someone else's checkout."""


def payable_session(session_id: str, user_id: int) -> tuple[dict[str, Any], Order]:
    session = test_mode_store.get(session_id) if session_id.startswith("cs_test_") else None
    order = db.session.get(Order, int(session["client_reference_id"])) if session else None
    if session is None or order is None or order.user_id != user_id:
        raise SessionNotPayable("not_found")
    return session, order


def pay(session_id: str, user_id: int, card_number: str) -> str:
    """Charge a test card; return the success URL, or raise CardDeclined like Stripe Checkout."""
    session, order = payable_session(session_id, user_id)
    if session["status"] != "open" or order.status not in (
        OrderStatus.PENDING,
        OrderStatus.CANCELED,
    ):
        return _success_url(session)
    digits = re.sub(r"[\s-]", "", card_number or "")
    if digits in DECLINES:
        raise CardDeclined(DECLINES[digits])
    if digits != SUCCESS:
        raise CardDeclined("use_test_card")
    intent_id = test_mode_store.new_id("pi")
    test_mode_store.save(
        {
            "id": intent_id,
            "object": "payment_intent",
            "created": test_mode_store.now(),
            "amount": session["amount_total"],
            "currency": session["currency"],
            "status": "succeeded",
            "latest_charge": test_mode_store.new_id("ch"),
            "metadata": session["metadata"],
        }
    )
    session.update(status="complete", payment_status="paid", payment_intent=intent_id)
    test_mode_store.save(session)
    event = payments.build_test_event("checkout.session.completed", session)
    db.session.commit()
    deliver(event)
    return _success_url(session)


def deliver(event: dict[str, Any]) -> str:
    """Sign and verify the event as a webhook delivery would be, then apply it."""
    payload = json.dumps(event).encode()
    return orders.apply_event(payments.parse_webhook(payload, payments.sign_payload(payload)))


def _success_url(session: dict[str, Any]) -> str:
    return session["success_url"].replace("{CHECKOUT_SESSION_ID}", session["id"])
