"""Plain functions that create rows for tests; call them inside an app context."""

from __future__ import annotations

from itertools import count

from sqlalchemy import select

from lms.extensions import db
from lms.models import (
    Certificate,
    Choice,
    Course,
    Enrollment,
    Exam,
    ExamCategory,
    ExamChoice,
    ExamQuestion,
    Lesson,
    Module,
    Order,
    Profile,
    Question,
    Quiz,
    Role,
    User,
    utcnow,
)
from lms.services import certificates, directory, passwords

PASSWORD = "correct horse battery"
_sequence = count(1)


def make_user(**overrides) -> User:
    number = next(_sequence)
    password = overrides.pop("password", PASSWORD)
    values = {
        "email": f"user{number}@example.org",
        "name": f"Utente {number}",
        "role": Role.STUDENT.value,
        "locale": "it",
        "email_verified_at": utcnow(),
    }
    values.update(overrides)
    user = User(password_hash=passwords.hash_password(password), **values)
    db.session.add(user)
    db.session.commit()
    return user


def make_course(modules: int = 2, lessons_per_module: int = 2, **overrides) -> Course:
    number = next(_sequence)
    values = {
        "slug": f"corso-{number}",
        "title": f"Corso {number}",
        "subtitle": "Un corso di prova",
        "description_md": "Descrizione **breve**.",
        "price_cents": 19900,
        "is_published": True,
    }
    values.update(overrides)
    course = Course(**values)
    for m in range(modules):
        module = Module(title=f"Modulo {m + 1}", position=m)
        course.modules.append(module)
        for n in range(lessons_per_module):
            module.lessons.append(
                Lesson(
                    course=course,
                    title=f"Lezione {m + 1}.{n + 1}",
                    slug=f"lezione-{m + 1}-{n + 1}",
                    position=n,
                    body_md="Testo della lezione.",
                    minutes=10,
                )
            )
    db.session.add(course)
    db.session.commit()
    return course


def make_enrollment(user: User, course: Course, **overrides) -> Enrollment:
    enrollment = Enrollment(user_id=user.id, course_id=course.id, **overrides)
    db.session.add(enrollment)
    db.session.commit()
    return enrollment


def make_order(user: User, course: Course, **overrides) -> Order:
    number = next(_sequence)
    values = {
        "number": f"T{number:09d}",
        "user_id": user.id,
        "course_id": course.id,
        "list_price_cents": course.price_cents,
        "amount_cents": course.price_cents,
        "currency": course.currency,
        "course_title": course.title,
        "customer_name": user.name,
        "customer_email": user.email,
        "checkout_session_id": f"cs_test_factory{number}",
    }
    values.update(overrides)
    order = Order(**values)
    db.session.add(order)
    db.session.commit()
    return order


def make_quiz(course: Course, module: Module, lesson: Lesson | None = None, **overrides) -> Quiz:
    """A quiz with one question of each kind (1 point each), closing `module` or after `lesson`."""
    values = {"title": "Quiz del modulo", "pass_percent": 75, "max_attempts": 0, "shuffle": True}
    values.update(overrides)
    place = {"lesson_id": lesson.id} if lesson is not None else {"module_id": module.id}
    quiz = Quiz(course_id=course.id, **place, **values)
    single = Question(
        position=0,
        kind="single",
        prompt="Quale strumento serve per le password?",
        explanation="Un password manager.",
    )
    single.choices = [
        Choice(position=0, text="Un password manager", is_correct=True),
        Choice(position=1, text="Un foglio Excel", is_correct=False),
        Choice(position=2, text="Un post-it", is_correct=False),
    ]
    multiple = Question(
        position=1,
        kind="multiple",
        prompt="Quali sono ruoli di un VA?",
        explanation="Entrambi i primi due.",
    )
    multiple.choices = [
        Choice(position=0, text="Executive Assistant", is_correct=True),
        Choice(position=1, text="Web Marketing Assistant", is_correct=True),
        Choice(position=2, text="Notaio", is_correct=False),
    ]
    true_false = Question(
        position=2,
        kind="true_false",
        prompt="Il contratto va scritto.",
        explanation="Sempre.",
        answer_true=True,
    )
    text = Question(
        position=3,
        kind="text",
        prompt="Il regime fiscale agevolato?",
        explanation="Il forfettario.",
        accepted=["regime forfettario", "forfettario"],
    )
    quiz.questions = [single, multiple, true_false, text]
    db.session.add(quiz)
    db.session.commit()
    return quiz


