"""The webhook: signatures checked by Stripe's library, every event applied exactly once."""

from __future__ import annotations

import itertools
import threading
import time

import pytest
from sqlalchemy import func, select

from lms.extensions import db
from lms.models import AuditEntry, Enrollment, Order, StripeEvent
from lms.services import enrollment as enrollment_service
from tests import factories
from tests import stripe_events as se
from tests.conftest import WEBHOOK_SECRET


@pytest.fixture
def order(app):
    with app.app_context():
        user = factories.make_user(email="compratrice@example.org")
        course = factories.make_course(slug="corso-a-pagamento", price_cents=29700)
        order = factories.make_order(user, course)
        db.session.refresh(order)
        db.session.expunge(order)
        return order


def _state(app, order_id):
    with app.app_context():
        order = db.session.get(Order, order_id)
        enrollment = db.session.scalar(
            select(Enrollment).where(Enrollment.user_id == order.user_id)
        )
        events = db.session.scalar(select(func.count()).select_from(StripeEvent))
        return order.status, (enrollment.status if enrollment else None), events


@pytest.mark.parametrize("case", ["missing", "tampered", "other_secret", "too_old", "garbage"])
def test_bad_signatures_are_refused_and_nothing_is_written(app, client, order, case):
    evt = se.event("checkout.session.completed", se.session_object(order))
    if case == "missing":
        response = client.post("/stripe/webhook", json=evt)
    elif case == "tampered":
        response = se.post(client, evt, WEBHOOK_SECRET, tamper=True)
    elif case == "other_secret":
        response = se.post(client, evt, "whsec_someone_else")
    elif case == "too_old":
        response = se.post(client, evt, WEBHOOK_SECRET, timestamp=int(time.time()) - 301)
    else:
        response = client.post(
            "/stripe/webhook", data=b"not json", headers={"Stripe-Signature": "t=1,v1=abc"}
        )
    assert response.status_code == 400
    assert _state(app, order.id) == ("pending", None, 0)


def test_paid_session_enrolls_once(app, client, order):
    evt = se.event("checkout.session.completed", se.session_object(order))
    first = se.post(client, evt, WEBHOOK_SECRET)
    assert first.status_code == 200 and first.get_json()["outcome"] == "fulfilled"
    again = se.post(client, evt, WEBHOOK_SECRET)
    assert again.status_code == 200 and again.get_json()["outcome"] == "duplicate"
    assert _state(app, order.id) == ("paid", "active", 1)
    with app.app_context():
        assert db.session.get(Order, order.id).payment_intent_id == f"pi_test_order{order.id}"


def test_the_same_event_from_ten_threads_gives_one_enrollment(app, order):
    evt = se.event("checkout.session.completed", se.session_object(order))
    barrier = threading.Barrier(10)
    results = []

    def deliver():
        client = app.test_client()
        barrier.wait()
        results.append(se.post(client, evt, WEBHOOK_SECRET).get_json()["outcome"])

    threads = [threading.Thread(target=deliver) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["duplicate"] * 9 + ["fulfilled"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Enrollment)) == 1
    assert _state(app, order.id) == ("paid", "active", 1)


def test_webhook_and_success_page_racing_give_one_enrollment(app, order):
    """Ten different events for one paid session at once, as with retries and the success page."""
    barrier = threading.Barrier(10)

    def deliver():
        client = app.test_client()
        evt = se.event("checkout.session.completed", se.session_object(order))
        barrier.wait()
        assert se.post(client, evt, WEBHOOK_SECRET).status_code == 200

    threads = [threading.Thread(target=deliver) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with app.app_context():
        from lms.models import AuditEntry, OutboxEmail

        assert db.session.scalar(select(func.count()).select_from(Enrollment)) == 1
        paid_mails = (
            select(func.count()).select_from(OutboxEmail).where(OutboxEmail.kind == "order_paid")
        )
        assert db.session.scalar(paid_mails) == 1
        paid_audit = (
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "order.paid")
        )
        assert db.session.scalar(paid_audit) == 1
    assert _state(app, order.id) == ("paid", "active", 10)


def test_payment_and_refund_racing_end_refunded(app, order):
    """Payments and a refund for one order delivered at once: the refund always wins."""
    barrier = threading.Barrier(10)
    events = [se.event("checkout.session.completed", se.session_object(order)) for _ in range(7)]
    events += [se.event("charge.refunded", se.charge_object(order)) for _ in range(3)]

    def deliver(evt):
        client = app.test_client()
        barrier.wait()
        assert se.post(client, evt, WEBHOOK_SECRET).status_code == 200

    threads = [threading.Thread(target=deliver, args=(evt,)) for evt in events]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert _state(app, order.id) == ("refunded", "refunded", 10)


@pytest.mark.parametrize(
    "sequence",
    list(itertools.permutations(["completed", "async_succeeded", "refunded"])),
    ids=lambda seq: "-".join(seq),
)
def test_every_delivery_order_ends_in_the_same_state(app, client, order, sequence):
    events = {
        "completed": se.event("checkout.session.completed", se.session_object(order)),
        "async_succeeded": se.event(
            "checkout.session.async_payment_succeeded", se.session_object(order)
        ),
        "refunded": se.event("charge.refunded", se.charge_object(order)),
    }
    for name in sequence:
        assert se.post(client, events[name], WEBHOOK_SECRET).status_code == 200
    assert _state(app, order.id) == ("refunded", "refunded", 3)


def test_delayed_payment_waits_then_enrolls(app, client, order):
    unpaid = se.event(
        "checkout.session.completed", se.session_object(order, payment_status="unpaid")
    )
    assert se.post(client, unpaid, WEBHOOK_SECRET).get_json()["outcome"] == "processing"
    assert _state(app, order.id) == ("processing", None, 1)
    succeeded = se.event("checkout.session.async_payment_succeeded", se.session_object(order))
    assert se.post(client, succeeded, WEBHOOK_SECRET).get_json()["outcome"] == "fulfilled"
    assert _state(app, order.id) == ("paid", "active", 2)


