"""The community's moderation rules: who may post, and which posts wait for review."""

from __future__ import annotations

from datetime import datetime

from lms.models import CommunityMember, Course, PostState
from lms.services.community_access import Viewer
from lms.services.errors import DomainError


class PostingSuspended(DomainError):
    """The instructor has suspended this member from posting."""

    def __init__(self, until: datetime):
        super().__init__()
        self.until = until


def ensure_can_post(viewer: Viewer, now: datetime | None = None) -> None:
    if not viewer.can_post(now):
        raise PostingSuspended(viewer.suspended_until)


def initial_state(member: CommunityMember, course: Course, is_staff: bool) -> PostState:
    """A new member's first posts wait for review when the course asks for it; staff never wait."""
    if is_staff or member.published_posts >= (course.community_review_first_posts or 0):
        return PostState.VISIBLE
    return PostState.HELD
