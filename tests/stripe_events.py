"""Stripe-shaped events for tests, signed the way Stripe signs them."""

from __future__ import annotations

import json
import secrets
import time

import stripe

from lms.models import Order


def event(event_type: str, obj: dict, event_id: str | None = None) -> dict:
    return {
        "id": event_id or "evt_" + secrets.token_hex(8),
        "object": "event",
        "created": int(time.time()),
        "livemode": False,
        "type": event_type,
        "data": {"object": obj},
    }


def session_object(order: Order, *, payment_status="paid", status="complete", **overrides) -> dict:
    obj = {
        "id": order.checkout_session_id or "cs_test_" + secrets.token_hex(6),
        "object": "checkout.session",
        "status": status,
        "payment_status": payment_status,
        "amount_total": order.amount_cents,
        "currency": order.currency,
        "client_reference_id": str(order.id),
        "metadata": {"order_id": str(order.id), "course_id": str(order.course_id)},
        "payment_intent": f"pi_test_order{order.id}",
    }
    obj.update(overrides)
    return obj


def charge_object(order: Order, **overrides) -> dict:
    obj = {
        "id": f"ch_test_order{order.id}",
        "object": "charge",
        "amount": order.amount_cents,
        "amount_refunded": order.amount_cents,
        "refunded": True,
        "payment_intent": f"pi_test_order{order.id}",
        "metadata": {"order_id": str(order.id), "course_id": str(order.course_id)},
    }
    obj.update(overrides)
    return obj


def dispute_object(order: Order, status="needs_response") -> dict:
    return {
        "id": f"dp_test_order{order.id}",
        "object": "dispute",
        "status": status,
        "payment_intent": f"pi_test_order{order.id}",
        "charge": f"ch_test_order{order.id}",
        "metadata": {},
    }


def post(client, evt: dict, secret: str, *, timestamp: int | None = None, tamper: bool = False):
    payload = json.dumps(evt)
    header = stripe.WebhookSignature.generate_signature_header(
        payload, secret, timestamp=timestamp if timestamp is not None else int(time.time())
    )
    if tamper:
        payload = payload.replace('"amount_total": ', '"amount_total": 1')
    return client.post(
        "/stripe/webhook",
        data=payload,
        headers={"Stripe-Signature": header, "Content-Type": "application/json"},
    )
