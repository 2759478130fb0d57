"""Buying in test mode through the browser flow, coupons, the success page, free courses."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from lms.extensions import db
from lms.models import Coupon, Enrollment, Order, utcnow
from lms.services import coupons
from tests import factories
from tests.conftest import login


@pytest.fixture
def course(app):
    with app.app_context():
        return factories.make_course(slug="corso-va", title="Corso VA", price_cents=29700).id


def _buy(client, coupon=""):
    return client.post("/courses/corso-va/buy", data={"coupon": coupon})


def _pay(client, checkout_path, card="4242 4242 4242 4242"):
    return client.post(checkout_path, data={"card_number": card})


def _local(url: str) -> str:
    """The path and query of an absolute link to this site (test client cookies are per host)."""
    parts = urlsplit(url)
    assert parts.netloc in ("", "lms.test"), url
    return parts.path + ("?" + parts.query if parts.query else "")


def _enrolled(app, email="studente@example.org"):
    with app.app_context():
        from lms.services.accounts import find_user_by_email

        user = find_user_by_email(email)
        found = db.session.scalar(select(Enrollment).where(Enrollment.user_id == user.id))
        return found.status if found else None


def test_anonymous_visitor_is_asked_to_log_in(client, course):
    page = client.get("/courses/corso-va").get_data(as_text=True)
    assert "Accedi per acquistare" in page
    response = _buy(client)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_buy_pay_and_get_access_in_test_mode(app, logged_in, course):
    page = logged_in.get("/courses/corso-va").get_data(as_text=True)
    assert "Acquista ora" in page and "297,00" in page

    response = _buy(logged_in)
    assert response.status_code == 303
    checkout = response.headers["Location"]
    assert checkout.startswith("/checkout/test/cs_test_")
    page = logged_in.get(checkout).get_data(as_text=True)
    assert "MODALITÀ DI PROVA" in page and "297,00" in page

    declined = _pay(logged_in, checkout, "4000 0000 0000 0002")
    assert "La carta è stata rifiutata" in declined.get_data(as_text=True)
    assert 'value="4000 0000 0000 0002"' in declined.get_data(as_text=True)
    assert _enrolled(app) is None
    other = _pay(logged_in, checkout, "5555 5555 5555 4444")
    assert "carte di prova" in other.get_data(as_text=True)

    paid = _pay(logged_in, checkout)
    assert paid.status_code == 303
    success = logged_in.get(_local(paid.headers["Location"]))
    assert success.status_code == 200
    assert "Grazie!" in success.get_data(as_text=True)
    assert _enrolled(app) == "active"
    with app.app_context():
        order = db.session.scalar(select(Order))
        assert order.status == "paid" and order.paid_at is not None
        assert order.payment_intent_id.startswith("pi_test_")
        number = order.number
        from lms.models import OutboxEmail

        [mail] = db.session.scalars(
            select(OutboxEmail).where(OutboxEmail.kind == "order_paid")
        ).all()
        assert mail.to_email == "studente@example.org"
        assert number in mail.body_text and "297,00" in mail.body_text
        assert f"http://lms.test/account/purchases/{number}" in mail.body_text

    assert "Sei iscritto" in logged_in.get("/courses/corso-va").get_data(as_text=True)
    again = _buy(logged_in)
    assert again.status_code == 302 and again.headers["Location"] == "/courses/corso-va"
    # Paying the same session again changes nothing.
    _pay(logged_in, checkout)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Order)) == 1

    purchases = logged_in.get("/account/purchases").get_data(as_text=True)
    assert number in purchases and "297,00" in purchases and "pagato" in purchases
    receipt = logged_in.get(f"/account/purchases/{number}").get_data(as_text=True)
    assert "Corso VA" in receipt and "Anna Verdi" in receipt and "pagamento di prova" in receipt
    logged_in.post("/language", data={"lang": "en"})
    receipt = logged_in.get(f"/account/purchases/{number}").get_data(as_text=True)
    assert "Total paid" in receipt and "€297.00" in receipt


def test_double_click_reuses_the_open_checkout(app, logged_in, course):
    first = _buy(logged_in).headers["Location"]
    second = _buy(logged_in).headers["Location"]
    assert first == second
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Order)) == 1


def test_success_page_abuse_grants_nothing(app, client, course):
    with app.app_context():
        factories.make_user(email="a@example.org")
        factories.make_user(email="b@example.org")
    login(client, "a@example.org")
    checkout = _buy(client).headers["Location"]
    session_id = checkout.rsplit("/", 1)[1]

    # Unpaid: the success page grants nothing.
    response = client.get(f"/checkout/success?session_id={session_id}")
    assert "Pagamento non completato" in response.get_data(as_text=True)
    assert _enrolled(app, "a@example.org") is None
    # Unknown ids.
    for bogus in ("", "cs_test_nope", "x" * 300, "../../etc"):
        assert client.get(f"/checkout/success?session_id={bogus}").status_code == 404
    client.post("/logout")

    # Someone else's session: neither the page nor the checkout open for B.
    login(client, "b@example.org")
    assert client.get(checkout).status_code == 404
    assert _pay(client, checkout).status_code == 404
    assert client.get(f"/checkout/success?session_id={session_id}").status_code == 404
    assert _enrolled(app, "b@example.org") is None
    assert _enrolled(app, "a@example.org") is None


def test_success_page_fulfils_when_the_webhook_is_late(app, logged_in, course, monkeypatch):
    from lms.services import test_checkout

    delivered = []
    monkeypatch.setattr(test_checkout, "deliver", lambda event: delivered.append(event) or "late")
    checkout = _buy(logged_in).headers["Location"]
    success = _local(_pay(logged_in, checkout).headers["Location"])
    assert _enrolled(app) is None and len(delivered) == 1  # the webhook has not arrived
    assert "Grazie!" in logged_in.get(success).get_data(as_text=True)
    assert _enrolled(app) == "active"
    monkeypatch.undo()
    with app.app_context():  # the webhook arrives after all: nothing more happens
        assert test_checkout.deliver(delivered[0]) == "already_paid"


def _coupon(app, **values):
    with app.app_context():
        return coupons.create_coupon(**values).id


def test_coupon_percent_and_amount_are_applied_to_the_price_sent(app, logged_in, course):
    _coupon(app, code="lancio20", percent_off=20)
    checkout = _buy(logged_in, " Lancio20 ").headers["Location"]
    page = logged_in.get(checkout).get_data(as_text=True)
    assert "237,60" in page and "59,40" in page
    with app.app_context():
        order = db.session.scalar(select(Order))
        assert (order.list_price_cents, order.discount_cents, order.amount_cents) == (
            29700,
            5940,
            23760,
        )
        from lms.services import test_mode_store

        assert test_mode_store.get(order.checkout_session_id)["amount_total"] == 23760

    _coupon(app, code="MENO50", amount_off_cents=5000)
    checkout2 = _buy(logged_in, "meno50").headers["Location"]
    assert checkout2 != checkout  # a new price is a new order; the old one is set aside
    with app.app_context():
        statuses = sorted(db.session.scalars(select(Order.status)).all())
        assert statuses == ["canceled", "pending"]
        assert (
            db.session.scalar(select(Order).where(Order.status == "pending")).amount_cents == 24700
        )


def test_coupon_rules(app, logged_in, course):
    with app.app_context():
        other = factories.make_course(slug="altro").id
    _coupon(app, code="SCADUTO", percent_off=10, expires_at=utcnow() - timedelta(seconds=1))
    _coupon(app, code="FINITO", percent_off=10, max_redemptions=1)
    _coupon(app, code="ALTRO", percent_off=10, course_id=other)
    _coupon(app, code="QUASI", amount_off_cents=29680)
    with app.app_context():
        db.session.execute(
            Coupon.__table__.update().where(Coupon.code == "FINITO").values(redemptions=1)
        )
        db.session.commit()
    expected = {
        "NESSUNO": "non esiste",
        "SCADUTO": "è scaduto",
        "FINITO": "numero massimo",
        "ALTRO": "non è valido per questo corso",
        "QUASI": "non può essere usato",
    }
    for code, message in expected.items():
        response = _buy(logged_in, code)
        page = response.get_data(as_text=True)
        assert response.status_code == 422, code
        assert message in page, code
        assert f'value="{code}"' in page, code  # what was typed is kept
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Order)) == 0


def test_coupon_redemptions_counted_once_when_paid(app, logged_in, course):
    coupon_id = _coupon(app, code="UNO", percent_off=10, max_redemptions=1)
    checkout = _buy(logged_in, "UNO").headers["Location"]
    _pay(logged_in, checkout)
    _pay(logged_in, checkout)
    with app.app_context():
        assert db.session.get(Coupon, coupon_id).redemptions == 1


def test_full_discount_enrolls_without_payment(app, logged_in, course):
    _coupon(app, code="OMAGGIO", percent_off=100)
    response = _buy(logged_in, "omaggio")
    assert response.status_code == 302 and response.headers["Location"] == "/courses/corso-va"
    assert _enrolled(app) == "active"
    with app.app_context():
        order = db.session.scalar(select(Order))
        assert (order.status, order.amount_cents) == ("paid", 0)


def test_free_course_in_one_click(app, logged_in):
    with app.app_context():
        factories.make_course(slug="gratis", price_cents=0)
    page = logged_in.get("/courses/gratis").get_data(as_text=True)
    assert "Gratuito" in page and "Iscriviti gratis" in page
    assert logged_in.post("/courses/gratis/enroll").status_code == 302
    assert logged_in.post("/courses/gratis/enroll").status_code == 302
    with app.app_context():
        rows = db.session.scalars(select(Enrollment)).all()
        assert [(row.status, row.source) for row in rows] == [("active", "free")]


def test_paid_course_cannot_be_joined_for_free(app, logged_in, course):
    assert logged_in.post("/courses/corso-va/enroll").status_code == 400
    assert _enrolled(app) is None


def test_checkout_page_does_not_exist_in_live_mode(make_app):
    app = make_app(STRIPE_SECRET_KEY="sk_live_not_used")
    with app.app_context():
        factories.make_user(email="studente@example.org")
    client = app.test_client()
    login(client, "studente@example.org")
    assert client.get("/checkout/test/cs_test_anything").status_code == 404


def test_a_capped_coupon_is_not_used_beyond_its_cap(app, course):
    _coupon(app, code="UNICO", percent_off=50, max_redemptions=1)
    with app.app_context():
        factories.make_user(email="prima@example.org")
        factories.make_user(email="seconda@example.org")
    first, second = app.test_client(), app.test_client()
    login(first, "prima@example.org")
    login(second, "seconda@example.org")
    assert _buy(first, "UNICO").status_code == 303
    refused = _buy(second, "UNICO")
    assert refused.status_code == 422 and "numero massimo" in refused.get_data(as_text=True)
    # Taking the coupon off gives its use back.
    assert _buy(first, "").status_code == 303
    assert _buy(second, "UNICO").status_code == 303


def test_a_replaced_checkout_can_no_longer_be_paid(app, logged_in, course):
    _coupon(app, code="DIECI", percent_off=10)
    old = _buy(logged_in).headers["Location"]
    new = _buy(logged_in, "DIECI").headers["Location"]
    assert old != new
    _pay(logged_in, old)
    assert _enrolled(app) is None  # the old session was expired: nothing charged, nothing granted
    _pay(logged_in, new)
    assert _enrolled(app) == "active"
    with app.app_context():
        assert db.session.scalars(select(Order.status).order_by(Order.id)).all() == [
            "canceled",
            "paid",
        ]


def test_success_page_when_stripe_is_unreachable(app, logged_in, course, monkeypatch):
    from lms.services import payments

    def down(session_id):
        raise payments.PaymentProviderError("timeout")

    monkeypatch.setattr(payments, "retrieve_checkout_session", down)
    response = logged_in.get("/checkout/success?session_id=cs_test_x")
    assert response.status_code == 503
    assert "non serve pagare di nuovo" in response.get_data(as_text=True)
