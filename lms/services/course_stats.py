"""A course's figures for its dashboard: enrollments, revenue, the funnel, the hard questions.

Every figure is read in a fixed number of statements (rows of the period, grouped here in
Python): a course has at most tens of thousands of rows, and grouping by month in Python works
the same on SQLite and PostgreSQL and in the studio's time zone, not the database's.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload, selectinload

from lms.extensions import db
from lms.models import (
    AttemptState,
    Certificate,
    Course,
    Enrollment,
    EnrollmentSource,
    Exam,
    ExamAnswer,
    ExamAttempt,
    ExamCategory,
    ExamQuestion,
    Lesson,
    LessonProgress,
    Order,
    Question,
    Quiz,
    QuizAttempt,
)
from lms.services import exams

MONTHS = 12
MIN_ANSWERS = 5  # below this, one unlucky answer would top the list of hard questions
TOP_QUESTIONS = 10
PROMPT_LENGTH = 100
CLOSED_ATTEMPTS = (AttemptState.SUBMITTED.value, AttemptState.EXPIRED.value)
SOURCES = tuple(source.value for source in EnrollmentSource)


@dataclass(frozen=True)
class MonthEnrollments:
    month: date  # the first day of the month, in the studio's time zone
    purchase: int = 0
    free: int = 0
    manual: int = 0

    @property
    def total(self) -> int:
        return self.purchase + self.free + self.manual


@dataclass(frozen=True)
class MonthRevenue:
    """Money in when an order was paid, out when it was refunded: each in its own month."""

    month: date
    paid_cents: int = 0
    refunded_cents: int = 0

    @property
    def net_cents(self) -> int:
        return self.paid_cents - self.refunded_cents


@dataclass(frozen=True)
class FunnelStep:
    key: str  # enrolled, started, completed, certified
    count: int
    percent: int  # of the enrolled


@dataclass(frozen=True)
class HardQuestion:
    question_id: int
    prompt: str  # one line, shortened
    group: str  # the quiz's title, or the exam category's
    group_id: int  # the quiz's id, or the category's
    answered: int
    wrong: int

    @property
    def percent_wrong(self) -> int:
        return round(100 * self.wrong / self.answered)


@dataclass(frozen=True)
class CourseStats:
    currency: str
    enrollments: list[MonthEnrollments]
    revenue: list[MonthRevenue]
    funnel: list[FunnelStep]
    quiz_questions: list[HardQuestion]
    exam_questions: list[HardQuestion]
    has_exam: bool

    @property
    def enrollments_total(self) -> MonthEnrollments:
        """The twelve months added up, source by source (its `month` is the first one)."""
        return MonthEnrollments(
            self.enrollments[0].month,
            sum(month.purchase for month in self.enrollments),
            sum(month.free for month in self.enrollments),
            sum(month.manual for month in self.enrollments),
        )

    def step(self, key: str) -> FunnelStep:
        return next(step for step in self.funnel if step.key == key)

    @property
    def paid_total(self) -> int:
        return sum(month.paid_cents for month in self.revenue)

    @property
    def refunded_total(self) -> int:
        return sum(month.refunded_cents for month in self.revenue)

    @property
    def net_total(self) -> int:
        return self.paid_total - self.refunded_total


def last_months(now: datetime, tz: tzinfo, count: int = MONTHS) -> list[date]:
    """The first days of the last `count` months, oldest first, the current month last."""
    local = now.astimezone(tz)
    index = local.year * 12 + local.month - 1
    return [date(i // 12, i % 12 + 1, 1) for i in range(index - count + 1, index + 1)]


def _month_of(moment: datetime, tz: tzinfo) -> date:
    local = moment.astimezone(tz)  # 31 March 23:30 UTC is already April in Rome
    return date(local.year, local.month, 1)


def course_stats(course: Course, now: datetime, tz: tzinfo = UTC) -> CourseStats:
    """Every figure of the dashboard, for the 12 months up to `now` (months as seen in `tz`,
    a `zoneinfo` zone: a pytz one would put the first midnight at local mean time)."""
    months = last_months(now, tz)
    start = datetime(months[0].year, months[0].month, 1, tzinfo=tz).astimezone(UTC)
    enrolled = _enrollment_rows(course.id)
    quiz_attempts = db.session.execute(
        select(QuizAttempt.user_id, QuizAttempt.quiz_id, QuizAttempt.passed, QuizAttempt.answers)
        .join(Quiz, Quiz.id == QuizAttempt.quiz_id)
        .where(Quiz.course_id == course.id)
    ).all()
    return CourseStats(
        currency=course.currency,
        enrollments=_enrollments_by_month(enrolled, months, start, now, tz),
        revenue=_revenue_by_month(course.id, months, start, now, tz),
        funnel=_funnel(course.id, {row.user_id for row in enrolled}, quiz_attempts),
        quiz_questions=_hard_quiz_questions(course.id, quiz_attempts),
        exam_questions=_hard_exam_questions(course.id),
        has_exam=db.session.scalar(select(Exam.id).where(Exam.course_id == course.id)) is not None,
    )


def _enrollment_rows(course_id: int) -> Sequence[Any]:
    """Every enrollment ever (active, refunded, revoked or suspended): one row per person."""
    return db.session.execute(
        select(Enrollment.user_id, Enrollment.source, Enrollment.created_at).where(
            Enrollment.course_id == course_id
        )
    ).all()


def _enrollments_by_month(
    rows: Iterable[Any], months: list[date], start: datetime, now: datetime, tz: tzinfo
) -> list[MonthEnrollments]:
    counts: dict[date, Counter[str]] = {month: Counter() for month in months}
    for row in rows:
        if start <= row.created_at <= now:
            source = row.source if row.source in SOURCES else EnrollmentSource.MANUAL.value
            counts[_month_of(row.created_at, tz)][source] += 1
    return [
        MonthEnrollments(month, **{source: counts[month][source] for source in SOURCES})
        for month in months
    ]


def _revenue_by_month(
    course_id: int, months: list[date], start: datetime, now: datetime, tz: tzinfo
) -> list[MonthRevenue]:
    """Orders paid in the period count in their month (whatever became of them later); a
    refund is taken off in the month it happened. An order refunded before it was ever marked
    paid (Stripe's events crossed) brought nothing in, so its refund takes nothing out."""
    paid: Counter[date] = Counter()
    refunded: Counter[date] = Counter()
    rows = db.session.execute(
        select(Order.paid_at, Order.refunded_at, Order.amount_cents).where(
            Order.course_id == course_id,
            Order.paid_at.is_not(None),
            or_(Order.paid_at >= start, Order.refunded_at >= start),
        )
    )
    for paid_at, refunded_at, amount in rows:
        if start <= paid_at <= now:
            paid[_month_of(paid_at, tz)] += amount
        if refunded_at is not None and start <= refunded_at <= now:
            refunded[_month_of(refunded_at, tz)] += amount
    return [MonthRevenue(month, paid[month], refunded[month]) for month in months]


def _funnel(course_id: int, enrolled: set[int], quiz_attempts: Sequence[Any]) -> list[FunnelStep]:
    """Each step counts people enrolled in the course (ever), so no step exceeds the first.

    Completed means every step a student sees is done: each lesson that is not a draft
    completed, and each quiz passed (a quiz after a draft lesson is not seen, so not due).
    """
    published = db.session.execute(
        select(Lesson.id, Lesson.module_id).where(
            Lesson.course_id == course_id, Lesson.is_draft.is_(False)
        )
    ).all()
    due_lessons = {lesson_id for lesson_id, _module_id in published}
    shown_modules = {module_id for _lesson_id, module_id in published}
    due_quizzes = set()
    for quiz_id, lesson_id, module_id in db.session.execute(
        select(Quiz.id, Quiz.lesson_id, Quiz.module_id).where(Quiz.course_id == course_id)
    ):
        # As the outline places them: after its lesson if it has one, else closing its module
        # (a module with no published lesson is not shown, nor its quiz).
        if lesson_id in due_lessons or (lesson_id is None and module_id in shown_modules):
            due_quizzes.add(quiz_id)
    started: set[int] = set()
    lessons_done: dict[int, set[int]] = {}
    for user_id, lesson_id, completed_at in db.session.execute(
        select(LessonProgress.user_id, LessonProgress.lesson_id, LessonProgress.completed_at).where(
            LessonProgress.course_id == course_id
        )
    ):
        started.add(user_id)
        if completed_at is not None and lesson_id in due_lessons:
            lessons_done.setdefault(user_id, set()).add(lesson_id)
    quizzes_passed: dict[int, set[int]] = {}
    for row in quiz_attempts:
        started.add(row.user_id)
        if row.passed and row.quiz_id in due_quizzes:
            quizzes_passed.setdefault(row.user_id, set()).add(row.quiz_id)
    has_steps = bool(due_lessons or due_quizzes)
    completed = {
        user_id
        for user_id in enrolled
        if has_steps
        and lessons_done.get(user_id, set()) >= due_lessons
        and quizzes_passed.get(user_id, set()) >= due_quizzes
    }
    certified = set(
        db.session.scalars(
            select(Certificate.user_id).where(
                Certificate.course_id == course_id, Certificate.revoked_at.is_(None)
            )
        )
    )
    counts = {
        "enrolled": len(enrolled),
        "started": len(started & enrolled),
        "completed": len(completed),
        "certified": len(certified & enrolled),
    }
    return [
        FunnelStep(key, count, round(100 * count / len(enrolled)) if enrolled else 0)
        for key, count in counts.items()
    ]


def short_prompt(text: str, length: int = PROMPT_LENGTH) -> str:
    """One line of at most `length` characters, cut at a word with an ellipsis."""
    line = " ".join(text.split())
    if len(line) <= length:
        return line
    cut = line[: length - 1].rsplit(" ", 1)[0] if " " in line[: length - 1] else line[: length - 1]
    return cut.rstrip(" ,;:.") + "…"


def _hardest(
    tallies: dict[int, list[int]], about: dict[int, tuple[str, str, int]]
) -> list[HardQuestion]:
    """The questions with enough answers, most often wrong first (then most answered)."""
    found = [
        HardQuestion(question_id, short_prompt(prompt), group, group_id, answered, wrong)
        for question_id, (answered, wrong) in tallies.items()
        if answered >= MIN_ANSWERS and wrong > 0 and question_id in about
        for prompt, group, group_id in [about[question_id]]
    ]
    found.sort(key=lambda q: (-q.wrong / q.answered, -q.answered, q.question_id))
    return found[:TOP_QUESTIONS]


def _hard_quiz_questions(course_id: int, quiz_attempts: Sequence[Any]) -> list[HardQuestion]:
    """Every graded answer of every attempt counts; a blank answer is wrong, as when graded."""
    about = {
        question_id: (prompt, title, quiz_id)
        for question_id, prompt, title, quiz_id in db.session.execute(
            select(Question.id, Question.prompt, Quiz.title, Quiz.id)
            .join(Quiz, Quiz.id == Question.quiz_id)
            .where(Quiz.course_id == course_id)
        )
    }
    tallies: dict[int, list[int]] = {}
    for row in quiz_attempts:
        for key, record in (row.answers or {}).items():
            if not str(key).isdigit():
                continue
            tally = tallies.setdefault(int(key), [0, 0])
            tally[0] += 1
            tally[1] += not (isinstance(record, dict) and record.get("correct"))
    return _hardest(tallies, about)


def _hard_exam_questions(course_id: int) -> list[HardQuestion]:
    """Each question of a closed attempt's layout is one answer, graded as the exam grades it."""
    closed = (
        select(ExamAttempt.id)
        .join(Exam, Exam.id == ExamAttempt.exam_id)
        .where(Exam.course_id == course_id, ExamAttempt.state.in_(CLOSED_ATTEMPTS))
    )
    layouts = db.session.execute(
        select(ExamAttempt.id, ExamAttempt.layout).where(ExamAttempt.id.in_(closed))
    ).all()
    if not layouts:
        return []
    saved: dict[int, dict[str, list[str]]] = {}
    for attempt_id, token, selected in db.session.execute(
        select(ExamAnswer.attempt_id, ExamAnswer.question_token, ExamAnswer.selected).where(
            ExamAnswer.attempt_id.in_(closed)
        )
    ):
        saved.setdefault(attempt_id, {})[token] = selected or []
    questions = {
        question.id: question
        for question in db.session.scalars(
            select(ExamQuestion)
            .join(ExamCategory, ExamCategory.id == ExamQuestion.category_id)
            .join(Exam, Exam.id == ExamCategory.exam_id)
            .where(Exam.course_id == course_id)
            .options(selectinload(ExamQuestion.choices), joinedload(ExamQuestion.category))
        ).unique()
    }
    tallies: dict[int, list[int]] = {}
    for attempt_id, layout in layouts:
        answers = saved.get(attempt_id, {})
        for item in layout or []:
            question = questions.get(item.get("question_id"))
            if question is None:
                continue
            tally = tallies.setdefault(question.id, [0, 0])
            tally[0] += 1
            tally[1] += not exams.is_right(question, item, answers.get(item["token"], []))
    about = {q.id: (q.prompt, q.category.title, q.category_id) for q in questions.values()}
    return _hardest(tallies, about)
