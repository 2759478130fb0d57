"""In-app notifications of community events: replies, mentions, accepted answers, mentoring.

They are written in the transaction of their cause; the email digest reads them later.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from lms.extensions import db
from lms.models import Notification, NotificationKind, User
from lms.services import community_access


def notify(
    user_ids: Iterable[int],
    kind: NotificationKind,
    *,
    course_id: int,
    actor_id: int | None,
    thread_id: int | None = None,
    post_id: int | None = None,
    mentorship_id: int | None = None,
) -> list[int]:
    """Add one notification per person who may still see the course; return whom.

    The actor is never told of their own act, and the unique constraint on (person, kind,
    post) keeps a retried request from notifying twice.
    """
    wanted = {user_id for user_id in user_ids if user_id != actor_id}
    if not wanted:
        return []
    users = db.session.scalars(select(User).where(User.id.in_(wanted))).all()
    notified = []
    for user in sorted(users, key=lambda u: u.id):
        if not community_access.has_access(user, course_id):
            continue
        try:
            with db.session.begin_nested():
                db.session.add(
                    Notification(
                        user_id=user.id,
                        course_id=course_id,
                        kind=kind.value,
                        thread_id=thread_id,
                        post_id=post_id,
                        mentorship_id=mentorship_id,
                        actor_id=actor_id,
                    )
                )
        except IntegrityError:
            continue
        notified.append(user.id)
    return notified


def unread_count(user_id: int) -> int:
    return db.session.scalar(
        select(func.count(Notification.id)).where(
            Notification.user_id == user_id, Notification.read_at.is_(None)
        )
    )
