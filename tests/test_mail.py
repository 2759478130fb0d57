"""The outbox: written with its cause, delivered over real SMTP on loopback, retried on failure."""

from __future__ import annotations

import email
import logging
import socket
from datetime import timedelta

import pytest
import time_machine
from aiosmtpd.controller import Controller
from sqlalchemy import select

from lms.extensions import db
from lms.models import OutboxEmail, User
from lms.services import mail
from tests import factories


class Inbox:
    def __init__(self):
        self.messages: list[email.message.Message] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield controller, inbox
    controller.stop()


def _queue(to="destinatario@example.org", name="Ada"):
    return mail.queue_email(
        to, "reset_password", "it", lambda: "Oggetto di prova", name=name, link="http://lms.test/x"
    )


def test_email_exists_only_if_its_transaction_commits(app):
    with app.app_context():
        _queue()
        db.session.rollback()
        assert db.session.scalars(select(OutboxEmail)).all() == []
        _queue()
        db.session.commit()
        assert len(db.session.scalars(select(OutboxEmail)).all()) == 1


def test_signup_rolled_back_leaves_no_email(app, monkeypatch):
    from lms.services import accounts, audit

    def explode(*args, **kwargs):
        raise RuntimeError("audit store down")

    monkeypatch.setattr(audit, "record", explode)
    with app.app_context(), app.test_request_context():
        with pytest.raises(RuntimeError):
            accounts.register("Ada", "ada@example.org", "frase lunga abbastanza", "it", None)
        db.session.rollback()
        assert db.session.scalars(select(OutboxEmail)).all() == []
        assert db.session.scalars(select(User)).all() == []


def test_delivers_over_smtp_once(make_app, smtp_server):
    controller, inbox = smtp_server
    app = make_app(
        MAIL_URL=f"smtp+plain://127.0.0.1:{controller.port}", MAIL_FROM="Corso <corso@example.org>"
    )
    with app.app_context():
        _queue("uno@example.org", "Uno")
        _queue("due@example.org", "Due")
        db.session.commit()
        assert mail.deliver_pending() == (2, 0)
        assert mail.deliver_pending() == (0, 0)
        rows = db.session.scalars(select(OutboxEmail).order_by(OutboxEmail.id)).all()
        assert all(row.sent_at is not None and row.attempts == 1 for row in rows)
    assert [m["To"] for m in inbox.messages] == ["uno@example.org", "due@example.org"]
    first = inbox.messages[0]
    assert first["Subject"] == "Oggetto di prova"
    assert first["From"] == "Corso <corso@example.org>"
    body = first.get_payload(decode=True).decode()
    assert "Ciao Uno," in body and "http://lms.test/x" in body


def test_failed_delivery_is_retried_with_backoff(make_app, smtp_server):
    controller, inbox = smtp_server
    down_port = _free_port()
    app = make_app(MAIL_URL=f"smtp+plain://127.0.0.1:{down_port}")
    with (
        time_machine.travel("2026-03-01 09:00:00+00:00", tick=False) as traveller,
        app.app_context(),
    ):
        _queue()
        db.session.commit()
        assert mail.deliver_pending() == (0, 1)
        row = db.session.scalar(select(OutboxEmail))
        assert row.attempts == 1 and row.sent_at is None
        assert "ConnectionRefused" in row.last_error
        assert row.send_after - row.created_at == timedelta(minutes=1)
        assert mail.deliver_pending() == (0, 0)  # not due yet

        app.config["MAIL_URL"] = f"smtp+plain://127.0.0.1:{controller.port}"
        traveller.shift(timedelta(minutes=1, seconds=1))
        assert mail.deliver_pending() == (1, 0)
        db.session.expire_all()
        row = db.session.scalar(select(OutboxEmail))
        assert row.sent_at is not None and row.attempts == 2 and row.last_error is None
    assert len(inbox.messages) == 1


