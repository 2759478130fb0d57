"""Following a course: who may open what, what is done, and what opens next.

The outline is computed in one pass over the course, the student's progress and passed quizzes,
so the course home, the lesson page and the access checks agree by construction.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property

from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from lms.extensions import db, write_transaction
from lms.models import (
    Attachment,
    Course,
    Enrollment,
    Lesson,
    LessonProgress,
    Module,
    Quiz,
    QuizAttempt,
    User,
    utcnow,
)
from lms.services import enrollment as enrollments
from lms.services.errors import DomainError


class LessonLocked(DomainError):
    """The student is enrolled, but this lesson has not opened yet."""


@dataclass(frozen=True)
class LessonInfo:
    """What the outline needs of a lesson: read as plain rows, 200 of them per page view."""

    id: int
    course_id: int
    module_id: int
    slug: str
    title: str
    is_preview: bool
    drip_days: int
    minutes: int


@dataclass(frozen=True)
class ModuleInfo:
    id: int
    title: str
    lessons: tuple[LessonInfo, ...]


_structures: OrderedDict[tuple[int, datetime], tuple[ModuleInfo, ...]] = OrderedDict()
_STRUCTURES_KEPT = 64


def structure(course: Course) -> tuple[ModuleInfo, ...]:
    """Modules and lessons of a course in order, without bodies.

    Kept in memory per version of the course: any change to its modules or lessons moves
    `Course.updated_at` (see models.courses), so every process sees a new key at once.
    """
    key = (course.id, course.updated_at)
    found = _structures.get(key)
    if found is None:
        found = _structures[key] = tuple(_read_structure(course.id))
        while len(_structures) > _STRUCTURES_KEPT:
            _structures.popitem(last=False)
    return found


def _read_structure(course_id: int) -> list[ModuleInfo]:
    lessons: dict[int, list[LessonInfo]] = {}
    for row in db.session.execute(
        select(
            Lesson.id, Lesson.course_id, Lesson.module_id, Lesson.slug, Lesson.title,
            Lesson.is_preview, Lesson.drip_days, Lesson.minutes,
        )
        .where(Lesson.course_id == course_id, Lesson.is_draft.is_(False))
        .order_by(Lesson.position, Lesson.id)
    ):  # fmt: skip
        lessons.setdefault(row.module_id, []).append(LessonInfo(*row))
    modules = db.session.execute(
        select(Module.id, Module.title)
        .where(Module.course_id == course_id)
        .order_by(Module.position, Module.id)
    )
    # A module with no published lesson is not shown, nor its quiz: it is still being written.
    return [ModuleInfo(m.id, m.title, tuple(lessons[m.id])) for m in modules if m.id in lessons]


@dataclass
class LessonState:
    lesson: LessonInfo
    done: bool = False
    locked: bool = False
    opens_at: datetime | None = None  # drip: the date it opens
    needs_previous: bool = False  # sequential: the previous step is not done yet
    current: bool = False
    quiz: QuizState | None = None  # a quiz attached to this lesson


@dataclass
class QuizState:
    quiz: Quiz
    passed: bool = False
    attempts: int = 0
    locked: bool = False


@dataclass
class ModuleState:
    module: ModuleInfo
    lessons: list[LessonState] = field(default_factory=list)
    quiz: QuizState | None = None

    @property
    def steps(self) -> int:
        quizzes = sum(s.quiz is not None for s in self.lessons) + (self.quiz is not None)
        return len(self.lessons) + quizzes

    @property
    def steps_done(self) -> int:
        passed = sum(s.quiz.passed for s in self.lessons if s.quiz is not None)
        return sum(s.done for s in self.lessons) + passed + bool(self.quiz and self.quiz.passed)

    @property
    def entry(self) -> LessonState | None:
        """Where a folded module's link leads: its first lesson still to do, else its first."""
        open_ones = [s for s in self.lessons if not s.locked]
        return next((s for s in open_ones if not s.done), open_ones[0] if open_ones else None)


