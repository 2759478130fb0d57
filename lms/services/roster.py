"""The roster of a course: each student's progress, results, certificate and last activity.

Every figure comes from a few queries grouped by student over the whole class; filtering,
counting and paging then happen in the database. A page costs the same handful of statements
for ten students or ten thousand: never one outline per student.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, and_, case, false, func, not_, or_, select, true
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from lms.extensions import db
from lms.models import (
    ROLES,
    SPECIALIZATIONS,
    Certificate,
    Course,
    Enrollment,
    EnrollmentStatus,
    Exam,
    ExamAttempt,
    ExamGrant,
    Lesson,
    LessonProgress,
    Profile,
    Quiz,
    QuizAttempt,
    User,
    certificate_status,
    display_code,
    utcnow,
)
from lms.models.directory import from_mask
from lms.models.types import UTCDateTime

STALLED_DAYS = 14  # started, not finished, and nothing done for this long: "stalled"
PAGE_SIZE = 50
EXPORT_LIMIT = 10_000
SEARCH_MAX = 100


class Show(enum.StrEnum):
    """The roster's filters. Not started and stalled look at active enrollments only: they are
    the students to write to, and a refunded or removed one is not."""

    ALL = "all"
    NOT_STARTED = "not_started"
    STALLED = "stalled"
    COMPLETED = "completed"
    CERTIFIED = "certified"


class _latest(FunctionElement):
    """The latest of several timestamps: `greatest()` on PostgreSQL, multi-argument `max()` on
    SQLite (callers pass no NULLs: SQLite's max is NULL if any argument is)."""

    name = "latest"
    type = UTCDateTime()
    inherit_cache = True


@compiles(_latest)
def _latest_default(element, compiler, **kw) -> str:
    return f"greatest({compiler.process(element.clauses, **kw)})"


@compiles(_latest, "sqlite")
def _latest_sqlite(element, compiler, **kw) -> str:
    return f"max({compiler.process(element.clauses, **kw)})"


def counted_lessons(course_id: int) -> Select:
    """The lessons that are steps of the course: drafts are not."""
    return select(Lesson.id).where(Lesson.course_id == course_id, Lesson.is_draft.is_(False))


def counted_quizzes(course_id: int) -> Select:
    """The quizzes that are steps, as the outline shows them: one closing a lesson that is not a
    draft, or one closing a module that has such a lesson."""
    published = select(Lesson.module_id).where(
        Lesson.course_id == course_id, Lesson.is_draft.is_(False)
    )
    return select(Quiz.id).where(
        Quiz.course_id == course_id,
        or_(
            and_(Quiz.lesson_id.is_(None), Quiz.module_id.in_(published)),
            Quiz.lesson_id.in_(counted_lessons(course_id)),
        ),
    )


@dataclass(frozen=True)
class RosterRow:
    enrollment_id: int
    user_id: int
    name: str
    email: str
    photo: str | None
    city: str
    headline: str
    roles: list[str]
    specializations: list[str]
    enrolled_at: datetime
    source: str
    status: str
    steps_done: int
    steps_total: int
    quizzes_passed: int
    quizzes_total: int
    quiz_average: int | None  # of the best score of each quiz tried
    exam_best: int | None
    exam_passed: bool
    exam_attempts: int
    exam_allowed: int | None  # None: the course has no exam
    certificate_status: str  # "none", or a CertificateStatus value
    certificate_code: str
    last_activity: datetime

    @property
    def percent(self) -> int:
        return round(100 * self.steps_done / self.steps_total) if self.steps_total else 0


@dataclass(frozen=True)
class RosterPage:
    rows: list[RosterRow]
    counts: dict[Show, int]
    page: int
    pages: int
    steps_total: int
    has_exam: bool


@dataclass(frozen=True)
class _Class:
    """One course's class, as the grouped queries see it."""

    course_id: int
    exam: Exam | None
    lessons: int
    quizzes: int
    now: datetime

    @property
    def steps(self) -> int:
        return self.lessons + self.quizzes


def _class_of(course: Course, now: datetime | None) -> _Class:
    count = select(func.count())
    return _Class(
        course_id=course.id,
        exam=db.session.scalar(select(Exam).where(Exam.course_id == course.id)),
        lessons=db.session.scalar(count.select_from(counted_lessons(course.id).subquery())),
        quizzes=db.session.scalar(count.select_from(counted_quizzes(course.id).subquery())),
        now=now or utcnow(),
    )


def _lesson_stats(course_id: int):
    done = case(
        (and_(LessonProgress.completed_at.is_not(None), Lesson.is_draft.is_(False)), 1), else_=0
    )
    return (
        select(
            LessonProgress.user_id,
            func.sum(done).label("done"),
            func.max(LessonProgress.last_viewed_at).label("last_viewed"),
            func.max(LessonProgress.completed_at).label("last_completed"),
        )
        .join(Lesson, Lesson.id == LessonProgress.lesson_id)
        .where(LessonProgress.course_id == course_id)
        .group_by(LessonProgress.user_id)
        .subquery("lesson_stats")
    )


def _quiz_stats(course_id: int):
    per_quiz = (
        select(
            QuizAttempt.user_id,
            func.max(QuizAttempt.score_percent).label("best"),
            func.max(case((QuizAttempt.passed.is_(True), 1), else_=0)).label("passed"),
            func.max(QuizAttempt.submitted_at).label("last"),
        )
        .where(QuizAttempt.quiz_id.in_(counted_quizzes(course_id)))
        .group_by(QuizAttempt.user_id, QuizAttempt.quiz_id)
        .subquery("quiz_best")
    )
    return (
        select(
            per_quiz.c.user_id,
            func.sum(per_quiz.c.passed).label("passed"),
            func.avg(per_quiz.c.best).label("average"),
            func.max(per_quiz.c.last).label("last"),
        )
        .group_by(per_quiz.c.user_id)
        .subquery("quiz_stats")
    )


def _exam_stats(exam_id: int | None):
    return (
        select(
            ExamAttempt.user_id,
            func.max(ExamAttempt.score_percent).label("best"),
            func.max(case((ExamAttempt.passed.is_(True), 1), else_=0)).label("passed"),
            func.count().label("attempts"),
            func.max(func.coalesce(ExamAttempt.closed_at, ExamAttempt.started_at)).label("last"),
        )
        .where(ExamAttempt.exam_id == exam_id)
        .group_by(ExamAttempt.user_id)
        .subquery("exam_stats")
    )


def _grant_stats(exam_id: int | None):
    return (
        select(ExamGrant.user_id, func.count().label("grants"))
        .where(ExamGrant.exam_id == exam_id)
        .group_by(ExamGrant.user_id)
        .subquery("grant_stats")
    )


class _Query:
    """The class joined to its per-student figures, with the expressions the filters need."""

    def __init__(self, klass: _Class, search: str):
        self.klass = klass
        self.lessons = _lesson_stats(klass.course_id)
        self.quizzes = _quiz_stats(klass.course_id)
        exam_id = klass.exam.id if klass.exam else None
        self.exams = _exam_stats(exam_id)
        self.grants = _grant_stats(exam_id)
        self.search = _search(search)
        enrolled = Enrollment.created_at
        self.steps_done = func.coalesce(self.lessons.c.done, 0) + func.coalesce(
            self.quizzes.c.passed, 0
        )
        self.last_activity = _latest(
            enrolled,
            func.coalesce(self.lessons.c.last_viewed, enrolled),
            func.coalesce(self.lessons.c.last_completed, enrolled),
            func.coalesce(self.quizzes.c.last, enrolled),
            func.coalesce(self.exams.c.last, enrolled),
        )
        started = or_(
            self.lessons.c.user_id.is_not(None),
            self.quizzes.c.user_id.is_not(None),
            self.exams.c.user_id.is_not(None),
        )
        completed = self.steps_done >= klass.steps if klass.steps else false()
        active = Enrollment.status == EnrollmentStatus.ACTIVE.value
        cutoff = klass.now - timedelta(days=STALLED_DAYS)
        self.filters = {
            Show.ALL: true(),
            Show.NOT_STARTED: and_(active, not_(started)),
            Show.STALLED: and_(active, started, not_(completed), self.last_activity < cutoff),
            Show.COMPLETED: completed,
            Show.CERTIFIED: and_(
                Certificate.id.is_not(None),
                Certificate.revoked_at.is_(None),
                Certificate.suspended_at.is_(None),
                or_(Certificate.expires_at.is_(None), Certificate.expires_at > klass.now),
            ),
        }

    def joined(self, statement: Select) -> Select:
        return (
            statement.select_from(Enrollment)
            .join(User, User.id == Enrollment.user_id)
            .outerjoin(Profile, Profile.user_id == Enrollment.user_id)
            .outerjoin(self.lessons, self.lessons.c.user_id == Enrollment.user_id)
            .outerjoin(self.quizzes, self.quizzes.c.user_id == Enrollment.user_id)
            .outerjoin(self.exams, self.exams.c.user_id == Enrollment.user_id)
            .outerjoin(self.grants, self.grants.c.user_id == Enrollment.user_id)
            .outerjoin(
                Certificate,
                and_(
                    Certificate.user_id == Enrollment.user_id,
                    Certificate.course_id == self.klass.course_id,
                ),
            )
            .where(Enrollment.course_id == self.klass.course_id, self.search)
        )

    def counts(self) -> dict[Show, int]:
        sums = [func.coalesce(func.sum(case((self.filters[s], 1), else_=0)), 0) for s in Show]
        found = db.session.execute(self.joined(select(*sums))).one()
        return {show: int(found[index]) for index, show in enumerate(Show)}

    def rows(self, show: Show, limit: int, offset: int = 0) -> list[RosterRow]:
        statement = self.joined(
            select(
                Enrollment.id, Enrollment.user_id, Enrollment.created_at, Enrollment.source,
                Enrollment.status, User.name, User.email, Profile.photo, Profile.city,
                Profile.headline, Profile.roles, Profile.specializations,
                self.steps_done.label("steps_done"),
                self.quizzes.c.passed.label("quizzes_passed"),
                self.quizzes.c.average.label("quiz_average"),
                self.exams.c.best.label("exam_best"),
                self.exams.c.passed.label("exam_passed"),
                self.exams.c.attempts.label("exam_attempts"),
                self.grants.c.grants.label("grants"),
                Certificate.code, Certificate.revoked_at, Certificate.suspended_at,
                Certificate.expires_at,
                self.last_activity.label("last_activity"),
            )
        )  # fmt: skip
        statement = (
            statement.where(self.filters[show])
            .order_by(Enrollment.created_at.desc(), Enrollment.id.desc())
            .limit(limit)
            .offset(offset)
        )
        return [self._row(found) for found in db.session.execute(statement)]

    def _row(self, found) -> RosterRow:
        klass = self.klass
        status = "none"
        if found.code is not None:
            status = certificate_status(
                found.revoked_at, found.suspended_at, found.expires_at, klass.now
            ).value
        return RosterRow(
            enrollment_id=found.id,
            user_id=found.user_id,
            name=found.name,
            email=found.email,
            photo=found.photo,
            city=found.city or "",
            headline=found.headline or "",
            roles=from_mask(found.roles or 0, ROLES),
            specializations=from_mask(found.specializations or 0, SPECIALIZATIONS),
            enrolled_at=found.created_at,
            source=found.source,
            status=found.status,
            steps_done=int(found.steps_done or 0),
            steps_total=klass.steps,
            quizzes_passed=int(found.quizzes_passed or 0),
            quizzes_total=klass.quizzes,
            quiz_average=None if found.quiz_average is None else round(float(found.quiz_average)),
            exam_best=found.exam_best,
            exam_passed=bool(found.exam_passed),
            exam_attempts=int(found.exam_attempts or 0),
            exam_allowed=(klass.exam.max_attempts + int(found.grants or 0)) if klass.exam else None,
            certificate_status=status,
            certificate_code=display_code(found.code) if found.code else "",
            last_activity=found.last_activity,
        )


def _search(text: str):
    """Name, email or city containing the text, whatever its case."""
    term = text.strip().lower()[:SEARCH_MAX]
    if not term:
        return true()
    return or_(
        func.lower(User.name).contains(term, autoescape=True),
        func.lower(User.email).contains(term, autoescape=True),
        func.lower(Profile.city).contains(term, autoescape=True),
    )


def roster_page(
    course: Course, search: str = "", show: Show = Show.ALL, page: int = 1, now=None
) -> RosterPage:
    """One page of the class, newest enrollment first, with the count of every filter."""
    query = _Query(_class_of(course, now), search)
    counts = query.counts()
    pages = max(1, -(-counts[show] // PAGE_SIZE))
    page = min(max(page, 1), pages)
    rows = query.rows(show, PAGE_SIZE, (page - 1) * PAGE_SIZE)
    klass = query.klass
    return RosterPage(rows, counts, page, pages, klass.steps, klass.exam is not None)


def roster_rows(
    course: Course, search: str = "", show: Show = Show.ALL, now=None
) -> list[RosterRow]:
    """Every student the search and filter select (up to EXPORT_LIMIT), for the export."""
    return _Query(_class_of(course, now), search).rows(show, EXPORT_LIMIT)


def photo_of(course_id: int, user_id: int) -> str | None:
    """The directory photo of someone ever enrolled in the course (staff see it listed or not)."""
    return db.session.scalar(
        select(Profile.photo)
        .join(Enrollment, Enrollment.user_id == Profile.user_id)
        .where(Enrollment.course_id == course_id, Profile.user_id == user_id)
    )
