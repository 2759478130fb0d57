"""The certification exam: settings and bank, pledges, attempts with a layout fixed at start."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.extensions import db
from lms.models.types import UTCDateTime, utcnow


class AttemptState(enum.StrEnum):
    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"
    EXPIRED = "expired"  # closed at its deadline with the answers saved by then


class Exam(db.Model):
    __tablename__ = "exams"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(
        ForeignKey("courses.id", ondelete="CASCADE"), unique=True
    )
    title: Mapped[str] = mapped_column(String(200))
    questions_per_attempt: Mapped[int] = mapped_column(Integer, default=20)
    time_limit_minutes: Mapped[int] = mapped_column(Integer, default=30)
    pass_percent: Mapped[int] = mapped_column(Integer, default=80)
    max_attempts: Mapped[int] = mapped_column(Integer, default=3)
    cooldown_hours: Mapped[int] = mapped_column(Integer, default=24)
    grace_seconds: Mapped[int] = mapped_column(Integer, default=30)
    code_of_ethics_md: Mapped[str] = mapped_column(Text, default="")
    pledge_text: Mapped[str] = mapped_column(Text, default="")
    # Raised by every edit of the texts above in the studio (the edit check).
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    categories: Mapped[list[ExamCategory]] = relationship(
        back_populates="exam",
        order_by="(ExamCategory.position, ExamCategory.id)",
        cascade="all, delete-orphan",
    )


class ExamCategory(db.Model):
    __tablename__ = "exam_categories"
    __table_args__ = (UniqueConstraint("exam_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("exams.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(60))
    title: Mapped[str] = mapped_column(String(200))
    draw: Mapped[int] = mapped_column(
        Integer, default=0
    )  # questions per attempt from this category
    position: Mapped[int] = mapped_column(Integer, default=0)

    exam: Mapped[Exam] = relationship(back_populates="categories")
    questions: Mapped[list[ExamQuestion]] = relationship(
        back_populates="category", order_by="ExamQuestion.id", cascade="all, delete-orphan"
    )


class ExamQuestion(db.Model):
    __tablename__ = "exam_questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int] = mapped_column(
        ForeignKey("exam_categories.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20))  # single, multiple, true_false
    prompt: Mapped[str] = mapped_column(Text)
    explanation: Mapped[str] = mapped_column(Text, default="")
    answer_true: Mapped[bool | None] = mapped_column(Boolean)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    category: Mapped[ExamCategory] = relationship(back_populates="questions")
    choices: Mapped[list[ExamChoice]] = relationship(
        back_populates="question",
        order_by="(ExamChoice.position, ExamChoice.id)",
        cascade="all, delete-orphan",
    )


class ExamChoice(db.Model):
    __tablename__ = "exam_choices"

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(
        ForeignKey("exam_questions.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    text: Mapped[str] = mapped_column(Text)
    is_correct: Mapped[bool] = mapped_column(Boolean, default=False)

    question: Mapped[ExamQuestion] = relationship(back_populates="choices")


class ExamPledge(db.Model):
    """The candidate read the code and accepted the pledge: when, from where, and which text."""

    __tablename__ = "exam_pledges"
    __table_args__ = (UniqueConstraint("exam_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("exams.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    accepted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    ip: Mapped[str | None] = mapped_column(String(45))
    pledge_text: Mapped[str] = mapped_column(Text)


class ExamGrant(db.Model):
    """One extra attempt given by the instructor, with the reason."""

    __tablename__ = "exam_grants"

    id: Mapped[int] = mapped_column(primary_key=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("exams.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    granted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ExamAttempt(db.Model):
    __tablename__ = "exam_attempts"
    __table_args__ = (
        UniqueConstraint("user_id", "exam_id", "number"),
        # One attempt in progress per candidate and exam, even when two starts race.
        Index(
            "uq_exam_attempts_one_in_progress",
            "user_id",
            "exam_id",
            unique=True,
            sqlite_where=db.text("state = 'in_progress'"),
            postgresql_where=db.text("state = 'in_progress'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)  # in URLs: not guessable
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("exams.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(20), default=AttemptState.IN_PROGRESS.value)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    deadline: Mapped[datetime] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # [{"token": "...", "question_id": n, "options": [{"token": "...", "choice_id": n}, ...]}, ...]
    layout: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    score_percent: Mapped[int | None] = mapped_column(Integer)
    passed: Mapped[bool | None] = mapped_column(Boolean)
    breakdown: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class ExamAnswer(db.Model):
    __tablename__ = "exam_answers"
    __table_args__ = (UniqueConstraint("attempt_id", "question_token"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("exam_attempts.id", ondelete="CASCADE"))
    question_token: Mapped[str] = mapped_column(String(32))
    selected: Mapped[list[str]] = mapped_column(
        JSON, default=list
    )  # option tokens, or "true"/"false"
    sequence: Mapped[int] = mapped_column(Integer, default=0)  # the tab's counter: older saves lose
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