def right_answers(quiz: Quiz) -> dict[str, list[str]]:
    """Form data answering every question of `make_quiz` correctly."""
    data: dict[str, list[str]] = {}
    for question in quiz.questions:
        key = f"q{question.id}"
        if question.kind in ("single", "multiple"):
            data[key] = [str(choice.id) for choice in question.choices if choice.is_correct]
        elif question.kind == "true_false":
            data[key] = ["true" if question.answer_true else "false"]
        else:
            data[key] = ["Forfettàrio."]
    return data


def make_exam(
    course: Course, categories: int = 3, per_category: int = 4, draw: int = 2, **overrides
) -> Exam:
    """An exam whose questions are single choice; the right option's text starts with 'Giusta'."""
    values = {
        "title": "Esame etico",
        "questions_per_attempt": categories * draw,
        "time_limit_minutes": 30,
        "pass_percent": 80,
        "max_attempts": 2,
        "cooldown_hours": 24,
        "grace_seconds": 30,
        "code_of_ethics_md": "Art. 1 — Riservatezza.",
        "pledge_text": "Mi impegno a rispettare il codice.",
    }
    values.update(overrides)
    exam = Exam(course_id=course.id, **values)
    for c in range(categories):
        category = ExamCategory(key=f"cat{c}", title=f"Categoria {c}", draw=draw, position=c)
        for q in range(per_category):
            question = ExamQuestion(
                kind="single", prompt=f"Domanda {c}.{q}", explanation="Spiegazione segreta"
            )
            question.choices = [
                ExamChoice(position=0, text=f"Giusta {c}.{q}", is_correct=True),
                ExamChoice(position=1, text=f"Sbagliata A {c}.{q}", is_correct=False),
                ExamChoice(position=2, text=f"Sbagliata B {c}.{q}", is_correct=False),
            ]
            category.questions.append(question)
        exam.categories.append(category)
    db.session.add(exam)
    db.session.commit()
    return exam


def make_certificate(user: User, course: Course, **overrides) -> Certificate:
    """A certificate issued through the service (signed, with a status slot), then adjusted."""
    certificate = certificates.issue_certificate(user, course, now=overrides.pop("now", None))
    for name, value in overrides.items():
        setattr(certificate, name, value)
    db.session.commit()
    return certificate


def make_profile(user: User, published: bool = True, **overrides) -> Profile:
    """A directory profile saved through the service; published when the user is certified."""
    values = {"display_name": user.name, "slug": directory.slugify(user.name)}
    values.update(overrides)
    directory.save_profile(user.id, directory.ProfileData(**values))
    if published:
        directory.set_published(user.id, True)
    return directory.profile_of(user.id)


def make_graduate(course: Course, name: str, **profile) -> User:
    """A user with a certificate for `course` and a published directory profile."""
    user = make_user(email=f"{directory.slugify(name)}@example.org", name=name)
    make_certificate(user, course)
    make_profile(user, **profile)
    return user


def make_member(user: User, course: Course, **overrides):
    """`user` entered into `course`'s community (enrolled unless staff): the Viewer."""
    from lms.services import community_access

    if not user.is_staff and not enrollment_exists(user, course):
        make_enrollment(user, course)
    viewer = community_access.enter(user, course)
    if overrides:
        member = community_access.find_member(course.id, user.id)
        for name, value in overrides.items():
            setattr(member, name, value)
        db.session.commit()
        viewer = community_access.viewer_of(member, user)
    return viewer


def enrollment_exists(user: User, course: Course) -> bool:
    return bool(
        db.session.scalar(
            select(Enrollment.id).where(
                Enrollment.user_id == user.id, Enrollment.course_id == course.id
            )
        )
    )


def make_thread(viewer, course: Course, title: str = "Una domanda", body: str = "Testo", **kw):
    from lms.models import Category
    from lms.services import community_posts

    data = community_posts.NewThread(
        category=kw.pop("category", Category.CLIENTS), title=title, body=body, **kw
    )
    return community_posts.start_thread(viewer, course, data)
