"""Who may enter a course's community, and their member record in it.

Access is decided on every request from the enrollment (or the staff role), never from the
member row: a refund or a revocation closes the door at once, while the member's posts stay.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from lms.extensions import db
from lms.models import CommunityMember, Course, User, utcnow
from lms.services import enrollment
from lms.services.directory import slugify
from lms.services.errors import DomainError

HANDLE_LENGTH = 30


class NotAMember(DomainError):
    """Only the course's enrolled students, its graduates and the staff come in."""


@dataclass(frozen=True)
class Viewer:
    """The person looking at a community page, as the templates and services need them."""

    user_id: int
    member_id: int
    handle: str
    is_staff: bool
    is_mentor: bool
    suspended_until: datetime | None

    def can_post(self, now: datetime | None = None) -> bool:
        return self.suspended_until is None or self.suspended_until <= (now or utcnow())

    @property
    def can_moderate(self) -> bool:
        return self.is_staff


def has_access(user: User, course_id: int) -> bool:
    if not user.is_active:
        return False
    return user.is_staff or enrollment.is_enrolled(user.id, course_id)


def find_member(course_id: int, user_id: int) -> CommunityMember | None:
    return db.session.scalar(
        select(CommunityMember).where(
            CommunityMember.course_id == course_id, CommunityMember.user_id == user_id
        )
    )


def enter(user: User, course: Course) -> Viewer:
    """The viewer for `user` in `course`'s community, making their member row on the first visit.

    Raises NotAMember when the user has no access (never enrolled, refunded, revoked).
    """
    if not has_access(user, course.id):
        raise NotAMember()
    member = find_member(course.id, user.id) or _join(user, course)
    return viewer_of(member, user)


def viewer_of(member: CommunityMember, user: User) -> Viewer:
    return Viewer(
        user_id=user.id,
        member_id=member.id,
        handle=member.handle,
        is_staff=user.is_staff,
        is_mentor=member.is_mentor,
        suspended_until=member.posting_suspended_until,
    )


def _join(user: User, course: Course) -> CommunityMember:
    """Create the member row with a free handle; the unique constraints settle any race."""
    for handle in _handle_candidates(user.name):
        try:
            with db.session.begin_nested():
                member = CommunityMember(course_id=course.id, user_id=user.id, handle=handle)
                db.session.add(member)
        except IntegrityError:
            existing = find_member(course.id, user.id)
            if existing is not None:  # the same person, joining from two tabs at once
                return existing
            continue
        db.session.commit()
        return member
    raise RuntimeError("no free handle")  # pragma: no cover - 1000 namesakes in one course


def _handle_candidates(name: str):
    base = slugify(name).removeprefix("profilo-")[:HANDLE_LENGTH].strip("-") or "membro"
    yield base
    taken = set(
        db.session.scalars(
            select(CommunityMember.handle).where(CommunityMember.handle.like(f"{base}-%"))
        )
    )
    for number in range(2, 1000):
        candidate = f"{base}-{number}"
        if candidate not in taken:
            yield candidate
