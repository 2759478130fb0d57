"""Courses, their modules and lessons, and who is enrolled in them."""

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
    event,
    false,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from lms.extensions import db
from lms.models.types import UTCDateTime, utcnow


class EnrollmentStatus(enum.StrEnum):
    ACTIVE = "active"
    REFUNDED = "refunded"
    REVOKED = "revoked"
    SUSPENDED = "suspended"


class EnrollmentSource(enum.StrEnum):
    PURCHASE = "purchase"
    FREE = "free"
    MANUAL = "manual"


class Course(db.Model):
    __tablename__ = "courses"
    __table_args__ = (Index("uq_courses_cover_image", "cover_image", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    subtitle: Mapped[str] = mapped_column(String(300), default="")
    description_md: Mapped[str] = mapped_column(Text, default="")
    price_cents: Mapped[int] = mapped_column(Integer, default=0)
    currency: Mapped[str] = mapped_column(String(3), default="eur")
    language: Mapped[str] = mapped_column(String(5), default="it")
    hours: Mapped[int] = mapped_column(Integer, default=0)
    is_published: Mapped[bool] = mapped_column(Boolean, default=False)
    # Sequential: a lesson opens when the previous one is done and its quiz passed.
    sequential: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Certificates: months of validity (None: never expire), design folder, who signs them.
    certificate_validity_months: Mapped[int | None] = mapped_column(Integer)
    certificate_design: Mapped[str] = mapped_column(
        String(60), default="classic", server_default="classic"
    )
    certificate_signer_name: Mapped[str] = mapped_column(String(200), default="", server_default="")
    certificate_signer_title: Mapped[str] = mapped_column(
        String(200), default="", server_default=""
    )
    cover_image: Mapped[str | None] = mapped_column(String(64))  # a random file name
    # A new member's first N community posts wait for the instructor's review (0: none do).
    community_review_first_posts: Mapped[int] = mapped_column(
        Integer, default=0, server_default="0"
    )
    # Raised by every edit in the studio: an edit made from an older version is refused.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    modules: Mapped[list[Module]] = relationship(
        back_populates="course",
        order_by="(Module.position, Module.id)",
        cascade="all, delete-orphan",
    )

    @property
    def is_free(self) -> bool:
        return self.price_cents == 0


class Module(db.Model):
    __tablename__ = "modules"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    course: Mapped[Course] = relationship(back_populates="modules")
    lessons: Mapped[list[Lesson]] = relationship(
        back_populates="module",
        order_by="(Lesson.position, Lesson.id)",
        cascade="all, delete-orphan",
    )


class Lesson(db.Model):
    __tablename__ = "lessons"
    __table_args__ = (UniqueConstraint("course_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Denormalized from the module so lesson slugs can be unique per course.
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    slug: Mapped[str] = mapped_column(String(120))
    title: Mapped[str] = mapped_column(String(200))
    body_md: Mapped[str] = mapped_column(Text, default="")
    video_url: Mapped[str | None] = mapped_column(String(500))
    is_preview: Mapped[bool] = mapped_column(Boolean, default=False)
    drip_days: Mapped[int] = mapped_column(Integer, default=0)
    minutes: Mapped[int] = mapped_column(Integer, default=0)
    # A draft is seen only in the studio: students and the outline skip it.
    is_draft: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    module: Mapped[Module] = relationship(back_populates="lessons")
    course: Mapped[Course] = relationship()


class Enrollment(db.Model):
    __tablename__ = "enrollments"
    __table_args__ = (UniqueConstraint("user_id", "course_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(20), default=EnrollmentStatus.ACTIVE.value)
    source: Mapped[str] = mapped_column(String(20), default=EnrollmentSource.MANUAL.value)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    @property
    def is_active(self) -> bool:
        return self.status == EnrollmentStatus.ACTIVE


class InstructorNote(db.Model):
    """A private note of the staff about one student of a course: never shown to the student."""

    __tablename__ = "instructor_notes"
    __table_args__ = (Index("ix_instructor_notes_course_student", "course_id", "student_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    student_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


@event.listens_for(Session, "before_flush")
def _touch_course_on_content_change(session, _flush_context, _instances) -> None:
    """A change to a module or lesson is a new version of its course (caches key on it)."""
    courses = set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Module | Lesson):
            course = obj.course
            if course is None and isinstance(obj, Lesson) and obj.module is not None:
                course = obj.module.course
            if course is None and obj.course_id is not None:
                course = session.get(Course, obj.course_id)
            if course is not None and course not in session.deleted:
                courses.add(course)
    for course in courses:
        course.updated_at = utcnow()
