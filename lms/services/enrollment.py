"""Who may follow a course: enrolling, and ending or restoring access."""

from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError

from lms.extensions import db, write_transaction
from lms.models import Course, Enrollment, EnrollmentSource, EnrollmentStatus, User
from lms.services import audit
from lms.services.errors import DomainError


class NotFree(DomainError):
    """The course has a price: it is bought, not joined."""


_ENROLLMENT = select(Enrollment).where(
    Enrollment.user_id == bindparam("user_id"), Enrollment.course_id == bindparam("course_id")
)  # built once: asked on every lesson page


def find(user_id: int, course_id: int) -> Enrollment | None:
    return db.session.scalar(_ENROLLMENT, {"user_id": user_id, "course_id": course_id})


def is_enrolled(user_id: int, course_id: int) -> bool:
    enrollment = find(user_id, course_id)
    return enrollment is not None and enrollment.is_active


def set_status(
    user_id: int,
    course_id: int,
    status: EnrollmentStatus,
    source: EnrollmentSource,
    order_id: int | None = None,
) -> Enrollment:
    """Create or update the one enrollment of a user in a course, in the caller's transaction.

    The unique constraint decides between concurrent creators: the loser updates the winner's row.
    """
    enrollment = find(user_id, course_id)
    if enrollment is None:
        try:
            with db.session.begin_nested():
                enrollment = Enrollment(
                    user_id=user_id,
                    course_id=course_id,
                    status=status.value,
                    source=source.value,
                    order_id=order_id,
                )
                db.session.add(enrollment)
            return enrollment
        except IntegrityError:
            enrollment = find(user_id, course_id)
            assert enrollment is not None
    enrollment.status = status.value
    if status == EnrollmentStatus.ACTIVE:
        enrollment.source = source.value
        enrollment.order_id = order_id
    return enrollment


@write_transaction()
def enroll_free(user: User, course: Course) -> Enrollment:
    """One click on a free course; clicking twice changes nothing."""
    if not course.is_free:
        raise NotFree("not_free")
    existing = find(user.id, course.id)
    if existing is not None and existing.status != EnrollmentStatus.REFUNDED:
        return existing  # active stays active; revoked or suspended stays as staff left it
    enrollment = set_status(user.id, course.id, EnrollmentStatus.ACTIVE, EnrollmentSource.FREE)
    audit.record("enrollment.free", actor_id=user.id, target=enrollment, course_id=course.id)
    db.session.commit()
    return enrollment


@write_transaction()
def enroll_manually(
    actor: User, student: User, course: Course, reason: str, ip: str | None
) -> Enrollment:
    enrollment = set_status(student.id, course.id, EnrollmentStatus.ACTIVE, EnrollmentSource.MANUAL)
    db.session.flush()
    audit.record(
        "enrollment.manual_add",
        actor_id=actor.id,
        target=enrollment,
        ip=ip,
        student_id=student.id,
        course_id=course.id,
        reason=reason,
    )
    db.session.commit()
    return enrollment


@write_transaction()
def revoke(actor: User, enrollment_id: int, reason: str, ip: str | None) -> Enrollment:
    enrollment = db.session.get(Enrollment, enrollment_id)
    if enrollment is None:
        raise DomainError("not_found")
    previous = enrollment.status
    enrollment.status = EnrollmentStatus.REVOKED.value
    audit.record(
        "enrollment.revoke",
        actor_id=actor.id,
        target=enrollment,
        ip=ip,
        student_id=enrollment.user_id,
        course_id=enrollment.course_id,
        previous=previous,
        reason=reason,
    )
    db.session.commit()
    return enrollment


def active_courses(user_id: int) -> list[Course]:
    """The courses a student can follow now, most recently joined first."""
    return list(
        db.session.scalars(
            select(Course)
            .join(Enrollment, Enrollment.course_id == Course.id)
            .where(
                Enrollment.user_id == user_id, Enrollment.status == EnrollmentStatus.ACTIVE.value
            )
            .order_by(Enrollment.created_at.desc())
        )
    )
