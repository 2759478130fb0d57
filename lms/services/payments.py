"""The gateway to Stripe: the only module that imports `stripe`.

With STRIPE_SECRET_KEY set it calls Stripe's API; without it, the same functions work on the
offline test-mode store, so the rest of the app never asks which mode it is in. No function
here touches a database transaction of the caller's: call them with none open.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import stripe
from flask import current_app, url_for

from lms.extensions import db
from lms.services import test_mode_store
from lms.services.errors import DomainError

log = logging.getLogger(__name__)


class InvalidWebhook(DomainError):
    """Missing, malformed, tampered, foreign or stale signature: nothing is done."""


class PaymentProviderError(DomainError):
    """Stripe could not be reached or refused the call."""


@dataclass(frozen=True)
class CheckoutRequest:
    order_id: int
    order_number: str
    course_id: int
    course_title: str
    amount_cents: int
    currency: str
    customer_email: str
    success_url: str
    cancel_url: str
    locale: str


def is_test_mode() -> bool:
    return not current_app.config["STRIPE_SECRET_KEY"]


def webhook_secret() -> str:
    """The configured secret, or in test mode one derived from SECRET_KEY (stable on restart)."""
    configured = current_app.config["STRIPE_WEBHOOK_SECRET"]
    if configured:
        return configured
    digest = hmac.new(
        current_app.config["SECRET_KEY"].encode(), b"stripe-test-webhook", hashlib.sha256
    )
    return "whsec_test_" + digest.hexdigest()


def _client() -> stripe.StripeClient:
    config = current_app.config
    base = config.get("STRIPE_API_BASE")
    return stripe.StripeClient(
        config["STRIPE_SECRET_KEY"],
        base_addresses={"api": base} if base else {},
        max_network_retries=2,
    )


def _plain(obj: Any) -> dict[str, Any]:
    return obj if isinstance(obj, dict) else obj.to_dict()


def create_checkout_session(request: CheckoutRequest) -> tuple[str, str]:
    """Open a Checkout Session for an order; return (session id, URL to send the buyer to)."""
    metadata = {"order_id": str(request.order_id), "course_id": str(request.course_id)}
    if is_test_mode():
        session_id = test_mode_store.new_id("cs")
        test_mode_store.save(
            {
                "id": session_id,
                "object": "checkout.session",
                "created": test_mode_store.now(),
                "livemode": False,
                "mode": "payment",
                "status": "open",
                "payment_status": "unpaid",
                "amount_total": request.amount_cents,
                "currency": request.currency,
                "client_reference_id": str(request.order_id),
                "customer_email": request.customer_email,
                "metadata": metadata,
                "payment_intent": None,
                "success_url": request.success_url,
                "cancel_url": request.cancel_url,
                "description": request.course_title,
            }
        )
        db.session.commit()
        return session_id, url_for("payments.test_checkout_page", session_id=session_id)
    try:
        session = _client().v1.checkout.sessions.create(
            params={
                "mode": "payment",
                "client_reference_id": str(request.order_id),
                "customer_email": request.customer_email,
                "metadata": metadata,
                "payment_intent_data": {"metadata": metadata, "description": request.course_title},
                "line_items": [
                    {
                        "quantity": 1,
                        "price_data": {
                            "currency": request.currency,
                            "unit_amount": request.amount_cents,
                            "product_data": {"name": request.course_title},
                        },
                    }
                ],
                "locale": request.locale,
                "success_url": request.success_url,
                "cancel_url": request.cancel_url,
            },
            options={"idempotency_key": f"checkout-order-{request.order_id}"},
        )
    except stripe.StripeError as error:
        raise PaymentProviderError(str(error)) from error
    return session.id, session.url


def expire_checkout_session(session_id: str) -> None:
    """Close a checkout that was replaced, so it can no longer be paid. Best effort: logged."""
    if is_test_mode():
        session = test_mode_store.get(session_id)
        if session and session["status"] == "open":
            session["status"] = "expired"
            test_mode_store.save(session)
            db.session.commit()
        return
    try:
        _client().v1.checkout.sessions.expire(session_id)
    except stripe.StripeError as error:
        log.warning("could not expire checkout session %s: %s", session_id, error)


def retrieve_checkout_session(session_id: str) -> dict[str, Any] | None:
    """The session as Stripe has it now, or None when it does not exist."""
    if is_test_mode():
        return test_mode_store.get(session_id)
    try:
        return _plain(_client().v1.checkout.sessions.retrieve(session_id))
    except stripe.InvalidRequestError:
        return None
    except stripe.StripeError as error:
        raise PaymentProviderError(str(error)) from error


def refund_payment(payment_intent_id: str, order_id: int) -> dict[str, Any]:
    """Refund a payment in full; retried calls for the same order refund once."""
    if is_test_mode():
        return record_test_refund(payment_intent_id, order_id)
    try:
        refund = _client().v1.refunds.create(
            params={"payment_intent": payment_intent_id, "metadata": {"order_id": str(order_id)}},
            options={"idempotency_key": f"refund-order-{order_id}"},
        )
    except stripe.StripeError as error:
        raise PaymentProviderError(str(error)) from error
    return _plain(refund)


def record_test_refund(payment_intent_id: str, order_id: int) -> dict[str, Any]:
    """Test mode: store the refund and its `charge.refunded` event, as Stripe would."""
    refund_id = f"re_test_order_{order_id}"
    existing = test_mode_store.get(refund_id)
    if existing:
        return existing
    intent = test_mode_store.get(payment_intent_id) or {}
    refund = test_mode_store.save(
        {
            "id": refund_id,
            "object": "refund",
            "created": test_mode_store.now(),
            "amount": intent.get("amount", 0),
            "payment_intent": payment_intent_id,
            "status": "succeeded",
            "metadata": {"order_id": str(order_id)},
        }
    )
    charge = {
        "id": intent.get("latest_charge", "ch_test_unknown"),
        "object": "charge",
        "amount": intent.get("amount", 0),
        "amount_refunded": intent.get("amount", 0),
        "currency": intent.get("currency", "eur"),
        "payment_intent": payment_intent_id,
        "refunded": True,
        "metadata": intent.get("metadata", {"order_id": str(order_id)}),
    }
    build_test_event("charge.refunded", charge)
    db.session.commit()
    return refund


def build_test_event(event_type: str, data_object: dict[str, Any]) -> dict[str, Any]:
    """Store a Stripe-shaped event of the test mode (the caller commits) and return it."""
    return test_mode_store.save(
        {
            "id": test_mode_store.new_id("evt"),
            "object": "event",
            "api_version": stripe.api_version,
            "created": test_mode_store.now(),
            "livemode": False,
            "type": event_type,
            "data": {"object": data_object},
        }
    )


def sign_payload(payload: bytes, timestamp: int | None = None) -> str:
    """A real `Stripe-Signature` header for a payload, made with this app's webhook secret."""
    timestamp = timestamp if timestamp is not None else test_mode_store.now()
    return stripe.WebhookSignature.generate_signature_header(
        payload.decode(), webhook_secret(), timestamp=timestamp
    )


def parse_webhook(payload: bytes, signature: str | None) -> dict[str, Any]:
    """Check the signature with Stripe's library and return the event as plain data."""
    if not signature:
        raise InvalidWebhook("missing signature")
    try:
        stripe.Webhook.construct_event(payload, signature, webhook_secret())
    except (stripe.SignatureVerificationError, ValueError) as error:
        raise InvalidWebhook(str(error)) from error
    event = json.loads(payload)
    if not isinstance(event, dict) or "id" not in event or "type" not in event:
        raise InvalidWebhook("not an event")
    return event


def list_events(since: datetime, types: list[str]) -> Iterator[dict[str, Any]]:
    """Every event of these types created since `since`, oldest first."""
    created_after = int(since.timestamp())
    if is_test_mode():
        for event in test_mode_store.events_since(created_after):
            if event["type"] in types:
                yield event
        return
    try:
        page = _client().v1.events.list(params={"created": {"gte": created_after}, "limit": 100})
        events = [_plain(event) for event in page.auto_paging_iter()]
    except stripe.StripeError as error:
        raise PaymentProviderError(str(error)) from error
    wanted = [
        event for event in events if event["type"] in types and event["created"] >= created_after
    ]
    yield from sorted(wanted, key=lambda event: event["created"])
