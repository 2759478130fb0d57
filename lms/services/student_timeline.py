"""One student of a course as the studio sees them: progress per module, results, certificate,
and a timeline of what they did and what staff did about them, newest first.

The timeline is read from the rows themselves (progress, attempts, orders, certificate) and from
the audit log for staff actions, which carry who and why. Where both tell the same thing (a
refund, a revocation) the audit entry is kept and the row's copy dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, case, func, or_, select

from lms.extensions import db
from lms.models import (
    ROLES,
    SPECIALIZATIONS,
    AuditEntry,
    Certificate,
    Course,
    Enrollment,
    Exam,
    ExamAttempt,
    ExamGrant,
    ExamPledge,
    Lesson,
    LessonProgress,
    Module,
    Order,
    Profile,
    Quiz,
    QuizAttempt,
    User,
    utcnow,
)
from lms.models.directory import from_mask
from lms.services import enrollment as enrollments
from lms.services import exams, roster

TIMELINE_LIMIT = 200

# Staff actions (and certificate changes) about a student, by audit action: the event they show.
AUDIT_EVENTS = {
    "enrollment.manual_add": "enrolled_by_hand",
    "enrollment.revoke": "enrollment_revoked",
    "exam.grant_attempt": "attempt_granted",
    "order.refund": "order_refunded",
    "certificate.issue": "certificate_issued",
    "certificate.renew": "certificate_renewed",
    "certificate.issue_by_instructor": "certificate_issued_by_hand",
    "certificate.revoke": "certificate_revoked",
    "certificate.suspend": "certificate_suspended",
    "certificate.reinstate": "certificate_reinstated",
    "certificate.unsuspend": "certificate_unsuspended",
}


# At the same instant, what logically comes later is shown first (newest first).
_SEQUENCE = {
    "enrolled": 0, "order_paid": 1, "lesson_viewed": 2, "lesson_completed": 3,
    "quiz_attempt": 4, "exam_pledge": 5, "exam_started": 6, "exam_closed": 7,
    "certificate_issued": 8,
}  # fmt: skip


@dataclass(frozen=True)
class Event:
    at: datetime
    kind: str
    title: str = ""  # lesson or quiz title
    detail: str = ""  # enrollment source, order number, certificate code, attempt state
    score: int | None = None
    passed: bool | None = None
    number: int | None = None  # exam attempt number
    attempt_id: int | None = None
    actor: str = ""  # staff member's name
    reason: str = ""


@dataclass(frozen=True)
class ModuleProgress:
    title: str
    steps: int
    steps_done: int

    @property
    def percent(self) -> int:
        return round(100 * self.steps_done / self.steps) if self.steps else 0


@dataclass(frozen=True)
class QuizResult:
    title: str
    attempts: int
    best: int | None
    passed: bool


@dataclass
class StudentRecord:
    user: User
    enrollment: Enrollment
    profile: Profile | None
    modules: list[ModuleProgress]
    quizzes: list[QuizResult]
    exam: Exam | None
    exam_attempts: list[ExamAttempt]
    exam_allowed: int
    certificate: Certificate | None
    certificate_status: str  # "none", or a CertificateStatus value
    timeline: list[Event] = field(default_factory=list)

    @property
    def roles(self) -> list[str]:
        return from_mask(self.profile.roles, ROLES) if self.profile else []

    @property
    def specializations(self) -> list[str]:
        return from_mask(self.profile.specializations, SPECIALIZATIONS) if self.profile else []

    @property
    def steps(self) -> int:
        return sum(module.steps for module in self.modules)

    @property
    def steps_done(self) -> int:
        return sum(module.steps_done for module in self.modules)

    @property
    def percent(self) -> int:
        return round(100 * self.steps_done / self.steps) if self.steps else 0


def student_record(
    course: Course, user_id: int, now: datetime | None = None
) -> StudentRecord | None:
    """Everything the student page shows; None unless the user was ever enrolled in the course."""
    now = now or utcnow()
    enrollment = enrollments.find(user_id, course.id)
    if enrollment is None:
        return None
    user = db.session.get(User, user_id)
    progress = db.session.execute(
        select(
            LessonProgress.lesson_id, LessonProgress.first_viewed_at, LessonProgress.completed_at,
            Lesson.title,
        )
        .join(Lesson, Lesson.id == LessonProgress.lesson_id)
        .where(LessonProgress.user_id == user_id, LessonProgress.course_id == course.id)
    ).all()  # fmt: skip
    modules, quizzes = _progress(
        course.id, user_id, {p.lesson_id for p in progress if p.completed_at}
    )
    exam = exams.exam_for(course.id)
    attempts = list(exams.attempts_of(user_id, exam.id)) if exam else []
    certificate = db.session.scalar(
        select(Certificate).where(
            Certificate.user_id == user_id, Certificate.course_id == course.id
        )
    )
    record = StudentRecord(
        user=user,
        enrollment=enrollment,
        profile=db.session.scalar(select(Profile).where(Profile.user_id == user_id)),
        modules=modules,
        quizzes=quizzes,
        exam=exam,
        exam_attempts=attempts,
        exam_allowed=exams.allowed_attempts(exam, user_id) if exam else 0,
        certificate=certificate,
        certificate_status=certificate.status_at(now).value if certificate else "none",
    )
    record.timeline = _timeline(record, course, progress)
    return record


def _progress(
    course_id: int, user_id: int, done_lessons: set[int]
) -> tuple[list[ModuleProgress], list[QuizResult]]:
    """Steps per module, counted as the roster counts them (drafts left out)."""
    lesson_module = dict(
        db.session.execute(
            select(Lesson.id, Lesson.module_id).where(
                Lesson.id.in_(roster.counted_lessons(course_id))
            )
        ).all()
    )
    best = {
        row.quiz_id: row
        for row in db.session.execute(
            select(
                QuizAttempt.quiz_id,
                func.count().label("attempts"),
                func.max(QuizAttempt.score_percent).label("best"),
                func.max(case((QuizAttempt.passed.is_(True), 1), else_=0)).label("passed"),
            )
            .where(QuizAttempt.user_id == user_id)
            .where(QuizAttempt.quiz_id.in_(roster.counted_quizzes(course_id)))
            .group_by(QuizAttempt.quiz_id)
        )
    }
    quizzes = db.session.execute(
        select(Quiz.id, Quiz.title, Quiz.module_id, Quiz.lesson_id)
        .where(Quiz.id.in_(roster.counted_quizzes(course_id)))
        .order_by(Quiz.id)
    ).all()
    modules = db.session.execute(
        select(Module.id, Module.title)
        .where(Module.course_id == course_id)
        .order_by(Module.position, Module.id)
    ).all()
    order = {module.id: index for index, module in enumerate(modules)}

    def module_of(quiz) -> int | None:
        return lesson_module.get(quiz.lesson_id) if quiz.lesson_id else quiz.module_id

    quizzes = sorted(
        quizzes, key=lambda q: (order.get(module_of(q), len(order)), q.lesson_id is None)
    )
    results = []
    for quiz in quizzes:
        found = best.get(quiz.id)
        results.append(
            QuizResult(
                quiz.title,
                found.attempts if found else 0,
                found.best if found else None,
                bool(found and found.passed),
            )
        )
    lessons_of: dict[int, list[int]] = {}
    for lesson_id, module_id in lesson_module.items():
        lessons_of.setdefault(module_id, []).append(lesson_id)
    progress = []
    for module in modules:
        lessons = lessons_of.get(module.id, [])
        own = [q for q in quizzes if module_of(q) == module.id]
        passed = sum(bool(best.get(q.id) and best[q.id].passed) for q in own)
        done = sum(lid in done_lessons for lid in lessons) + passed
        progress.append(ModuleProgress(module.title, len(lessons) + len(own), done))
    return progress, results


def _timeline(record: StudentRecord, course: Course, progress) -> list[Event]:
    user_id = record.user.id
    orders = _orders(user_id, course.id)
    audit_events, covered = _audit_events(record, orders)
    events = [Event(record.enrollment.created_at, "enrolled", detail=record.enrollment.source)]
    for row in progress:
        events.append(Event(row.first_viewed_at, "lesson_viewed", title=row.title))
        if row.completed_at is not None:
            events.append(Event(row.completed_at, "lesson_completed", title=row.title))
    for attempt in db.session.execute(
        select(QuizAttempt.submitted_at, QuizAttempt.score_percent, QuizAttempt.passed, Quiz.title)
        .join(Quiz, Quiz.id == QuizAttempt.quiz_id)
        .where(QuizAttempt.user_id == user_id, Quiz.course_id == course.id)
        .order_by(QuizAttempt.submitted_at.desc())
        .limit(TIMELINE_LIMIT)
    ):
        events.append(
            Event(attempt.submitted_at, "quiz_attempt", title=attempt.title,
                  score=attempt.score_percent, passed=attempt.passed)
        )  # fmt: skip
    for order in orders:
        if order.paid_at is not None:
            events.append(Event(order.paid_at, "order_paid", detail=order.number))
        if order.refunded_at is not None and ("order.refund", order.id) not in covered:
            events.append(Event(order.refunded_at, "order_refunded", detail=order.number))
    if record.exam is not None:
        pledged = db.session.scalar(
            select(ExamPledge.accepted_at).where(
                ExamPledge.exam_id == record.exam.id, ExamPledge.user_id == user_id
            )
        )
        if pledged is not None:
            events.append(Event(pledged, "exam_pledge"))
    for attempt in record.exam_attempts:
        events.append(
            Event(attempt.started_at, "exam_started", number=attempt.number, attempt_id=attempt.id)
        )
        if attempt.closed_at is not None:
            events.append(
                Event(attempt.closed_at, "exam_closed", detail=attempt.state,
                      score=attempt.score_percent, passed=attempt.passed,
                      number=attempt.number, attempt_id=attempt.id)
            )  # fmt: skip
    events += _certificate_rows(record.certificate, covered) + audit_events
    events.sort(key=lambda event: (event.at, _SEQUENCE.get(event.kind, 0)), reverse=True)
    return events[:TIMELINE_LIMIT]


def _orders(user_id: int, course_id: int) -> list[Order]:
    return list(
        db.session.scalars(
            select(Order)
            .where(Order.user_id == user_id, Order.course_id == course_id)
            .where(or_(Order.paid_at.is_not(None), Order.refunded_at.is_not(None)))
            .order_by(Order.created_at.desc())
            .limit(TIMELINE_LIMIT)
        )
    )


def _certificate_rows(certificate: Certificate | None, covered: set) -> list[Event]:
    """The certificate's dates, when no audit entry already told them (older data, scripts)."""
    if certificate is None:
        return []
    code = certificate.display_code
    events = []
    issued = {"certificate.issue", "certificate.issue_by_instructor", "certificate.renew"}
    if not any((action, certificate.id) in covered for action in issued):
        events.append(Event(certificate.issued_at, "certificate_issued", detail=code))
    if certificate.revoked_at and ("certificate.revoke", certificate.id) not in covered:
        events.append(
            Event(certificate.revoked_at, "certificate_revoked", detail=code,
                  reason=certificate.revoked_reason)
        )  # fmt: skip
    if certificate.suspended_at and ("certificate.suspend", certificate.id) not in covered:
        events.append(
            Event(certificate.suspended_at, "certificate_suspended", detail=code,
                  reason=certificate.suspended_reason)
        )  # fmt: skip
    return events


