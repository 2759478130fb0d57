"""The demo course and its demo accounts, loaded from `lms/demo/<slug>/course.toml`.

Loading twice changes nothing: accounts and courses that already exist are left as they are.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from lms.extensions import db
from lms.models import (
    Choice,
    Course,
    Enrollment,
    EnrollmentSource,
    Exam,
    ExamCategory,
    ExamChoice,
    ExamQuestion,
    Lesson,
    Module,
    Question,
    QuestionKind,
    Quiz,
    Role,
    User,
)
from lms.services import accounts, certificate_pdf, demo_community, passwords

DEMO_DIR = Path(__file__).resolve().parent.parent / "demo"
DEMO_COURSE = "diventare-assistente-virtuale"


@dataclass(frozen=True)
class DemoLogin:
    role: Role
    name: str
    email: str
    password: str


DEMO_LOGINS = (
    DemoLogin(Role.ADMIN, "Amministratore Demo", "admin@example.com", "Regia-Demo-2026!"),
    DemoLogin(Role.INSTRUCTOR, "Giulia Ferraris", "docente@example.com", "Cattedra-Demo-2026!"),
    DemoLogin(Role.STUDENT, "Marco Bianchi", "studente@example.com", "Lezione-Demo-2026!"),
)


def load_course(folder: Path) -> tuple[Course, bool]:
    """Create the course described in `folder/course.toml`; return (course, created)."""
    manifest = tomllib.loads((folder / "course.toml").read_text(encoding="utf-8"))
    existing = db.session.scalar(select(Course).where(Course.slug == manifest["slug"]))
    if existing is not None:
        return existing, False
    course = Course(
        slug=manifest["slug"],
        title=manifest["title"],
        subtitle=manifest.get("subtitle", ""),
        description_md=manifest.get("description", "").strip(),
        price_cents=manifest.get("price_cents", 0),
        currency=manifest.get("currency", "eur"),
        language=manifest.get("language", "it"),
        hours=manifest.get("hours", 0),
        certificate_validity_months=manifest.get("certificate_validity_months"),
        certificate_signer_name=manifest.get("certificate_signer_name", ""),
        certificate_signer_title=manifest.get("certificate_signer_title", ""),
        is_published=True,
    )
    for module_position, module_data in enumerate(manifest["modules"]):
        module = Module(
            position=module_position,
            title=module_data["title"],
            summary=module_data.get("summary", ""),
        )
        course.modules.append(module)
        for lesson_position, lesson_data in enumerate(module_data["lessons"]):
            module.lessons.append(
                Lesson(
                    course=course,
                    position=lesson_position,
                    slug=lesson_data["slug"],
                    title=lesson_data["title"],
                    body_md=(folder / lesson_data["file"]).read_text(encoding="utf-8"),
                    is_preview=lesson_data.get("preview", False),
                    minutes=lesson_data.get("minutes", 0),
                    drip_days=lesson_data.get("drip_days", 0),
                )
            )
    db.session.add(course)
    db.session.flush()
    for number, module in enumerate(course.modules, start=1):
        quiz_file = folder / "quizzes" / f"modulo-{number:02d}.toml"
        if quiz_file.exists():
            db.session.add(
                quiz_from_manifest(
                    tomllib.loads(quiz_file.read_text(encoding="utf-8")), course, module
                )
            )
    exam_file = folder / "exam.toml"
    if exam_file.exists():
        db.session.add(
            exam_from_manifest(tomllib.loads(exam_file.read_text(encoding="utf-8")), course, folder)
        )
    return course, True


def exam_from_manifest(data: dict, course: Course, folder: Path) -> Exam:
    """The certification exam described as in `exam.toml`, with its bank by category."""
    exam = Exam(
        course_id=course.id,
        title=data["title"],
        questions_per_attempt=data["questions_per_attempt"],
        time_limit_minutes=data["time_limit_minutes"],
        pass_percent=data["pass_percent"],
        max_attempts=data["max_attempts"],
        cooldown_hours=data["cooldown_hours"],
        grace_seconds=data.get("grace_seconds", 30),
        code_of_ethics_md=(folder / data["code_of_ethics_file"]).read_text(encoding="utf-8"),
        pledge_text=data["pledge"].strip(),
    )
    categories = {}
    for position, item in enumerate(data["categories"]):
        categories[item["key"]] = ExamCategory(
            key=item["key"], title=item["title"], draw=item["draw"], position=position
        )
        exam.categories.append(categories[item["key"]])
    for item in data["questions"]:
        question = ExamQuestion(
            kind=QuestionKind(item["kind"]).value,
            prompt=item["prompt"],
            explanation=item.get("explanation", ""),
            answer_true=item.get("answer"),
        )
        for position, choice in enumerate(item.get("choices", [])):
            question.choices.append(
                ExamChoice(position=position, text=choice["text"], is_correct=choice["correct"])
            )
        categories[item["category"]].questions.append(question)
    return exam


def quiz_from_manifest(data: dict, course: Course, module: Module) -> Quiz:
    """A quiz described as in `quizzes/modulo-NN.toml`."""
    quiz = Quiz(
        course_id=course.id,
        module_id=module.id,
        title=data["title"],
        pass_percent=data.get("pass_percent", 70),
        max_attempts=data.get("max_attempts", 0),
        shuffle=data.get("shuffle", True),
    )
    for position, item in enumerate(data["questions"]):
        question = Question(
            position=position,
            kind=QuestionKind(item["kind"]).value,
            prompt=item["prompt"],
            explanation=item.get("explanation", ""),
            points=item.get("points", 1),
            answer_true=item.get("answer"),
            accepted=item.get("accepted", []),
        )
        for choice_position, choice in enumerate(item.get("choices", [])):
            question.choices.append(
                Choice(position=choice_position, text=choice["text"], is_correct=choice["correct"])
            )
        quiz.questions.append(question)
    return quiz


def load_demo() -> dict[str, int]:
    """Load demo accounts, the demo course, and enroll the demo student; skip what exists."""
    created_users = 0
    users: dict[Role, User] = {}
    for login in DEMO_LOGINS:
        user = accounts.find_user_by_email(login.email)
        if user is None:
            user = accounts.create_user(login.email, login.name, login.password, login.role)
            created_users += 1
        users[login.role] = user
    course, created_course = load_course(DEMO_DIR / DEMO_COURSE)
    db.session.flush()
    signature = DEMO_DIR / DEMO_COURSE / "signature.png"
    if signature.exists() and not certificate_pdf.signature_path(course.id).exists():
        certificate_pdf.store_signature(course.id, signature.read_bytes())
    student = users[Role.STUDENT]
    enrolled = db.session.scalar(
        select(Enrollment).where(
            Enrollment.user_id == student.id, Enrollment.course_id == course.id
        )
    )
    if enrolled is None:
        db.session.add(
            Enrollment(
                user_id=student.id, course_id=course.id, source=EnrollmentSource.MANUAL.value
            )
        )
    db.session.commit()
    threads = demo_community.load_community(DEMO_DIR / DEMO_COURSE, course)
    return {
        "users": created_users,
        "courses": int(created_course),
        "enrollments": int(enrolled is None),
        "threads": threads,
    }


def database_is_empty() -> bool:
    return db.session.scalar(select(User.id).limit(1)) is None


def working_demo_logins() -> list[DemoLogin]:
    """The demo logins whose published password still opens the account."""
    working = []
    for login in DEMO_LOGINS:
        user = accounts.find_user_by_email(login.email)
        if user is not None and passwords.verify_password(user.password_hash, login.password):
            working.append(login)
    return working
