"""The private community of a course: members, threads and posts, votes, reports, mentoring
and notifications.

Categories are a fixed list of keys (translated in the templates), so a thread's category is a
short string rather than a row. Moderation state lives on the post: a held post waits for the
instructor, a hidden one is kept for the record, a deleted one keeps its place without its text.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column

from lms.extensions import db
from lms.models.types import UTCDateTime, utcnow


class Category(enum.StrEnum):
    INTRODUCTIONS = "introductions"
    LESSONS = "lessons"
    CLIENTS = "clients"
    TOOLS = "tools"
    WINS = "wins"


class PostState(enum.StrEnum):
    VISIBLE = "visible"
    HELD = "held"  # waiting for the instructor's review
    HIDDEN = "hidden"  # hidden by a moderator; kept, and can be restored
    DELETED = "deleted"  # deleted by its author; the text is gone


class ReportReason(enum.StrEnum):
    SPAM = "spam"
    OFFENSIVE = "offensive"
    OFF_TOPIC = "off_topic"
    PERSONAL_DATA = "personal_data"
    OTHER = "other"


class MentorshipStatus(enum.StrEnum):
    REQUESTED = "requested"
    PAIRED = "paired"
    ENDED = "ended"


class NotificationKind(enum.StrEnum):
    REPLY = "reply"  # a reply in a thread you started
    MENTION = "mention"  # someone wrote @you
    ACCEPTED = "accepted"  # your answer was marked as accepted
    MENTOR = "mentor"  # a mentor was paired with you, or you with a mentee


class DigestFrequency(enum.StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"
    NEVER = "never"


class CommunityMember(db.Model):
    """A person's place in one course's community: created on their first visit.

    Whether they may come in is decided each time from the enrollment (or staff role), never
    from this row: a refund takes access away even though the row stays.
    """

    __tablename__ = "community_members"
    __table_args__ = (
        UniqueConstraint("course_id", "user_id"),
        UniqueConstraint("course_id", "handle"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # What others type after @ to mention this member; lower case letters, digits and dashes.
    handle: Mapped[str] = mapped_column(String(40))
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Posts published (not held): new members' first posts wait for review when the course asks.
    published_posts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    posting_suspended_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    suspension_reason: Mapped[str] = mapped_column(String(300), default="", server_default="")
    is_mentor: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    mentor_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Bit mask over models.directory.SPECIALIZATIONS, what a newcomer filters mentors by.
    mentor_specializations: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    mentor_intro: Mapped[str] = mapped_column(String(500), default="", server_default="")
    mentor_capacity: Mapped[int] = mapped_column(Integer, default=3, server_default="3")


class Thread(db.Model):
    __tablename__ = "community_threads"
    __table_args__ = (
        Index("ix_community_threads_listing", "course_id", "pinned", "last_post_at"),
        # One discussion per lesson, made the first time someone opens it.
        Index(
            "uq_community_threads_lesson",
            "lesson_id",
            unique=True,
            sqlite_where=text("lesson_id IS NOT NULL"),
            postgresql_where=text("lesson_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    category: Mapped[str] = mapped_column(String(20), default=Category.LESSONS.value)
    lesson_id: Mapped[int | None] = mapped_column(ForeignKey("lessons.id", ondelete="CASCADE"))
    # None for a lesson's discussion (opened by the course) or a deleted account.
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_post_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Visible posts, the opening one included: kept by the services beside each change of state.
    post_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    pinned: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    locked: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # False while the opening post is held or hidden: the thread is then out of the listing.
    listed: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    accepted_post_id: Mapped[int | None] = mapped_column(
        ForeignKey("community_posts.id", ondelete="SET NULL", use_alter=True)
    )
    # A form's one-time token: a double click opens one thread.
    submission_id: Mapped[str | None] = mapped_column(String(43), unique=True)


class Post(db.Model):
    __tablename__ = "community_posts"
    __table_args__ = (
        Index("ix_community_posts_thread", "thread_id", "id"),
        Index("ix_community_posts_state", "state", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("community_threads.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    is_opening: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    body_md: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(10), default=PostState.VISIBLE.value)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Upvotes, kept beside the votes table so a page of posts needs no count per post.
    score: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The form's one-time token: a double click stores one reply.
    submission_id: Mapped[str | None] = mapped_column(String(43), unique=True)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")


class PostVote(db.Model):
    """One upvote of one member on one post: the primary key makes a second click harmless."""

    __tablename__ = "community_votes"

    post_id: Mapped[int] = mapped_column(
        ForeignKey("community_posts.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ThreadRead(db.Model):
    """How far a member has read a thread: later posts are unread."""

    __tablename__ = "community_reads"

    thread_id: Mapped[int] = mapped_column(
        ForeignKey("community_threads.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    last_read_post_id: Mapped[int] = mapped_column(Integer, default=0)
    read_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class PostReport(db.Model):
    __tablename__ = "community_reports"
    __table_args__ = (
        UniqueConstraint("post_id", "reporter_id"),
        Index("ix_community_reports_open", "resolved_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("community_posts.id", ondelete="CASCADE"))
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    resolution: Mapped[str | None] = mapped_column(String(20))  # "hidden" or "dismissed"


class Mentorship(db.Model):
    """A newcomer's request for a mentor, and the pairing that answers it."""

    __tablename__ = "mentorships"
    __table_args__ = (
        # One open request or pairing per newcomer and course.
        Index(
            "uq_mentorships_open",
            "course_id",
            "mentee_id",
            unique=True,
            sqlite_where=text("status != 'ended'"),
            postgresql_where=text("status != 'ended'"),
        ),
        Index("ix_mentorships_mentor", "mentor_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    mentee_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    mentor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(12), default=MentorshipStatus.REQUESTED.value)
    message: Mapped[str] = mapped_column(Text, default="")
    specialization: Mapped[str | None] = mapped_column(String(30))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    paired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    paired_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Notification(db.Model):
    __tablename__ = "notifications"
    __table_args__ = (
        # The same event never notifies the same person twice (a retried request, say).
        UniqueConstraint("user_id", "kind", "post_id"),
        Index("ix_notifications_unread", "user_id", "read_at"),
        Index("ix_notifications_digest", "emailed_at", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(12))
    thread_id: Mapped[int | None] = mapped_column(
        ForeignKey("community_threads.id", ondelete="CASCADE")
    )
    post_id: Mapped[int | None] = mapped_column(
        ForeignKey("community_posts.id", ondelete="CASCADE")
    )
    mentorship_id: Mapped[int | None] = mapped_column(
        ForeignKey("mentorships.id", ondelete="CASCADE")
    )
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Set when the notification went out in an email digest (or was not meant to).
    emailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class NotificationSettings(db.Model):
    """A member's email choices; no row means the defaults (a daily digest of everything)."""

    __tablename__ = "notification_settings"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    digest: Mapped[str] = mapped_column(String(10), default=DigestFrequency.DAILY.value)
    email_replies: Mapped[bool] = mapped_column(Boolean, default=True)
    email_mentions: Mapped[bool] = mapped_column(Boolean, default=True)
    email_accepted: Mapped[bool] = mapped_column(Boolean, default=True)
    email_mentoring: Mapped[bool] = mapped_column(Boolean, default=True)
    last_digest_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    unsubscribed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
