"""Lesson page under load, beside the floor measured in the same run.

A logged-in student opens a lesson of a 20 x 10 course that 10,000 students are enrolled in,
served by gunicorn (2 sync workers) on loopback and loaded by wrk. The floor is the same base
layout with no database, same gunicorn settings. Goal: the lesson page at >= 40% of the floor.

    .venv/bin/python -m bench.lesson_page [--seconds 10] [--rounds 3] [--database-url postgresql+psycopg://...]
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

import flask_migrate
from sqlalchemy import insert, select, text

from bench.http_load import Target, alternate, gunicorn, log_in, report
from lms import create_app
from lms.extensions import db
from lms.models import Course, Enrollment, Lesson, LessonProgress, Module, User, utcnow
from lms.services import passwords

SECRET = "bench-secret-key-that-is-long-enough-for-production"  # noqa: S105 - a throwaway bench key
STUDENT, PASSWORD = "bench.student@example.org", "una frase per il benchmark"
DEMO_TEXTS = sorted(
    (Path(__file__).resolve().parent.parent / "lms/demo/diventare-assistente-virtuale").glob("*.md")
)


os.environ["ALLOW_TEST_PAYMENTS"] = "1"  # production settings, but no Stripe account here


def seed(database_url: str, students: int) -> None:
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": SECRET, "LMS_ENV": "production"}
    )
    with app.app_context():
        if database_url.startswith("postgresql"):
            db.session.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            db.session.commit()
        flask_migrate.upgrade()
        bodies = [path.read_text(encoding="utf-8") for path in DEMO_TEXTS]
        course = Course(slug="bench", title="Corso di prova", price_cents=29700, is_published=True)
        for m in range(20):
            module = Module(title=f"Modulo {m + 1}", position=m)
            course.modules.append(module)
            for n in range(10):
                module.lessons.append(
                    Lesson(
                        course=course,
                        position=n,
                        slug=f"l-{m}-{n}",
                        title=f"Lezione {m + 1}.{n + 1}",
                        body_md=bodies[(m * 10 + n) % len(bodies)],
                        minutes=10,
                    )
                )
        db.session.add(course)
        db.session.flush()
        password_hash = passwords.hash_password(PASSWORD)
        now = utcnow()
        rows = [
            {
                "email": f"s{i}@example.org",
                "name": f"Studente {i}",
                "password_hash": password_hash,
                "role": "student",
                "locale": "it",
                "created_at": now,
                "email_verified_at": now,
            }
            for i in range(students - 1)
        ]
        rows.append(dict(rows[0], email=STUDENT, name="Studente Bench"))
        db.session.execute(insert(User), rows)
        user_ids = db.session.scalars(select(User.id)).all()
        db.session.execute(
            insert(Enrollment),
            [
                {
                    "user_id": uid,
                    "course_id": course.id,
                    "status": "active",
                    "source": "manual",
                    "created_at": now,
                    "updated_at": now,
                }
                for uid in user_ids
            ],
        )
        student_id = db.session.scalar(select(User.id).where(User.email == STUDENT))
        lessons = db.session.scalars(
            select(Lesson.id).where(Lesson.course_id == course.id).order_by(Lesson.id)
        ).all()
        db.session.execute(
            insert(LessonProgress),
            [
                {
                    "user_id": student_id,
                    "lesson_id": lid,
                    "course_id": course.id,
                    "first_viewed_at": now,
                    "last_viewed_at": now,
                    "completed_at": now,
                }
                for lid in lessons[:37]
            ],
        )
        db.session.commit()
        db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--students", type=int, default=10_000)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        database_url = args.database_url or f"sqlite:///{folder}/bench.sqlite3"
        seed(database_url, args.students)
        env = {
            "DATABASE_URL": database_url,
            "SECRET_KEY": SECRET,
            "LMS_ENV": "production",
            "PUBLIC_BASE_URL": "http://127.0.0.1",
            "RATELIMIT_ENABLED": "false",
        }
        with gunicorn("floor_app()", env) as floor_port, gunicorn("app()", env) as port:
            cookie = log_in(port, STUDENT, PASSWORD)
            rounds = alternate(
                Target(f"http://127.0.0.1:{floor_port}/_floor"),
                Target(f"http://127.0.0.1:{port}/learn/bench/l-3-7", cookie=cookie),
                args.seconds,
                args.rounds,
            )
    backend = "PostgreSQL" if database_url.startswith("postgresql") else "SQLite"
    print(
        f"lesson page, 20x10 course, {args.students} enrolled, {backend}, "
        "gunicorn 2 sync workers, wrk -c16"
    )
    report(rounds, "lesson page (logged in)", goal=0.4)


if __name__ == "__main__":
    main()
