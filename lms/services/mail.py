"""Outgoing email through the outbox.

`queue_email` writes the message into the caller's transaction, so an email exists exactly when
its cause was committed. `deliver_pending` sends it later, outside any transaction: rows are
claimed with a lease, sent, then marked sent or rescheduled with back-off.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid
from urllib.parse import unquote, urlsplit

from flask import current_app, render_template
from flask_babel import force_locale
from sqlalchemy import func, select, update

from lms.extensions import db, write_transaction
from lms.models import OutboxEmail, utcnow

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=15)  # longer than a batch can take (50 x 20 s timeout)
MAX_ATTEMPTS = 8


def backoff(attempts: int) -> timedelta:
    """1, 2, 4 ... minutes between tries, at most six hours."""
    return timedelta(minutes=min(2 ** (attempts - 1), 360))


def queue_email(
    to_email: str,
    kind: str,
    locale: str,
    subject: Callable[[], str],
    **context,
) -> OutboxEmail:
    """Render `mail/<kind>.txt` in the recipient's locale and add it to the open transaction.

    `subject` is called inside the recipient's locale, so pass a lambda around gettext.
    """
    with force_locale(locale or "it"):
        message = OutboxEmail(
            to_email=to_email,
            kind=kind,
            subject=" ".join(subject().split()),  # a line break in a header would stop the send
            body_text=render_template(f"mail/{kind}.txt", **context),
        )
    db.session.add(message)
    return message


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    username: str | None
    password: str | None
    implicit_tls: bool
    starttls: bool
    timeout: float = 20.0

    @classmethod
    def from_url(cls, url: str) -> SmtpSettings:
        """Parse `smtp://user:pass@host:587` (STARTTLS when offered), `smtps://` (TLS) or
        `smtp+plain://` (no encryption: loopback relays only)."""
        parts = urlsplit(url)
        if parts.scheme not in {"smtp", "smtps", "smtp+plain"}:
            raise ValueError(
                f"MAIL_URL scheme must be smtp, smtps or smtp+plain, not {parts.scheme!r}"
            )
        implicit = parts.scheme == "smtps"
        return cls(
            host=parts.hostname or "localhost",
            port=parts.port or (465 if implicit else 587),
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            implicit_tls=implicit,
            starttls=parts.scheme == "smtp",
        )


@dataclass(frozen=True)
class ClaimedEmail:
    """A message taken from the outbox, as plain data: no ORM object outlives the claim."""

    id: int
    to_email: str
    subject: str
    body_text: str
    attempts: int


def _build_message(row: ClaimedEmail, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = row.to_email
    message["Subject"] = row.subject
    message["Message-ID"] = make_msgid(idstring=f"outbox{row.id}")
    message.set_content(row.body_text)
    return message


def _send_smtp(settings: SmtpSettings, messages: list[EmailMessage]) -> dict[str, str]:
    """Send over one connection; return {Message-ID: error} for the ones that failed."""
    context = ssl.create_default_context()
    if settings.implicit_tls:
        client = smtplib.SMTP_SSL(
            settings.host, settings.port, timeout=settings.timeout, context=context
        )
    else:
        client = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
    failures: dict[str, str] = {}
    with client:
        client.ehlo()
        if settings.starttls:
            if not client.has_extn("starttls"):
                raise smtplib.SMTPNotSupportedError("the server does not offer STARTTLS")
            client.starttls(context=context)
            client.ehlo()
        if settings.username:
            client.login(settings.username, settings.password or "")
        for message in messages:
            try:
                client.send_message(message)
            except smtplib.SMTPException as error:
                failures[message["Message-ID"]] = str(error)[:500]
    return failures


@write_transaction()
def _claim(batch_size: int, now: datetime) -> list[ClaimedEmail]:
    """Take a lease on up to `batch_size` due messages, so two workers never send the same one.

    The transaction is committed before returning: nothing stays open while SMTP is talked to.
    """
    rows = db.session.scalars(
        select(OutboxEmail)
        .where(OutboxEmail.sent_at.is_(None), OutboxEmail.failed_at.is_(None))
        .where(OutboxEmail.send_after <= now)
        .order_by(OutboxEmail.id)
        .limit(batch_size)
        .with_for_update(skip_locked=True)
    ).all()
    claimed = []
    for row in rows:
        taken = ClaimedEmail(row.id, row.to_email, row.subject, row.body_text, row.attempts + 1)
        # The conditional update is the claim on SQLite, where FOR UPDATE does nothing.
        result = db.session.execute(
            update(OutboxEmail)
            .where(OutboxEmail.id == row.id, OutboxEmail.send_after == row.send_after)
            .values(send_after=now + LEASE, attempts=OutboxEmail.attempts + 1)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount == 1:
            claimed.append(taken)
    db.session.commit()
    return claimed


def deliver_pending(batch_size: int = 50) -> tuple[int, int]:
    """Send what is due; return (sent, failed). Without MAIL_URL, write each email to the log."""
    now = utcnow()
    claimed = _claim(batch_size, now)
    if not claimed:
        return 0, 0
    mail_url = current_app.config["MAIL_URL"]
    sender = current_app.config["MAIL_FROM"]
    messages: dict[int, EmailMessage] = {}
    unbuildable: dict[int, str] = {}
    for row in claimed:
        try:
            messages[row.id] = _build_message(row, sender)
        except (ValueError, TypeError) as error:  # never sendable: give up on it, not the batch
            unbuildable[row.id] = f"cannot build the message: {error}"[:500]
    errors: dict[int, str] = {}
    if not mail_url:
        for row in claimed:
            if row.id in unbuildable:
                continue
            log.info(
                "email (not sent, no MAIL_URL) to=%s subject=%s\n%s",
                row.to_email,
                row.subject,
                row.body_text,
            )
    else:
        try:
            failures = _send_smtp(SmtpSettings.from_url(mail_url), list(messages.values()))
        except (OSError, smtplib.SMTPException) as error:
            failures = {
                message["Message-ID"]: f"{type(error).__name__}: {error}"[:500]
                for message in messages.values()
            }
        errors = {
            row_id: failures[m["Message-ID"]]
            for row_id, m in messages.items()
            if m["Message-ID"] in failures
        }
    errors.update(unbuildable)
    _record_results(claimed, errors, give_up=set(unbuildable))
    return len(claimed) - len(errors), len(errors)


@write_transaction()
def _record_results(
    claimed: list[ClaimedEmail], errors: dict[int, str], give_up: set[int] = frozenset()
) -> None:
    now = utcnow()
    for row in claimed:
        if row.id not in errors:
            values = {"sent_at": now, "last_error": None}
        elif row.attempts >= MAX_ATTEMPTS or row.id in give_up:
            values = {"failed_at": now, "last_error": errors[row.id]}
            log.error(
                "email %s to %s given up after %s attempts: %s",
                row.id,
                row.to_email,
                row.attempts,
                errors[row.id],
            )
        else:
            values = {"send_after": now + backoff(row.attempts), "last_error": errors[row.id]}
            log.warning(
                "email %s to %s failed (attempt %s): %s",
                row.id,
                row.to_email,
                row.attempts,
                errors[row.id],
            )
        db.session.execute(update(OutboxEmail).where(OutboxEmail.id == row.id).values(**values))
    db.session.commit()


def pending_count() -> int:
    return db.session.scalar(
        select(func.count(OutboxEmail.id)).where(
            OutboxEmail.sent_at.is_(None), OutboxEmail.failed_at.is_(None)
        )
    )
