"""Sign-up, email verification, log-in checks and passwords.

Every answer that depends on whether an email is registered is the same for both cases;
the difference only shows in the mailbox of the address's owner.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from lms.extensions import db
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


def _issue_token(user: User, purpose: TokenPurpose) -> str:
    token = secrets.token_urlsafe(32)
    db.session.add(
        UserToken(
            user_id=user.id,
            purpose=purpose.value,
            email=user.email,
            token_hash=hashlib.sha256(token.encode()).hexdigest(),
            expires_at=utcnow() + TOKEN_LIFETIME[purpose],
        )
    )
    return token


def _consume_token(token: str, purpose: TokenPurpose) -> User:
    """Mark a token used and return its user; the conditional update makes it single-use."""
    digest = hashlib.sha256(token.encode()).hexdigest()
    row = db.session.scalar(select(UserToken).where(UserToken.token_hash == digest))
    now = utcnow()
    if row is None or row.purpose != purpose or row.used_at is not None or row.expires_at < now:
        raise InvalidToken("invalid")
    used = db.session.execute(
        update(UserToken)
        .where(UserToken.id == row.id, UserToken.used_at.is_(None))
        .values(used_at=now)
    )
    user = db.session.get(User, row.user_id)
    if used.rowcount != 1 or user is None or user.deleted_at or user.email != row.email:
        db.session.rollback()
        raise InvalidToken("invalid")
    return user


def _queue_verification(user: User) -> None:
    token = _issue_token(user, TokenPurpose.VERIFY_EMAIL)
    queue_email(
        user.email,
        "verify_email",
        user.locale,
        lambda: _("Confirm your email address"),
        name=user.name,
        link=external_url("auth.verify_email", token=token),
    )


def register(name: str, email: str, password: str, locale: str, ip: str | None) -> User | None:
    """Create a student and send the verification link; return None when the email is taken.

    The caller shows the same page either way; the owner of a taken address gets an email
    that says someone tried to sign up with it.
    """
    email = normalize_email(email)
    _check_new_password(password, email, name)
    existing = find_user_by_email(email)
    if existing is None:
        user = User(
            name=name.strip(),
            email=email,
            locale=locale,
            role=Role.STUDENT.value,
            password_hash=passwords.hash_password(password),
        )
        db.session.add(user)
        try:
            db.session.flush()
        except IntegrityError:
            db.session.rollback()
            existing = find_user_by_email(email)
        else:
            _queue_verification(user)
            audit.record("user.signup", actor_id=user.id, target=user, ip=ip)
            db.session.commit()
            return user
    if existing is not None:
        passwords.hash_password(password)  # the same hashing time as a new account
        queue_email(
            existing.email,
            "signup_existing",
            existing.locale,
            lambda: _("Someone tried to sign up with your email"),
            name=existing.name,
            login_link=external_url("auth.login"),
            reset_link=external_url("auth.forgot_password"),
        )
        db.session.commit()
    return None


def resend_verification(user: User) -> None:
    if user.email_verified_at is None:
        _queue_verification(user)
        db.session.commit()


def verify_email(token: str, ip: str | None) -> User:
    user = _consume_token(token, TokenPurpose.VERIFY_EMAIL)
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
        audit.record("user.email_verified", actor_id=user.id, target=user, ip=ip)
    db.session.commit()
    return user


def authenticate(email: str, password: str) -> User:
    """Return the user whose credentials these are, or raise InvalidCredentials.

    An unknown email costs the same hashing time as a wrong password.
    """
    user = find_user_by_email(email)
    if user is None or user.deleted_at is not None:
        passwords.burn_verification_time(password)
        raise InvalidCredentials("invalid")
    if not passwords.verify_password(user.password_hash, password):
        raise InvalidCredentials("invalid")
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    return user


def log_in(user: User, ip: str | None, user_agent: str | None) -> str:
    """Record the login and open a server-side session; return its id for the cookie."""
    user.last_login_at = utcnow()
    session_id = sessions.start_session(user, ip=ip, user_agent=user_agent)
    audit.record("user.login", actor_id=user.id, target=user, ip=ip)
    db.session.commit()
    return session_id


def record_failed_login(email: str, ip: str | None) -> None:
    audit.record("user.login_failed", ip=ip, email=normalize_email(email)[:254])
    db.session.commit()


def request_password_reset(email: str, ip: str | None) -> None:
    """Email a reset link if the account exists; say nothing either way."""
    user = find_user_by_email(email)
    if user is None or user.deleted_at is not None:
        return
    token = _issue_token(user, TokenPurpose.RESET_PASSWORD)
    queue_email(
        user.email,
        "reset_password",
        user.locale,
        lambda: _("Reset your password"),
        name=user.name,
        link=external_url("auth.reset_password", token=token),
    )
    audit.record("user.password_reset_requested", actor_id=user.id, target=user, ip=ip)
    db.session.commit()


def check_reset_token(token: str) -> bool:
    digest = hashlib.sha256(token.encode()).hexdigest()
    row = db.session.scalar(select(UserToken).where(UserToken.token_hash == digest))
    return bool(
        row
        and row.purpose == TokenPurpose.RESET_PASSWORD
        and row.used_at is None
        and row.expires_at >= utcnow()
    )


def _set_password(user: User, new_password: str) -> None:
    _check_new_password(new_password, user.email, user.name)
    user.password_hash = passwords.hash_password(new_password)
    user.password_changed_at = utcnow()
    sessions.end_all_sessions(user.id)
    db.session.execute(
        update(UserToken)
        .where(
            UserToken.user_id == user.id,
            UserToken.purpose == TokenPurpose.RESET_PASSWORD.value,
            UserToken.used_at.is_(None),
        )
        .values(used_at=utcnow())
    )
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
    user = _consume_token(token, TokenPurpose.RESET_PASSWORD)
    try:
        _set_password(user, new_password)
    except PasswordRejected:
        db.session.rollback()
        raise
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
    audit.record("user.password_reset", actor_id=user.id, target=user, ip=ip)
    session_id = sessions.start_session(user, ip=ip, user_agent=user_agent)
    db.session.commit()
    return user, session_id


def change_password(
    user: User, current_password: str, new_password: str, ip: str | None, user_agent: str | None
) -> str:
    """Change the password after checking the current one; end every session, open a new one."""
    if not passwords.verify_password(user.password_hash, current_password):
        raise InvalidCredentials("invalid")
    _set_password(user, new_password)
    audit.record("user.password_changed", actor_id=user.id, target=user, ip=ip)
    session_id = sessions.start_session(user, ip=ip, user_agent=user_agent)
    db.session.commit()
    return session_id


def set_locale(user: User, locale: str) -> None:
    user.locale = locale
    db.session.commit()


def create_user(
    email: str, name: str, password: str, role: Role, *, verified: bool = True, locale: str = "it"
) -> User:
    """Create an account from the command line; raises DomainError when the email is taken."""
    email = normalize_email(email)
    _check_new_password(password, email, name)
    user = User(
        email=email,
        name=name,
        role=role.value,
        locale=locale,
        password_hash=passwords.hash_password(password),
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
