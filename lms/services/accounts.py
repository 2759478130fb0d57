"""Sign-up, email verification, log-in checks and passwords.

Every answer that depends on whether an email is registered is the same for both cases, and
costs the same work; the difference only shows in the mailbox of the address's owner.
Passwords are hashed before a write transaction opens, never while it holds the lock.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from lms.extensions import db, write_transaction
from lms.models import Role, TokenPurpose, User, UserToken, utcnow
from lms.services import audit, passwords, sessions
from lms.services.errors import DomainError
from lms.services.links import external_url
from lms.services.mail import queue_email

TOKEN_LIFETIME = {
    TokenPurpose.VERIFY_EMAIL: timedelta(hours=48),
    TokenPurpose.RESET_PASSWORD: timedelta(hours=1),
}


class InvalidCredentials(DomainError):
    """Unknown email or wrong password: deliberately the same error."""


class InvalidToken(DomainError):
    """The link is unknown, used, expired or meant for something else."""


class PasswordRejected(DomainError):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def normalize_email(email: str) -> str:
    return email.strip().lower()


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalize_email(email)))


def _check_new_password(password: str, email: str, name: str) -> None:
    reason = passwords.password_problem(password, email=email, name=name)
    if reason:
        raise PasswordRejected(reason)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _cancel_tokens(user_id: int, *purposes: TokenPurpose) -> None:
    """Unused links of these kinds stop working (a newer one was sent, or the password changed)."""
    db.session.execute(
        update(UserToken)
        .where(
            UserToken.user_id == user_id,
            UserToken.purpose.in_([purpose.value for purpose in purposes]),
            UserToken.used_at.is_(None),
        )
        .values(used_at=utcnow())
    )


def _issue_token(user: User, purpose: TokenPurpose) -> str:
    token = secrets.token_urlsafe(32)
    db.session.add(
        UserToken(
            user_id=user.id,
            purpose=purpose.value,
            email=user.email,
            token_hash=_digest(token),
            expires_at=utcnow() + TOKEN_LIFETIME[purpose],
        )
    )
    return token


def _valid_token(token: str, purpose: TokenPurpose) -> UserToken | None:
    row = db.session.scalar(select(UserToken).where(UserToken.token_hash == _digest(token)))
    if (
        row is None
        or row.purpose != purpose
        or row.used_at is not None
        or row.expires_at < utcnow()
    ):
        return None
    return row


def _consume_token(token: str, purpose: TokenPurpose) -> User:
    """Mark a token used and return its user; the conditional update makes it single-use."""
    row = _valid_token(token, purpose)
    if row is None:
        raise InvalidToken("invalid")
    used = db.session.execute(
        update(UserToken)
        .where(UserToken.id == row.id, UserToken.used_at.is_(None))
        .values(used_at=utcnow())
    )
    user = db.session.get(User, row.user_id)
    if used.rowcount != 1 or user is None or user.deleted_at or user.email != row.email:
        raise InvalidToken("invalid")
    return user


def token_is_valid(token: str, purpose: TokenPurpose) -> bool:
    return _valid_token(token, purpose) is not None


def _queue_verification(user: User) -> None:
    _cancel_tokens(user.id, TokenPurpose.VERIFY_EMAIL)
    token = _issue_token(user, TokenPurpose.VERIFY_EMAIL)
    queue_email(
        user.email,
        "verify_email",
        user.locale,
        lambda: _("Confirm your email address"),
        link=external_url("auth.verify_email", token=token),
    )


def register(name: str, email: str, password: str, locale: str, ip: str | None) -> User | None:
    """Create a student and send the verification link; return None when the email is taken.

    The caller shows the same page either way; the owner of a taken address gets an email
    that says someone tried to sign up with it.
    """
    email = normalize_email(email)
    _check_new_password(password, email, name)
    password_hash = passwords.hash_password(password)  # the same cost whether the email is taken
    with write_transaction():
        existing = find_user_by_email(email)
        if existing is None:
            user = User(
                name=name.strip(),
                email=email,
                locale=locale,
                role=Role.STUDENT.value,
                password_hash=password_hash,
            )
            db.session.add(user)
            try:
                with db.session.begin_nested():
                    db.session.flush()
            except IntegrityError:
                existing = find_user_by_email(email)
            else:
                _queue_verification(user)
                audit.record("user.signup", actor_id=user.id, target=user, ip=ip)
                db.session.commit()
                return user
        queue_email(
            existing.email,
            "signup_existing",
            existing.locale,
            lambda: _("Someone tried to sign up with your email"),
            name=existing.name,
            login_link=external_url("auth.login"),
            reset_link=external_url("auth.forgot_password"),
        )
        audit.record("user.signup_existing", actor_id=existing.id, target=existing, ip=ip)
        db.session.commit()
    return None


def resend_verification(user_id: int) -> None:
    with write_transaction():
        user = db.session.get(User, user_id)
        if user is not None and user.email_verified_at is None:
            _queue_verification(user)
        db.session.commit()


def verify_email(token: str, ip: str | None) -> User:
    """Confirm the address behind a link (once); the caller decides about the session."""
    with write_transaction():
        user = _consume_token(token, TokenPurpose.VERIFY_EMAIL)
        if user.email_verified_at is None:
            user.email_verified_at = utcnow()
            audit.record("user.email_verified", actor_id=user.id, target=user, ip=ip)
        db.session.commit()
        return user


def authenticate(email: str, password: str) -> User:
    """Return the user whose credentials these are, or raise InvalidCredentials.

    An unknown email costs the same hashing time as a wrong password. Nothing is written.
    """
    user = find_user_by_email(email)
    if user is None or user.deleted_at is not None:
        passwords.burn_verification_time(password)
        raise InvalidCredentials("invalid")
    if not passwords.verify_password(user.password_hash, password):
        raise InvalidCredentials("invalid")
    return user


def log_in(user_id: int, password: str, ip: str | None, user_agent: str | None) -> tuple[User, str]:
    """Record the login and open a server-side session; return the user and the cookie's id."""
    user = db.session.get(User, user_id)
    new_hash = (
        passwords.hash_password(password) if passwords.needs_rehash(user.password_hash) else None
    )
    with write_transaction():
        user = db.session.get(User, user_id)
        user.last_login_at = utcnow()
        if new_hash:
            user.password_hash = new_hash
        session_id = sessions.start_session(user, ip=ip, user_agent=user_agent)
        audit.record("user.login", actor_id=user.id, target=user, ip=ip)
        db.session.commit()
    return user, session_id


