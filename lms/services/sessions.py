"""Server-side login sessions.

The signed cookie only carries a random session id. A session is valid while its row exists, so
logging out, changing the password or resetting it ends copies of the cookie too.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import delete, select, update

from lms.extensions import db, write_transaction
from lms.models import LoginSession, User, utcnow

IDLE_TIMEOUT = timedelta(days=14)
ABSOLUTE_TIMEOUT = timedelta(days=30)
TOUCH_EVERY = timedelta(minutes=5)


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def start_session(user: User, *, ip: str | None, user_agent: str | None) -> str:
    """Add a session row to the open transaction and return the id for the cookie."""
    session_id = secrets.token_urlsafe(32)
    db.session.add(
        LoginSession(
            id=_digest(session_id),
            user_id=user.id,
            ip=ip,
            user_agent=(user_agent or "")[:255] or None,
        )
    )
    return session_id


def end_session(session_id: str | None) -> None:
    if session_id:
        with write_transaction():
            db.session.execute(delete(LoginSession).where(LoginSession.id == _digest(session_id)))
            db.session.commit()


def end_all_sessions(user_id: int) -> None:
    """Delete every session of a user, in the caller's transaction."""
    db.session.execute(delete(LoginSession).where(LoginSession.user_id == user_id))


def load_session_user(user_id: int, session_id: str | None) -> User | None:
    """The user behind a cookie, or None when the session was ended, expired or the user is gone."""
    if not session_id:
        return None
    row = db.session.execute(
        select(LoginSession, User)
        .join(User, User.id == LoginSession.user_id)
        .where(LoginSession.id == _digest(session_id), User.id == user_id)
    ).first()
    if row is None:
        return None
    login_session, user = row
    now = utcnow()
    if (
        user.deleted_at is not None
        or now - login_session.last_seen_at > IDLE_TIMEOUT
        or now - login_session.created_at > ABSOLUTE_TIMEOUT
    ):
        return None
    if now - login_session.last_seen_at > TOUCH_EVERY:
        # At most every few minutes, before the view runs: nothing of the view is pending yet.
        with write_transaction():
            db.session.execute(
                update(LoginSession)
                .where(LoginSession.id == login_session.id)
                .values(last_seen_at=now)
            )
            db.session.commit()
        user = db.session.get(User, user_id)
    return user
