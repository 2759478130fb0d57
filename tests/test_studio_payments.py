"""The instructor's side of payments: orders, refunds that end access, manual enrollment."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from lms.extensions import db
from lms.models import AuditEntry, Enrollment, Order
from lms.services import enrollment, orders, test_checkout
from tests import factories
from tests.conftest import login


@pytest.fixture
def paid_order(app):
    """A student who bought the course through the test-mode checkout."""
    with app.app_context():
        student_id = factories.make_user(email="studente@example.org", name="Anna Verdi").id
        course_id = factories.make_course(slug="corso-va", price_cents=29700).id
    client = app.test_client()
    login(client, "studente@example.org")
    checkout = client.post("/courses/corso-va/buy").headers["Location"]
    client.post(checkout, data={"card_number": "4242424242424242"})
    with app.app_context():
        order = db.session.scalar(select(Order))
        assert order.status == "paid"
        return {"order": order.id, "student": student_id, "course": course_id, "client": client}


@pytest.fixture
def instructor(app):
    with app.app_context():
        factories.make_user(email="docente@example.org", role="instructor", name="Giulia Docente")
    client = app.test_client()
    assert login(client, "docente@example.org").status_code == 302
    return client


def test_students_and_visitors_cannot_enter_the_studio(app, paid_order):
    student = paid_order["client"]
    for path in ("/studio/", "/studio/orders", "/studio/courses/corso-va/students"):
        assert student.get(path).status_code == 403, path
    assert (
        student.post(
            f"/studio/orders/{paid_order['order']}/refund", data={"reason": "x"}
        ).status_code
        == 403
    )
    assert (
        student.post(
            "/studio/courses/corso-va/students", data={"email": "a@example.org", "reason": "x"}
        ).status_code
        == 403
    )
    anonymous = app.test_client()
    response = anonymous.get("/studio/orders")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_orders_list_shows_status_and_amount(instructor, paid_order):
    page = instructor.get("/studio/orders").get_data(as_text=True)
    assert "Anna Verdi" in page and "297,00" in page and "pagato" in page
    assert "Anna Verdi" not in instructor.get("/studio/orders?status=refunded").get_data(
        as_text=True
    )


def test_refund_needs_a_reason_and_ends_access(app, instructor, paid_order):
    order_id = paid_order["order"]
    instructor.post(f"/studio/orders/{order_id}/refund", data={"reason": ""})
    with app.app_context():
        assert db.session.get(Order, order_id).status == "paid"

    response = instructor.post(
        f"/studio/orders/{order_id}/refund", data={"reason": "Richiesta entro 14 giorni"}
    )
    assert response.status_code == 302
    with app.app_context():
        order = db.session.get(Order, order_id)
        assert order.status == "refunded" and order.refunded_at is not None
        assert not enrollment.is_enrolled(paid_order["student"], paid_order["course"])
        from lms.models import OutboxEmail

        refund_mail = db.session.scalar(
            select(OutboxEmail).where(OutboxEmail.kind == "order_refunded")
        )
        assert (
            refund_mail.to_email == "studente@example.org" and order.number in refund_mail.body_text
        )
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "order.refund"))
        assert entry.details["reason"] == "Richiesta entro 14 giorni"
        # Stripe's charge.refunded event, when it arrives, changes nothing more.
        from lms.models import TestModeObject

        events = [
            row.data
            for row in db.session.scalars(
                select(TestModeObject).where(TestModeObject.object == "event")
            )
        ]
        refunded_event = next(e for e in events if e["type"] == "charge.refunded")
        assert refunded_event["data"]["object"]["metadata"]["order_id"] == str(order_id)
        assert test_checkout.deliver(refunded_event) == "already_refunded"

    student = paid_order["client"]
    assert "Sei iscritto" not in student.get("/courses/corso-va").get_data(as_text=True)
    assert "rimborsato" in student.get("/account/purchases").get_data(as_text=True)
    # Refunding twice is refused without harm.
    instructor.post(f"/studio/orders/{order_id}/refund", data={"reason": "di nuovo"})
    with app.app_context():
        assert db.session.get(Order, order_id).status == "refunded"


def test_manual_enrollment_and_removal_are_audited(app, instructor):
    with app.app_context():
        factories.make_course(slug="corso-va")
        factories.make_user(email="ospite@example.org", name="Ospite Speciale")
    response = instructor.post(
        "/studio/courses/corso-va/students",
        data={"email": "nessuno@example.org", "reason": "borsa"},
    )
    assert "Nessun account ha questo indirizzo" in response.get_data(as_text=True)
    assert 'value="borsa"' in response.get_data(as_text=True)

    response = instructor.post(
        "/studio/courses/corso-va/students",
        data={"email": "Ospite@example.org", "reason": "Borsa di studio"},
    )
    assert response.status_code == 302
    page = instructor.get("/studio/courses/corso-va/students").get_data(as_text=True)
    assert "Ospite Speciale" in page and "a mano" in page
    with app.app_context():
        row = db.session.scalar(select(Enrollment))
        assert (row.status, row.source) == ("active", "manual")
        enrollment_id = row.id

    instructor.post(
        f"/studio/enrollments/{enrollment_id}/revoke", data={"reason": "", "course": "corso-va"}
    )
    with app.app_context():
        assert db.session.get(Enrollment, enrollment_id).status == "active"
    instructor.post(
        f"/studio/enrollments/{enrollment_id}/revoke",
        data={"reason": "Comportamento scorretto", "course": "corso-va"},
    )
    with app.app_context():
        assert db.session.get(Enrollment, enrollment_id).status == "revoked"
        actions = {
            e.action: e.details.get("reason") for e in db.session.scalars(select(AuditEntry))
        }
        assert actions["enrollment.manual_add"] == "Borsa di studio"
        assert actions["enrollment.revoke"] == "Comportamento scorretto"


def test_reconcile_applies_the_events_the_webhook_missed(app, paid_order, monkeypatch):
    """A second purchase whose webhook never arrived is picked up by the command."""
    with app.app_context():
        factories.make_user(email="seconda@example.org")
    client = app.test_client()
    login(client, "seconda@example.org")
    checkout = client.post("/courses/corso-va/buy").headers["Location"]
    monkeypatch.setattr(test_checkout, "deliver", lambda event: "lost")
    client.post(checkout, data={"card_number": "4242424242424242"})
    monkeypatch.undo()
    with app.app_context():
        second = db.session.scalar(
            select(Order).where(Order.customer_email == "seconda@example.org")
        )
        assert second.status == "pending"

    result = app.test_cli_runner().invoke(args=["lms", "stripe-reconcile", "--days", "30"])
    assert result.exit_code == 0, result.output
    assert "2 events read, 1 applied, 1 already applied" in result.output
    with app.app_context():
        assert db.session.get(Order, second.id).status == "paid"
        assert orders.reconcile(30) == {"duplicate": 2}