def open_session(user_id: int, ip: str | None, user_agent: str | None) -> str:
    """A session for a user who proved who they are another way (a verification link)."""
    with write_transaction():
        user = db.session.get(User, user_id)
        session_id = sessions.start_session(user, ip=ip, user_agent=user_agent)
        audit.record("user.login_by_link", actor_id=user.id, target=user, ip=ip)
        db.session.commit()
    return session_id


def record_failed_login(email: str, ip: str | None) -> None:
    with write_transaction():
        audit.record("user.login_failed", ip=ip, email=normalize_email(email)[:254])
        db.session.commit()


def request_password_reset(email: str, ip: str | None) -> None:
    """Email a reset link if the account exists. Both paths write and commit alike."""
    email = normalize_email(email)
    with write_transaction():
        user = find_user_by_email(email)
        if user is not None and user.deleted_at is None:
            _cancel_tokens(user.id, TokenPurpose.RESET_PASSWORD)
            token = _issue_token(user, TokenPurpose.RESET_PASSWORD)
            queue_email(
                user.email,
                "reset_password",
                user.locale,
                lambda: _("Reset your password"),
                name=user.name,
                link=external_url("auth.reset_password", token=token),
            )
        audit.record(
            "user.password_reset_requested",
            actor_id=user.id if user else None,
            ip=ip,
            email=email[:254],
        )
        db.session.commit()


def _set_password(user: User, password_hash: str) -> None:
    user.password_hash = password_hash
    user.password_changed_at = utcnow()
    sessions.end_all_sessions(user.id)
    _cancel_tokens(user.id, TokenPurpose.RESET_PASSWORD, TokenPurpose.VERIFY_EMAIL)
    queue_email(
        user.email,
        "password_changed",
        user.locale,
        lambda: _("Your password was changed"),
        name=user.name,
        reset_link=external_url("auth.forgot_password"),
    )


def reset_password(
    token: str, new_password: str, ip: str | None, user_agent: str | None
) -> tuple[User, str]:
    """Set a new password from a reset link, end every session, and open a new one."""
    row = _valid_token(token, TokenPurpose.RESET_PASSWORD)
    if row is None:
        raise InvalidToken("invalid")
    owner = db.session.get(User, row.user_id)
    _check_new_password(new_password, owner.email, owner.name)
    password_hash = passwords.hash_password(new_password)
    with write_transaction():
        user = _consume_token(token, TokenPurpose.RESET_PASSWORD)
        _set_password(user, password_hash)
        if user.email_verified_at is None:
            user.email_verified_at = utcnow()  # the link proved the address
        audit.record("user.password_reset", actor_id=user.id, target=user, ip=ip)
        session_id = sessions.start_session(user, ip=ip, user_agent=user_agent)
        db.session.commit()
        return user, session_id


def change_password(
    user_id: int, current_password: str, new_password: str, ip: str | None, user_agent: str | None
) -> str:
    """Change the password after checking the current one; end every session, open a new one."""
    user = db.session.get(User, user_id)
    if not passwords.verify_password(user.password_hash, current_password):
        raise InvalidCredentials("invalid")
    _check_new_password(new_password, user.email, user.name)
    password_hash = passwords.hash_password(new_password)
    with write_transaction():
        user = db.session.get(User, user_id)
        _set_password(user, password_hash)
        audit.record("user.password_changed", actor_id=user.id, target=user, ip=ip)
        session_id = sessions.start_session(user, ip=ip, user_agent=user_agent)
        db.session.commit()
    return session_id


def set_locale(user_id: int, locale: str) -> None:
    with write_transaction():
        db.session.execute(update(User).where(User.id == user_id).values(locale=locale))
        db.session.commit()


def create_user(
    email: str, name: str, password: str, role: Role, *, verified: bool = True, locale: str = "it"
) -> User:
    """Create an account from the command line; raises DomainError when the email is taken."""
    email = normalize_email(email)
    _check_new_password(password, email, name)
    password_hash = passwords.hash_password(password)
    with write_transaction():
        user = User(
            email=email,
            name=name,
            role=role.value,
            locale=locale,
            password_hash=password_hash,
            email_verified_at=utcnow() if verified else None,
        )
        db.session.add(user)
        try:
            db.session.flush()
        except IntegrityError as error:
            db.session.rollback()
            raise DomainError("email_taken") from error
        audit.record("user.created", target=user, role=role.value)
        db.session.commit()
        return user