@dataclass
class Outline:
    course: Course
    modules: list[ModuleState]
    enrolled: bool
    staff: bool
    last_viewed: dict[int, datetime] = field(default_factory=dict)
    previewing: bool = False  # staff seeing the course as a new student: nothing is recorded

    @property
    def lessons(self) -> list[LessonState]:
        return [state for module in self.modules for state in module.lessons]

    @property
    def quizzes(self) -> list[QuizState]:
        found = [lesson.quiz for lesson in self.lessons if lesson.quiz is not None]
        return found + [module.quiz for module in self.modules if module.quiz is not None]

    @cached_property
    def percent(self) -> int:
        steps = sum(module.steps for module in self.modules)
        done = sum(module.steps_done for module in self.modules)
        return round(100 * done / steps) if steps else 0

    @property
    def complete(self) -> bool:
        return all(s.done for s in self.lessons) and all(q.passed for q in self.quizzes)

    @property
    def current(self) -> LessonState | None:
        return next((s for s in self.lessons if s.current), None)

    def state_of(self, lesson_id: int) -> LessonState | None:
        return next((s for s in self.lessons if s.lesson.id == lesson_id), None)

    def neighbours(self, lesson_id: int) -> tuple[LessonInfo | None, LessonInfo | None]:
        lessons = [s.lesson for s in self.lessons]
        index = next(i for i, lesson in enumerate(lessons) if lesson.id == lesson_id)
        previous = lessons[index - 1] if index > 0 else None
        following = lessons[index + 1] if index + 1 < len(lessons) else None
        return previous, following


def find_lesson(course_id: int, slug: str) -> Lesson | None:
    return db.session.scalar(_LESSON, {"course_id": course_id, "slug": slug})


def _quizzes(course_id: int) -> tuple[dict[int, Quiz], dict[int, Quiz]]:
    """The course's quizzes by module and by lesson."""
    by_module: dict[int, Quiz] = {}
    by_lesson: dict[int, Quiz] = {}
    for quiz in db.session.scalars(_QUIZZES, {"course_id": course_id}):
        if quiz.lesson_id is not None:
            by_lesson[quiz.lesson_id] = quiz
        elif quiz.module_id is not None:
            by_module[quiz.module_id] = quiz
    return by_module, by_lesson


# Built once: on a lesson page, making each statement cost as much as running it.
_PROGRESS = select(
    LessonProgress.lesson_id, LessonProgress.completed_at, LessonProgress.last_viewed_at
).where(
    LessonProgress.user_id == bindparam("user_id"),
    LessonProgress.course_id == bindparam("course_id"),
)
_ATTEMPTS = (
    select(QuizAttempt.quiz_id, QuizAttempt.passed)
    .join(Quiz)
    .where(QuizAttempt.user_id == bindparam("user_id"), Quiz.course_id == bindparam("course_id"))
)
_QUIZZES = select(Quiz).where(Quiz.course_id == bindparam("course_id"))
_LESSON = (
    select(Lesson)
    .where(
        Lesson.course_id == bindparam("course_id"),
        Lesson.slug == bindparam("slug"),
        Lesson.is_draft.is_(False),
    )
    .options(joinedload(Lesson.module))
)
_ATTACHMENTS = (
    select(Attachment).where(Attachment.lesson_id == bindparam("lesson_id")).order_by(Attachment.id)
)