def _audit_events(record: StudentRecord, orders: list[Order]) -> tuple[list[Event], set]:
    """Audit entries about this student's enrollment, orders, exam grants and certificate."""
    numbers = {str(order.id): order.number for order in orders}
    targets = [("enrollments", [record.enrollment.id]), ("orders", list(numbers))]
    if record.exam is not None:
        grants = db.session.scalars(
            select(ExamGrant.id).where(
                ExamGrant.exam_id == record.exam.id, ExamGrant.user_id == record.user.id
            )
        )
        targets.append(("exam_grants", list(grants)))
    if record.certificate is not None:
        targets.append(("certificates", [record.certificate.id]))
    about = or_(
        *(
            and_(AuditEntry.target_type == kind, AuditEntry.target_id.in_([str(i) for i in ids]))
            for kind, ids in targets
            if ids
        )
    )
    entries = db.session.scalars(
        select(AuditEntry)
        .where(about, AuditEntry.action.in_(AUDIT_EVENTS))
        .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
        .limit(TIMELINE_LIMIT)
    ).all()
    covered = {(entry.action, int(entry.target_id)) for entry in entries}
    names = _names({entry.actor_id for entry in entries} - {None, record.user.id})
    events = []
    for entry in entries:
        by_hand = ("certificate.issue_by_instructor", int(entry.target_id))
        if entry.action == "certificate.issue" and by_hand in covered:
            continue  # the same issue, told with its reason by the entry that follows it
        details = entry.details or {}
        if entry.target_type == "orders":
            detail = numbers.get(entry.target_id, "")
        else:
            detail = str(details.get("code", ""))
        events.append(
            Event(
                entry.created_at,
                AUDIT_EVENTS[entry.action],
                detail=detail,
                actor=names.get(entry.actor_id, ""),
                reason=str(details.get("reason", "")),
            )
        )
    return events, covered


def _names(user_ids: set[int]) -> dict[int, str]:
    if not user_ids:
        return {}
    return dict(db.session.execute(select(User.id, User.name).where(User.id.in_(user_ids))).all())
