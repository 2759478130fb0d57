"""Reading the community: pages of threads and of posts, as the viewer may see them."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select

from lms.extensions import db
from lms.models import CommunityMember, Post, PostState, Thread, User
from lms.services.community_access import Viewer

POSTS_PER_PAGE = 20


@dataclass(frozen=True)
class PostView:
    post: Post
    author: User | None
    member: CommunityMember | None


def visible_to(viewer: Viewer):
    """Posts the viewer sees: visible ones, their own held ones; staff see held and hidden too."""
    if viewer.is_staff:
        return Post.state != PostState.DELETED.value
    return or_(
        Post.state == PostState.VISIBLE.value,
        (Post.state == PostState.HELD.value) & (Post.author_id == viewer.user_id),
    )


def thread_in_course(course_id: int, thread_id: int) -> Thread | None:
    return db.session.scalar(
        select(Thread).where(Thread.id == thread_id, Thread.course_id == course_id)
    )


def post_in_course(course_id: int, post_id: int) -> Post | None:
    return db.session.scalar(
        select(Post)
        .join(Thread, Thread.id == Post.thread_id)
        .where(Post.id == post_id, Thread.course_id == course_id)
    )


def page_of_post(viewer: Viewer, post: Post) -> int:
    """The page of its thread on which `post` appears for this viewer."""
    before = db.session.scalar(
        select(func.count(Post.id)).where(
            Post.thread_id == post.thread_id,
            Post.id < post.id,
            or_(visible_to(viewer), Post.state == PostState.DELETED.value),
        )
    )
    return before // POSTS_PER_PAGE + 1


def posts_page(viewer: Viewer, thread: Thread, page: int) -> tuple[list[PostView], int]:
    """One page of a thread's posts with their authors, and the number of pages.

    Deleted posts keep their place (shown as deleted) so that replies still make sense.
    """
    shown = or_(visible_to(viewer), Post.state == PostState.DELETED.value)
    total = db.session.scalar(select(func.count(Post.id)).where(Post.thread_id == thread.id, shown))
    pages = max(1, -(-total // POSTS_PER_PAGE))
    rows = db.session.execute(
        select(Post, User, CommunityMember)
        .outerjoin(User, User.id == Post.author_id)
        .outerjoin(
            CommunityMember,
            (CommunityMember.user_id == Post.author_id)
            & (CommunityMember.course_id == thread.course_id),
        )
        .where(Post.thread_id == thread.id, shown)
        .order_by(Post.id)
        .offset((min(page, pages) - 1) * POSTS_PER_PAGE)
        .limit(POSTS_PER_PAGE)
    ).all()
    return [PostView(post, author, member) for post, author, member in rows], pages
