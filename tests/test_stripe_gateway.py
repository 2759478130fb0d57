"""The gateway's real Stripe library calls, against local servers on loopback.

Refunds and events go to `localstripe` (a fake, stateful Stripe). Checkout Sessions, which it does
not offer, go to a one-endpoint recorder that answers as Stripe's API would.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
import warnings
from datetime import timedelta
from urllib.parse import parse_qs

import pytest
import stripe
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from lms.models import utcnow
from lms.services import orders, payments


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def localstripe_url():
    import aiohttp.web

    with warnings.catch_warnings():
        # localstripe registers plain-function handlers, which aiohttp deprecates.
        warnings.simplefilter("ignore", DeprecationWarning)
        import localstripe.server

    port = _free_port()
    loop = asyncio.new_event_loop()

    def serve():
        asyncio.set_event_loop(loop)
        runner = aiohttp.web.AppRunner(localstripe.server.app)
        loop.run_until_complete(runner.setup())
        loop.run_until_complete(aiohttp.web.TCPSite(runner, "127.0.0.1", port).start())
        loop.run_forever()
        loop.run_until_complete(runner.cleanup())

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    for _ in range(50):
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.1)
    yield f"http://127.0.0.1:{port}"
    loop.call_soon_threadsafe(loop.stop)
    thread.join(timeout=5)


def _paid_intent(base_url: str, order_id: int) -> dict:
    client = stripe.StripeClient("sk_test_local", base_addresses={"api": base_url})
    method = client.v1.payment_methods.create(
        params={
            "type": "card",
            "card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "123"},
        }
    )
    intent = client.v1.payment_intents.create(
        params={
            "amount": 29700,
            "currency": "eur",
            "payment_method": method.id,
            "confirm": True,
            "metadata": {"order_id": str(order_id)},
        }
    )
    return intent.to_dict()


def test_refund_goes_through_the_real_library(make_app, localstripe_url):
    app = make_app(STRIPE_SECRET_KEY="sk_test_local", STRIPE_API_BASE=localstripe_url)
    intent = _paid_intent(localstripe_url, order_id=41)
    with app.app_context():
        assert not payments.is_test_mode()
        refund = payments.refund_payment(intent["id"], order_id=41)
    assert refund["status"] == "succeeded"
    assert refund["amount"] == 29700
    assert refund["payment_intent"] == intent["id"]


def test_refund_of_an_unknown_payment_is_a_provider_error(make_app, localstripe_url):
    app = make_app(STRIPE_SECRET_KEY="sk_test_local", STRIPE_API_BASE=localstripe_url)
    with app.app_context(), pytest.raises(payments.PaymentProviderError):
        payments.refund_payment("pi_does_not_exist", order_id=42)


def test_events_are_listed_through_the_real_library(make_app, localstripe_url):
    app = make_app(STRIPE_SECRET_KEY="sk_test_local", STRIPE_API_BASE=localstripe_url)
    intent = _paid_intent(localstripe_url, order_id=43)
    with app.app_context():
        events = list(
            payments.list_events(utcnow() - timedelta(days=1), ["payment_intent.succeeded"])
        )
        assert intent["id"] in {event["data"]["object"]["id"] for event in events}
        assert all(isinstance(event, dict) for event in events)
        # Reconcile reads the same list; events of types it does not handle are left alone.
        assert list(payments.list_events(utcnow() - timedelta(days=1), orders.HANDLED_EVENTS)) == []


class CheckoutRecorder:
    """Answers POST /v1/checkout/sessions and /v1/refunds like Stripe; keeps what it was sent."""

    def __init__(self):
        self.requests = []

    def __call__(self, environ, start_response):
        request = Request(environ)
        self.requests.append(
            {
                "path": request.path,
                "headers": dict(request.headers),
                "form": parse_qs(request.get_data(as_text=True)),
            }
        )
        if request.path == "/v1/refunds":
            body = {"id": "re_recorded", "object": "refund", "status": "succeeded", "amount": 29700}
            return Response(json.dumps(body), content_type="application/json")(
                environ, start_response
            )
        body = {
            "id": "cs_live_recorded",
            "object": "checkout.session",
            "url": "https://checkout.stripe.com/c/pay/cs_live_recorded",
            "status": "open",
            "payment_status": "unpaid",
        }
        return Response(json.dumps(body), content_type="application/json")(environ, start_response)


def test_checkout_session_request_is_what_stripe_expects(make_app):
    recorder = CheckoutRecorder()
    server = make_server("127.0.0.1", 0, recorder, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        app = make_app(
            STRIPE_SECRET_KEY="sk_live_recorded",
            STRIPE_API_BASE=f"http://127.0.0.1:{server.server_port}",
        )
        with app.app_context():
            session_id, url = payments.create_checkout_session(
                payments.CheckoutRequest(
                    order_id=7,
                    order_number="ABC",
                    course_id=3,
                    course_title="Diventare Assistente Virtuale",
                    amount_cents=23760,
                    currency="eur",
                    customer_email="anna@example.org",
                    success_url="http://lms.test/checkout/success?session_id={CHECKOUT_SESSION_ID}",
                    cancel_url="http://lms.test/checkout/canceled?course=x",
                    locale="it",
                )
            )
    finally:
        server.shutdown()
    assert (session_id, url) == (
        "cs_live_recorded",
        "https://checkout.stripe.com/c/pay/cs_live_recorded",
    )
    [sent] = recorder.requests
    form = {key: values[0] for key, values in sent["form"].items()}
    assert sent["path"] == "/v1/checkout/sessions"
    assert sent["headers"]["Idempotency-Key"] == "checkout-order-7"
    assert sent["headers"]["Authorization"] == "Bearer sk_live_recorded"
    assert form["mode"] == "payment"
    assert form["client_reference_id"] == "7"
    assert form["metadata[order_id]"] == "7" and form["metadata[course_id]"] == "3"
    assert form["payment_intent_data[metadata][order_id]"] == "7"
    assert form["line_items[0][price_data][unit_amount]"] == "23760"
    assert form["line_items[0][price_data][currency]"] == "eur"
    assert form["success_url"].endswith("session_id={CHECKOUT_SESSION_ID}")
    assert form["locale"] == "it"


def test_refund_request_carries_an_idempotency_key_per_order(make_app):
    """localstripe ignores idempotency keys, so the header itself is checked here."""
    recorder = CheckoutRecorder()
    server = make_server("127.0.0.1", 0, recorder, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        app = make_app(
            STRIPE_SECRET_KEY="sk_live_recorded",
            STRIPE_API_BASE=f"http://127.0.0.1:{server.server_port}",
        )
        with app.app_context():
            payments.refund_payment("pi_paid", order_id=12)
            payments.refund_payment("pi_paid", order_id=12)
    finally:
        server.shutdown()
    keys = [sent["headers"]["Idempotency-Key"] for sent in recorder.requests]
    assert keys == ["refund-order-12", "refund-order-12"]
    assert recorder.requests[0]["form"]["payment_intent"] == ["pi_paid"]
