"""The account flows end to end through the test client."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from sqlalchemy import func, select

from lms.extensions import db
from lms.models import AuditEntry, LoginSession, OutboxEmail, User
from tests import factories
from tests.conftest import login, outbox_link


def _signup(
    client, email="nuova@example.org", password="una frase lunga e mia", name="Nuova Studente"
):
    return client.post(
        "/signup",
        data={"name": name, "email": email, "password": password},
    )


def test_signup_sends_a_link_that_verifies_and_logs_in(app, client):
    response = _signup(client, email="Nuova@Example.org")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/signup/check-email")
    page = client.get("/signup/check-email").get_data(as_text=True)
    assert "nuova@example.org" in page

    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "nuova@example.org"))
        assert user is not None and user.email_verified_at is None
        assert user.password_hash.startswith("$argon2id$")
        assert user.locale == "it"

    link = outbox_link(app, "nuova@example.org", "/verify-email/")
    # Opening the link (as a mail scanner would) only shows a button; the POST confirms.
    assert "Conferma il mio indirizzo" in client.get(link).get_data(as_text=True)
    assert client.get(link).status_code == 200
    response = client.post(link)
    assert response.status_code == 302
    account = client.get("/account")
    assert account.status_code == 200
    assert "nuova@example.org" in account.get_data(as_text=True)
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "nuova@example.org"))
        assert user.email_verified_at is not None

    # The link works once.
    client.post("/logout")
    assert client.get(link).status_code == 400
    assert client.post(link).status_code == 400
    assert client.get("/account").status_code == 302


def test_verification_link_does_not_switch_a_logged_in_browser(app, client, student):
    with app.app_context():
        factories.make_user(email="altro@example.org", email_verified_at=None)
    login(client, "altro@example.org")
    client.post("/verify-email/resend", data={"next": "/"})
    link = outbox_link(app, "altro@example.org", "/verify-email/")
    client.post("/logout")
    login(client, "studente@example.org")
    client.post(link)
    page = client.get("/account").get_data(as_text=True)
    assert "studente@example.org" in page  # still the same person in this browser
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "altro@example.org"))
        assert user.email_verified_at is not None


def test_password_change_cancels_unused_links(app, client, student):
    client.post("/forgot-password", data={"email": "studente@example.org"})
    old_link = outbox_link(app, "studente@example.org", "/reset-password/")
    client.post("/forgot-password", data={"email": "studente@example.org"})
    new_link = outbox_link(app, "studente@example.org", "/reset-password/")
    assert client.get(old_link).status_code == 400  # a newer link replaces it
    login(client, "studente@example.org")
    client.post(
        "/account/password",
        data={
            "current_password": factories.PASSWORD,
            "password": "nuova frase segreta",
            "confirm": "nuova frase segreta",
        },
    )
    assert client.get(new_link).status_code == 400


def test_signup_keeps_what_was_typed_and_explains_errors(client):
    response = client.post(
        "/signup",
        data={"name": "Lia Rossi", "email": "not-an-email", "password": "password"},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'value="Lia Rossi"' in page
    assert 'value="not-an-email"' in page
    assert "Inserisci un indirizzo email valido" in page
    assert "troppo comune" in page
    assert 'aria-invalid="true"' in page


def test_password_rules(client):
    cases = {
        "corta1!": "almeno 8 caratteri",
        "x" * 129: "al massimo 128 caratteri",
        "qwerty123": "troppo comune",
        "aaaaaaaaaaaa": "troppo comune",
        "lia.rossi.2026": "nome o il tuo indirizzo email",
    }
    for password, message in cases.items():
        response = _signup(
            client, email="lia.rossi@example.org", password=password, name="Lia Rossi"
        )
        assert message in response.get_data(as_text=True), password


def test_login_and_logout(app, client, student):
    assert client.get("/account").status_code == 302
    response = login(client, "STUDENTE@example.org ")
    assert response.status_code == 302
    assert client.get("/account").status_code == 200
    response = client.post("/logout")
    assert response.status_code == 302
    assert client.get("/account").status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count(LoginSession.id))) == 0


def test_logout_is_post_only(logged_in):
    assert logged_in.get("/logout").status_code == 405
    assert logged_in.get("/account").status_code == 200


def test_wrong_password_shows_one_message_and_is_audited(app, client, student):
    response = login(client, "studente@example.org", "wrong password here")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Email o password non corretti" in page
    assert 'value="studente@example.org"' in page
    with app.app_context():
        actions = db.session.scalars(select(AuditEntry.action)).all()
    assert "user.login_failed" in actions


def test_login_redirects_only_to_local_next(client, student):
    response = client.post(
        "/login?next=/account",
        data={"email": "studente@example.org", "password": factories.PASSWORD},
    )
    assert response.headers["Location"] == "/account"
    client.post("/logout")
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        response = client.post(
            "/login?next=" + target,
            data={"email": "studente@example.org", "password": factories.PASSWORD},
        )
        assert response.headers["Location"] == "/", target
        client.post("/logout")


def test_forgot_and_reset_password(app, client, student):
    response = client.post("/forgot-password", data={"email": "studente@example.org"})
    assert response.headers["Location"].endswith("/forgot-password/sent")
    link = outbox_link(app, "studente@example.org", "/reset-password/")
    assert client.get(link).status_code == 200

    response = client.post(link, data={"password": "nuova frase segreta", "confirm": "altra"})
    assert "Le due password non coincidono" in response.get_data(as_text=True)

    response = client.post(
        link, data={"password": "nuova frase segreta", "confirm": "nuova frase segreta"}
    )
    assert response.status_code == 302
    assert client.get("/account").status_code == 200  # logged in by the reset

    assert client.get(link).status_code == 400  # single use
    client.post("/logout")
    assert login(client, "studente@example.org").status_code == 200  # old password refused
    assert login(client, "studente@example.org", "nuova frase segreta").status_code == 302
    with app.app_context():
        kinds = db.session.scalars(
            select(OutboxEmail.kind).where(OutboxEmail.to_email == "studente@example.org")
        ).all()
    assert "password_changed" in kinds


def test_reset_link_expires_after_an_hour(app, client, student):
    with time_machine.travel("2026-05-01 10:00:00+00:00", tick=False) as traveller:
        client.post("/forgot-password", data={"email": "studente@example.org"})
        link = outbox_link(app, "studente@example.org", "/reset-password/")
        traveller.shift(timedelta(minutes=59))
        assert client.get(link).status_code == 200
        traveller.shift(timedelta(minutes=2))
        assert client.get(link).status_code == 400
        response = client.post(
            link, data={"password": "nuova frase segreta", "confirm": "nuova frase segreta"}
        )
        assert response.status_code == 400


def test_reset_token_is_stored_hashed(app, client, student):
    from lms.models import UserToken

    client.post("/forgot-password", data={"email": "studente@example.org"})
    token = outbox_link(app, "studente@example.org", "/reset-password/").rsplit("/", 1)[1]
    with app.app_context():
        stored = db.session.scalars(select(UserToken.token_hash)).all()
    assert token not in stored
    assert all(len(value) == 64 for value in stored)


def test_change_password_asks_the_current_one(app, logged_in):
    response = logged_in.post(
        "/account/password",
        data={
            "current_password": "not it at all",
            "password": "un'altra frase",
            "confirm": "un'altra frase",
        },
    )
    assert "La password attuale non è corretta" in response.get_data(as_text=True)
    response = logged_in.post(
        "/account/password",
        data={
            "current_password": factories.PASSWORD,
            "password": "un'altra frase",
            "confirm": "un'altra frase",
        },
    )
    assert response.status_code == 302
    assert logged_in.get("/account").status_code == 200  # this browser stays logged in
    logged_in.post("/logout")
    assert login(logged_in, "studente@example.org", "un'altra frase").status_code == 302


def test_unverified_user_sees_a_banner_and_can_resend(app, client):
    with app.app_context():
        factories.make_user(email="nuovo@example.org", email_verified_at=None)
    login(client, "nuovo@example.org")
    page = client.get("/").get_data(as_text=True)
    assert "conferma il tuo indirizzo email" in page.lower()
    client.post("/verify-email/resend", data={"next": "/"})
    assert outbox_link(app, "nuovo@example.org", "/verify-email/")


def test_create_user_command(app):
    result = app.test_cli_runner().invoke(
        args=[
            "lms",
            "create-user",
            "--email",
            "Docente@Example.org",
            "--name",
            "Giulia Neri",
            "--role",
            "instructor",
            "--password",
            "lezioni in cattedra",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "instructor docente@example.org" in result.output
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "docente@example.org"))
        assert user.role == "instructor" and user.is_staff and user.email_verified_at
    again = app.test_cli_runner().invoke(
        args=[
            "lms",
            "create-user",
            "--email",
            "docente@example.org",
            "--name",
            "X",
            "--password",
            "lezioni in cattedra",
        ]
    )
    assert again.exit_code != 0 and "already exists" in again.output
    weak = app.test_cli_runner().invoke(
        args=[
            "lms",
            "create-user",
            "--email",
            "b@example.org",
            "--name",
            "B",
            "--password",
            "password1",
        ]
    )
    assert weak.exit_code != 0 and "too common" in weak.output


def test_simultaneous_logins_all_succeed(app):
    """Logins hash outside the write lock and then queue for it: none fails under contention."""
    import threading

    with app.app_context():
        for number in range(8):
            factories.make_user(email=f"parallelo{number}@example.org")
    barrier = threading.Barrier(8)
    codes = []

    def attempt(number):
        client = app.test_client()
        barrier.wait()
        codes.append(login(client, f"parallelo{number}@example.org").status_code)
        codes.append(client.get("/account").status_code)

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(codes) == [200] * 8 + [302] * 8
    with app.app_context():
        assert db.session.scalar(select(func.count(LoginSession.id))) == 8


def test_private_pages_are_not_cached(app, logged_in):
    assert logged_in.get("/account").headers["Cache-Control"] == "no-store"
    assert logged_in.get("/").headers["Cache-Control"] == "no-store"
    anonymous = app.test_client()
    assert "Cache-Control" not in anonymous.get("/courses/").headers
    assert anonymous.get("/login").headers["Cache-Control"] == "no-store"
