"""Starting threads and replying: the writes every member makes.

A post is *announced* when it becomes visible (at once, or when the instructor approves a held
one): the thread's counters move and the people it concerns are notified, exactly once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from lms.extensions import db, write_transaction
from lms.models import (
    Category,
    CommunityMember,
    Course,
    Lesson,
    NotificationKind,
    Post,
    PostState,
    Thread,
    utcnow,
)
from lms.services import community_mentions, community_moderation, notifications
from lms.services.community_access import Viewer
from lms.services.errors import DomainError

TITLE_MAX = 200
BODY_MAX = 20_000


class ThreadLocked(DomainError):
    """The thread is locked: only the instructor can still reply."""


@dataclass(frozen=True)
class NewThread:
    category: Category
    title: str
    body: str
    submission_id: str | None = None


def start_thread(viewer: Viewer, course: Course, data: NewThread, now: datetime | None = None):
    """Open a thread with its first post; a resent form returns the thread it already opened."""
    now = now or utcnow()
    community_moderation.ensure_can_post(viewer, now)
    with write_transaction():
        if data.submission_id:
            existing = _thread_by_submission(data.submission_id, viewer.user_id)
            if existing is not None:
                return existing
        member = db.session.get(CommunityMember, viewer.member_id)
        state = community_moderation.initial_state(member, course, viewer.is_staff)
        thread = Thread(
            course_id=course.id,
            category=data.category.value,
            author_id=viewer.user_id,
            title=data.title.strip(),
            created_at=now,
            last_post_at=now,
            listed=state == PostState.VISIBLE,
            submission_id=data.submission_id,
        )
        post = Post(
            author_id=viewer.user_id,
            is_opening=True,
            body_md=data.body.strip(),
            state=state.value,
            created_at=now,
        )
        try:
            with db.session.begin_nested():
                db.session.add(thread)
                db.session.flush()
                post.thread_id = thread.id
                db.session.add(post)
                db.session.flush()
        except IntegrityError:
            db.session.rollback()
            existing = _thread_by_submission(data.submission_id or "", viewer.user_id)
            if existing is None:
                raise
            return existing
        if state == PostState.VISIBLE:
            announce_post(post, thread, now)
        db.session.commit()
        return thread


def reply(
    viewer: Viewer,
    thread: Thread,
    body: str,
    submission_id: str | None = None,
    now: datetime | None = None,
) -> Post:
    """Add a reply; a resent form returns the reply it already stored."""
    now = now or utcnow()
    community_moderation.ensure_can_post(viewer, now)
    with write_transaction():
        if submission_id:
            existing = _post_by_submission(submission_id, viewer.user_id)
            if existing is not None:
                return existing
        thread = db.session.get(Thread, thread.id)
        if thread.locked and not viewer.is_staff:
            raise ThreadLocked()
        member = db.session.get(CommunityMember, viewer.member_id)
        course = db.session.get(Course, thread.course_id)
        state = community_moderation.initial_state(member, course, viewer.is_staff)
        post = Post(
            thread_id=thread.id,
            author_id=viewer.user_id,
            body_md=body.strip(),
            state=state.value,
            created_at=now,
            submission_id=submission_id,
        )
        try:
            with db.session.begin_nested():
                db.session.add(post)
                db.session.flush()
        except IntegrityError:
            db.session.rollback()
            existing = _post_by_submission(submission_id or "", viewer.user_id)
            if existing is None:
                raise
            return existing
        if state == PostState.VISIBLE:
            announce_post(post, thread, now)
        db.session.commit()
        return post


def announce_post(post: Post, thread: Thread, now: datetime | None = None) -> None:
    """Count a post that has just become visible and notify whom it concerns.

    In the caller's transaction. Called when a post is published at once, and when a held
    post is approved; the notifications' unique constraint makes a second call harmless.
    """
    now = now or utcnow()
    values = {"post_count": Thread.post_count + 1, "last_post_at": now}
    if post.is_opening:
        values["listed"] = True
    db.session.execute(
        update(Thread)
        .where(Thread.id == thread.id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        update(CommunityMember)
        .where(
            CommunityMember.course_id == thread.course_id,
            CommunityMember.user_id == post.author_id,
        )
        .values(published_posts=CommunityMember.published_posts + 1)
        .execution_options(synchronize_session=False)
    )
    mentioned = [
        m.user_id for m in community_mentions.mentioned_members(thread.course_id, post.body_md)
    ]
    notifications.notify(
        mentioned,
        NotificationKind.MENTION,
        course_id=thread.course_id,
        actor_id=post.author_id,
        thread_id=thread.id,
        post_id=post.id,
    )
    if not post.is_opening and thread.author_id is not None and thread.author_id not in mentioned:
        notifications.notify(
            [thread.author_id],
            NotificationKind.REPLY,
            course_id=thread.course_id,
            actor_id=post.author_id,
            thread_id=thread.id,
            post_id=post.id,
        )


def lesson_thread(course: Course, lesson: Lesson) -> Thread:
    """The discussion of a lesson, opened the first time anyone asks for it."""
    existing = _thread_of_lesson(lesson.id)
    if existing is not None:
        return existing
    try:
        with db.session.begin_nested():
            thread = Thread(
                course_id=course.id,
                category=Category.LESSONS.value,
                lesson_id=lesson.id,
                title=lesson.title,
            )
            db.session.add(thread)
    except IntegrityError:
        return _thread_of_lesson(lesson.id)
    db.session.commit()
    return thread


def _thread_of_lesson(lesson_id: int) -> Thread | None:
    return db.session.scalar(select(Thread).where(Thread.lesson_id == lesson_id))


def _thread_by_submission(submission_id: str, user_id: int) -> Thread | None:
    return db.session.scalar(
        select(Thread).where(Thread.submission_id == submission_id, Thread.author_id == user_id)
    )


def _post_by_submission(submission_id: str, user_id: int) -> Post | None:
    return db.session.scalar(
        select(Post).where(Post.submission_id == submission_id, Post.author_id == user_id)
    )
