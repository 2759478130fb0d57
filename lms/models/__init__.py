"""Every model, imported here so Alembic and the app see the whole schema."""

from lms.models.audit import AuditEntry
from lms.models.certificates import (
    Certificate,
    CertificateDocument,
    CertificateStatus,
    StatusListCredential,
    StatusPurpose,
    StatusSlot,
    certificate_status,
    display_code,
)
from lms.models.courses import (
    Course,
    Enrollment,
    EnrollmentSource,
    EnrollmentStatus,
    Lesson,
    Module,
)
from lms.models.exams import (
    AttemptState,
    Exam,
    ExamAnswer,
    ExamAttempt,
    ExamCategory,
    ExamChoice,
    ExamGrant,
    ExamPledge,
    ExamQuestion,
)
from lms.models.learning import (
    Attachment,
    Choice,
    LessonProgress,
    Question,
    QuestionKind,
    Quiz,
    QuizAttempt,
)
from lms.models.outbox import OutboxEmail
from lms.models.payments import Coupon, CouponKind, Order, OrderStatus, StripeEvent, TestModeObject
from lms.models.types import utcnow
from lms.models.users import LoginSession, Role, TokenPurpose, User, UserToken

__all__ = [
    "Attachment",
    "AttemptState",
    "Exam",
    "ExamAnswer",
    "ExamAttempt",
    "ExamCategory",
    "ExamChoice",
    "ExamGrant",
    "ExamPledge",
    "ExamQuestion",
    "AuditEntry",
    "Certificate",
    "CertificateDocument",
    "CertificateStatus",
    "StatusListCredential",
    "StatusPurpose",
    "StatusSlot",
    "certificate_status",
    "display_code",
    "Choice",
    "Coupon",
    "CouponKind",
    "Course",
    "Enrollment",
    "EnrollmentSource",
    "EnrollmentStatus",
    "Lesson",
    "LessonProgress",
    "LoginSession",
    "Module",
    "Order",
    "OrderStatus",
    "OutboxEmail",
    "Question",
    "QuestionKind",
    "Quiz",
    "QuizAttempt",
    "Role",
    "StripeEvent",
    "TestModeObject",
    "TokenPurpose",
    "User",
    "UserToken",
    "utcnow",
]
