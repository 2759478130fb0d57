"""Plain functions that create rows for tests; call them inside an app context."""

from __future__ import annotations

from itertools import count

from lms.extensions import db
from lms.models import Course, Enrollment, Lesson, Module, Order, Role, User, utcnow
from lms.services import passwords

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