def outline_for(
    course: Course, user: User | None, now: datetime | None = None, *, as_new_student: bool = False
) -> Outline:
    """Every lesson's state for this person: done, current, or locked and why.

    `as_new_student` is what a student enrolled right now sees: the studio's "view as student".
    """
    now = now or utcnow()
    staff = bool(user and user.is_authenticated and user.is_staff) and not as_new_student
    enrollment: Enrollment | None = None
    done_ids: set[int] = set()
    viewed: dict[int, datetime] = {}
    attempts: dict[int, list[bool]] = {}
    if user is not None and user.is_authenticated:
        enrollment = enrollments.find(user.id, course.id)
        ids = {"user_id": user.id, "course_id": course.id}
        for lesson_id, completed_at, last_viewed_at in db.session.execute(_PROGRESS, ids):
            viewed[lesson_id] = last_viewed_at
            if completed_at is not None:
                done_ids.add(lesson_id)
        for quiz_id, passed in db.session.execute(_ATTEMPTS, ids):
            attempts.setdefault(quiz_id, []).append(passed)
    enrolled = as_new_student or (enrollment is not None and enrollment.is_active)
    enrolled_at = now if as_new_student else enrollment.created_at if enrollment else None
    module_quizzes, lesson_quizzes = _quizzes(course.id)

    def quiz_state(quiz: Quiz, before_done: bool) -> QuizState:
        results = attempts.get(quiz.id, [])
        passed = any(results)
        waiting = course.sequential and not before_done and not passed and not staff
        return QuizState(
            quiz, passed=passed, attempts=len(results), locked=not (enrolled or staff) or waiting
        )

    modules: list[ModuleState] = []
    previous_done = True  # sequential mode: has everything before this step been done?
    found_current = False
    for module in structure(course):
        module_state = ModuleState(module)
        for lesson in module.lessons:
            state = LessonState(lesson, done=lesson.id in done_ids)
            if enrolled and not staff:
                if lesson.drip_days and enrolled_at is not None:
                    opens_at = enrolled_at + timedelta(days=lesson.drip_days)
                    if opens_at > now:
                        state.locked, state.opens_at = True, opens_at
                if course.sequential and not previous_done and not state.done:
                    state.locked, state.needs_previous = True, True
            elif not staff:
                state.locked = not lesson.is_preview
            if enrolled and not found_current and not state.done and not state.locked:
                state.current = found_current = True
            if lesson.id in lesson_quizzes:  # open together with its lesson
                opened = previous_done or not state.locked
                state.quiz = quiz_state(lesson_quizzes[lesson.id], opened)
                state.quiz.locked = state.quiz.locked or state.locked
            quiz_passed = state.quiz is None or state.quiz.passed
            previous_done = previous_done and state.done and quiz_passed
            module_state.lessons.append(state)
        if module.id in module_quizzes:
            module_state.quiz = quiz_state(module_quizzes[module.id], previous_done)
            if enrolled and not staff and any(lesson.locked for lesson in module_state.lessons):
                module_state.quiz.locked = True  # not before every lesson it covers is open
            previous_done = previous_done and module_state.quiz.passed
        modules.append(module_state)
    return Outline(
        course,
        modules,
        enrolled=enrolled,
        staff=staff,
        last_viewed=viewed,
        previewing=as_new_student,
    )


def can_open(outline: Outline, lesson_id: int) -> bool:
    state = outline.state_of(lesson_id)
    return state is not None and not state.locked


def mark_done(user_id: int, lesson: Lesson) -> None:
    """Mark a lesson done; twice is the same as once."""
    _record(user_id, lesson, completed=True)


VIEW_RESOLUTION = timedelta(minutes=10)


def record_view(user_id: int, lesson: Lesson, outline: Outline) -> None:
    """Note the visit at most every few minutes per lesson: reading must not queue to write."""
    seen = outline.last_viewed.get(lesson.id)
    if seen is None or utcnow() - seen > VIEW_RESOLUTION:
        _record(user_id, lesson, completed=False)


@write_transaction()
def _record(user_id: int, lesson: Lesson, *, completed: bool) -> None:
    now = utcnow()
    row = db.session.scalar(
        select(LessonProgress).where(
            LessonProgress.user_id == user_id, LessonProgress.lesson_id == lesson.id
        )
    )
    if row is None:
        row = LessonProgress(user_id=user_id, lesson_id=lesson.id, course_id=lesson.course_id)
        try:
            with db.session.begin_nested():
                db.session.add(row)
        except IntegrityError:
            row = db.session.scalar(
                select(LessonProgress).where(
                    LessonProgress.user_id == user_id, LessonProgress.lesson_id == lesson.id
                )
            )
    row.last_viewed_at = now
    if completed and row.completed_at is None:
        row.completed_at = now
    db.session.commit()


def attachments_of(lesson_id: int) -> list[Attachment]:
    return list(db.session.scalars(_ATTACHMENTS, {"lesson_id": lesson_id}))


def attachment(lesson_id: int, attachment_id: int) -> Attachment | None:
    found = db.session.get(Attachment, attachment_id)
    return found if found is not None and found.lesson_id == lesson_id else None