def test_gives_up_after_max_attempts(make_app):
    app = make_app(MAIL_URL=f"smtp+plain://127.0.0.1:{_free_port()}")
    with (
        time_machine.travel("2026-03-01 09:00:00+00:00", tick=False) as traveller,
        app.app_context(),
    ):
        _queue()
        db.session.commit()
        for _ in range(mail.MAX_ATTEMPTS):
            assert mail.deliver_pending() == (0, 1)
            traveller.shift(timedelta(hours=7))
        row = db.session.scalar(select(OutboxEmail))
        db.session.refresh(row)
        assert row.failed_at is not None and row.attempts == mail.MAX_ATTEMPTS
        assert mail.deliver_pending() == (0, 0)


def test_without_mail_url_emails_go_to_the_log(app, caplog):
    with app.app_context():
        _queue("log@example.org")
        db.session.commit()
        with caplog.at_level(logging.INFO, logger="lms.services.mail"):
            assert mail.deliver_pending() == (1, 0)
    assert "log@example.org" in caplog.text and "http://lms.test/x" in caplog.text


def test_outbox_command(make_app, smtp_server):
    controller, inbox = smtp_server
    app = make_app(MAIL_URL=f"smtp+plain://127.0.0.1:{controller.port}")
    with app.app_context():
        factories.make_user(email="a@example.org")
        _queue("a@example.org")
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["lms", "outbox"])
    assert result.exit_code == 0, result.output
    assert "1 sent, 0 failed, 0 pending" in result.output
    assert len(inbox.messages) == 1


def test_mail_url_forms():
    settings = mail.SmtpSettings.from_url("smtps://user%40x:p%3Ass@mail.example.org")
    assert (settings.host, settings.port, settings.username, settings.password) == (
        "mail.example.org",
        465,
        "user@x",
        "p:ss",
    )
    assert settings.implicit_tls and not settings.starttls
    assert mail.SmtpSettings.from_url("smtp://mail.example.org").port == 587
    with pytest.raises(ValueError):
        mail.SmtpSettings.from_url("http://mail.example.org")


def test_emails_are_written_in_the_recipients_language(app, client):
    client.post("/language", data={"lang": "en"})
    client.post(
        "/signup",
        data={"name": "Jo Smith", "email": "jo@example.org", "password": "a long enough phrase"},
    )
    with app.app_context():
        row = db.session.scalar(select(OutboxEmail).where(OutboxEmail.to_email == "jo@example.org"))
    assert row.subject == "Confirm your email address"
    assert row.body_text.startswith("Hello,\n") and "Confirm your email address" in row.body_text
    assert "Jo Smith" not in row.body_text  # a name typed by anyone never goes to someone's inbox


def test_a_message_that_cannot_be_built_is_given_up_alone(make_app, smtp_server):
    """A header with a line break would raise when the message is built: that row fails once,
    and the rest of the batch is still sent."""
    _controller, inbox = smtp_server
    app = make_app(MAIL_URL=f"smtp+plain://127.0.0.1:{_controller.port}")
    with app.app_context():
        mail.queue_email(
            "a@example.org", "verify_email", "it", subject=lambda: "Riga\r\nBcc: x@example.org",
            name="A", link="http://lms.test/x",
        )  # fmt: skip
        db.session.add(
            OutboxEmail(to_email="b@example.org\r\nBcc: x", subject="S", body_text="B", kind="raw")
        )
        _queue("c@example.org")
        db.session.commit()
        assert mail.deliver_pending() == (2, 1)
        rows = {row.to_email: row for row in db.session.scalars(select(OutboxEmail))}
        assert rows["a@example.org"].subject == "Riga Bcc: x@example.org"  # one line
        broken = rows["b@example.org\r\nBcc: x"]
        assert broken.failed_at is not None and "cannot build" in broken.last_error
        assert mail.deliver_pending() == (0, 0)
    assert sorted(m["To"] for m in inbox.messages) == ["a@example.org", "c@example.org"]