def test_delayed_payment_that_fails_grants_nothing(app, client, order):
    se.post(
        client,
        se.event("checkout.session.completed", se.session_object(order, payment_status="unpaid")),
        WEBHOOK_SECRET,
    )
    failed = se.event(
        "checkout.session.async_payment_failed", se.session_object(order, payment_status="unpaid")
    )
    assert se.post(client, failed, WEBHOOK_SECRET).get_json()["outcome"] == "failed"
    assert _state(app, order.id) == ("failed", None, 2)


def test_dispute_suspends_and_a_won_dispute_restores(app, client, order):
    se.post(
        client, se.event("checkout.session.completed", se.session_object(order)), WEBHOOK_SECRET
    )
    se.post(client, se.event("charge.dispute.created", se.dispute_object(order)), WEBHOOK_SECRET)
    assert _state(app, order.id)[:2] == ("disputed", "suspended")
    se.post(
        client,
        se.event("charge.dispute.closed", se.dispute_object(order, status="won")),
        WEBHOOK_SECRET,
    )
    assert _state(app, order.id)[:2] == ("paid", "active")
    se.post(client, se.event("charge.refunded", se.charge_object(order)), WEBHOOK_SECRET)
    with app.app_context():  # every change of access is in the audit log, with its event
        entries = db.session.execute(
            select(AuditEntry.action, AuditEntry.target_id, AuditEntry.details).order_by(
                AuditEntry.id
            )
        ).all()
    assert [action for action, _target, _details in entries] == [
        "order.paid", "order.suspended", "order.reinstated", "order.refunded"
    ]  # fmt: skip
    assert {target for _action, target, _details in entries} == {str(order.id)}
    assert all(details.get("event_id", "").startswith("evt_") for _a, _t, details in entries[1:])


def test_tampered_amount_is_not_fulfilled_and_is_logged(app, client, order, caplog):
    cheap = se.event("checkout.session.completed", se.session_object(order, amount_total=100))
    assert se.post(client, cheap, WEBHOOK_SECRET).get_json()["outcome"] == "mismatch"
    assert _state(app, order.id) == ("needs_review", None, 1)
    assert "does not match order" in caplog.text
    other_course = se.session_object(
        order, metadata={"order_id": str(order.id), "course_id": "999"}
    )
    other_course["id"] = order.checkout_session_id
    se.post(client, se.event("checkout.session.completed", other_course), WEBHOOK_SECRET)
    dollars = se.event("checkout.session.completed", se.session_object(order, currency="usd"))
    assert se.post(client, dollars, WEBHOOK_SECRET).get_json()["outcome"] == "mismatch"
    assert _state(app, order.id)[:2] == ("needs_review", None)


def test_an_error_mid_handler_rolls_back_and_a_replay_succeeds(app, client, order, monkeypatch):
    evt = se.event("checkout.session.completed", se.session_object(order))
    real = enrollment_service.set_status
    calls = []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("database hiccup")
        return real(*args, **kwargs)

    monkeypatch.setattr(enrollment_service, "set_status", flaky)
    assert se.post(client, evt, WEBHOOK_SECRET).status_code == 500
    assert _state(app, order.id) == ("pending", None, 0)
    assert se.post(client, evt, WEBHOOK_SECRET).get_json()["outcome"] == "fulfilled"
    assert _state(app, order.id) == ("paid", "active", 1)


def test_unknown_and_unhandled_events_are_acknowledged(app, client, order):
    other = se.event("customer.created", {"id": "cus_1", "object": "customer"})
    assert se.post(client, other, WEBHOOK_SECRET).get_json()["outcome"] == "ignored"
    stranger = se.session_object(order, id="cs_test_nobody", client_reference_id="999999")
    assert (
        se.post(
            client, se.event("checkout.session.completed", stranger), WEBHOOK_SECRET
        ).get_json()["outcome"]
        == "unknown_order"
    )
    assert _state(app, order.id)[:2] == ("pending", None)


def test_a_won_dispute_does_not_undo_a_staff_revocation(app, client, order):
    se.post(
        client, se.event("checkout.session.completed", se.session_object(order)), WEBHOOK_SECRET
    )
    se.post(client, se.event("charge.dispute.created", se.dispute_object(order)), WEBHOOK_SECRET)
    with app.app_context():
        row = db.session.scalar(select(Enrollment))
        row.status = "revoked"
        db.session.commit()
    se.post(
        client,
        se.event("charge.dispute.closed", se.dispute_object(order, status="won")),
        WEBHOOK_SECRET,
    )
    assert _state(app, order.id)[:2] == ("paid", "revoked")


def test_an_order_to_check_cannot_be_refunded_without_its_payment(app, order):
    from lms.services import orders
    from lms.services.errors import DomainError

    with app.app_context():
        row = db.session.get(Order, order.id)
        row.status = "needs_review"
        db.session.commit()
        staff = factories.make_user(email="staff@example.org", role="instructor")
        with pytest.raises(DomainError):
            orders.refund_order(staff, order.id, "check", None)
        assert db.session.get(Order, order.id).status == "needs_review"


def test_a_mismatched_payment_keeps_its_payment_intent_for_a_refund(app, client, order):
    cheap = se.event("checkout.session.completed", se.session_object(order, amount_total=100))
    se.post(client, cheap, WEBHOOK_SECRET)
    with app.app_context():
        assert db.session.get(Order, order.id).payment_intent_id == f"pi_test_order{order.id}"
