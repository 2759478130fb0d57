"""200 candidates autosave and submit the exam at once, against gunicorn on loopback.

Reports lost answers (what a client was told was saved but the database does not hold after
submission: must be zero) and the latency of a save (p50, p99).

    .venv/bin/python -m bench.exam_autosave [--candidates 200] [--database-url URL]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import secrets
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode

import flask_migrate
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import select, text

from bench.http_load import gunicorn
from lms import create_app
from lms.extensions import db
from lms.models import (
    Course,
    Enrollment,
    Exam,
    ExamAnswer,
    ExamAttempt,
    ExamCategory,
    ExamChoice,
    ExamPledge,
    ExamQuestion,
    Lesson,
    LessonProgress,
    Module,
    User,
    utcnow,
)
from lms.services import exams, sessions

os.environ["ALLOW_TEST_PAYMENTS"] = "1"
SECRET = "bench-secret-key-that-is-long-enough-for-production"  # noqa: S105 - throwaway bench key


def seed(database_url: str, candidates: int) -> list[dict]:
    """A course with an exam of 20 questions; each candidate logged in, pledged and started."""
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": SECRET, "LMS_ENV": "production"}
    )
    clients = []
    with app.app_context(), app.test_request_context():
        if database_url.startswith("postgresql"):
            db.session.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            db.session.commit()
        flask_migrate.upgrade()
        course = Course(slug="bench", title="Corso", price_cents=0, is_published=True)
        module = Module(title="Modulo", position=0)
        course.modules.append(module)
        module.lessons.append(Lesson(course=course, slug="l", title="Lezione", body_md="Testo"))
        exam = Exam(title="Esame", questions_per_attempt=20, time_limit_minutes=30)
        db.session.add(course)
        db.session.flush()
        exam.course_id = course.id
        for c in range(4):
            category = ExamCategory(key=f"c{c}", title=f"Categoria {c}", draw=5, position=c)
            for q in range(8):
                question = ExamQuestion(kind="single", prompt=f"Domanda {c}.{q}")
                question.choices = [
                    ExamChoice(position=i, text=f"Opzione {i}", is_correct=i == 0) for i in range(4)
                ]
                category.questions.append(question)
            exam.categories.append(category)
        db.session.add(exam)
        db.session.commit()
        lesson_id = course.modules[0].lessons[0].id
        serializer = app.session_interface.get_signing_serializer(app)
        csrf_serializer = URLSafeTimedSerializer(SECRET, salt="wtf-csrf-token")
        for number in range(candidates):
            user = User(
                email=f"c{number}@example.org",
                name=f"Candidato {number}",
                password_hash="!",  # noqa: S106 - no password: sessions are made directly
                role="student",
            )
            db.session.add(user)
            db.session.flush()
            db.session.add(
                Enrollment(user_id=user.id, course_id=course.id, status="active", source="manual")
            )
            db.session.add(
                LessonProgress(
                    user_id=user.id, lesson_id=lesson_id, course_id=course.id, completed_at=utcnow()
                )
            )
            db.session.add(ExamPledge(exam_id=exam.id, user_id=user.id, pledge_text="ok"))
            session_id = sessions.start_session(user, ip=None, user_agent="bench")
            db.session.commit()
            attempt = exams.start_attempt(user, exam)
            raw_csrf = secrets.token_hex(20)
            cookie = serializer.dumps(
                {
                    "_user_id": str(user.id),
                    "sid": session_id,
                    "_fresh": True,
                    "csrf_token": raw_csrf,
                }
            )
            clients.append(
                {
                    "attempt": attempt.public_id,
                    "cookie": f"lms_session={cookie}",
                    "csrf": csrf_serializer.dumps(raw_csrf),
                    "layout": [
                        (item["token"], [o["token"] for o in item["options"]])
                        for item in attempt.layout
                    ],
                }
            )
        db.engine.dispose()
    return clients


def run_candidate(port: int, client: dict, rounds: int) -> tuple[list[float], dict[str, str], int]:
    """Answer every question `rounds` times (changing minds), then submit; return save latencies,
    the last answer the server confirmed per question, and the number of failed requests."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {
        "Cookie": client["cookie"],
        "X-CSRFToken": client["csrf"],
        "Content-Type": "application/json",
    }
    url = f"/learn/bench/exam/{client['attempt']}/answer"
    latencies, confirmed, failures, sequence = [], {}, 0, 0
    for round_number in range(rounds):
        for token, options in client["layout"]:
            sequence += 1
            choice = options[(round_number + sequence) % len(options)]
            body = json.dumps({"question": token, "selected": [choice], "sequence": sequence})
            started = time.perf_counter()
            connection.request("POST", url, body=body, headers=headers)
            response = connection.getresponse()
            payload = response.read()
            latencies.append((time.perf_counter() - started) * 1000)
            if response.status == 200 and json.loads(payload).get("saved"):
                confirmed[token] = choice
            else:
                failures += 1
    form = urlencode({"csrf_token": client["csrf"], "sequence": 1})
    submit_headers = {
        "Cookie": client["cookie"],
        "Content-Type": "application/x-www-form-urlencoded",
    }
    connection.request(
        "POST", f"/learn/bench/exam/{client['attempt']}/submit", body=form, headers=submit_headers
    )
    response = connection.getresponse()
    response.read()
    failures += response.status != 303
    return latencies, confirmed, failures


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--candidates", type=int, default=200)
    parser.add_argument(
        "--rounds", type=int, default=2, help="times each candidate answers every question"
    )
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        database_url = args.database_url or f"sqlite:///{folder}/bench.sqlite3"
        clients = seed(database_url, args.candidates)
        env = {
            "DATABASE_URL": database_url,
            "SECRET_KEY": SECRET,
            "LMS_ENV": "production",
            "PUBLIC_BASE_URL": "http://127.0.0.1",
            "RATELIMIT_ENABLED": "false",
            "ALLOW_TEST_PAYMENTS": "1",
        }
        started = time.perf_counter()
        with (
            gunicorn("app()", env, workers=4) as port,
            ThreadPoolExecutor(max_workers=args.candidates) as pool,
        ):
            results = list(
                pool.map(lambda client: run_candidate(port, client, args.rounds), clients)
            )
        elapsed = time.perf_counter() - started
        app = create_app(
            {"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": SECRET, "LMS_ENV": "production"}
        )
        lost = 0
        with app.app_context():
            for client, (_latencies, confirmed, _failures) in zip(clients, results, strict=True):
                attempt = db.session.scalar(
                    select(ExamAttempt).where(ExamAttempt.public_id == client["attempt"])
                )
                stored = {
                    answer.question_token: answer.selected
                    for answer in db.session.scalars(
                        select(ExamAnswer).where(ExamAnswer.attempt_id == attempt.id)
                    )
                }
                lost += sum(stored.get(token) != [choice] for token, choice in confirmed.items())
                lost += attempt.state != "submitted"
            db.engine.dispose()
    latencies = sorted(value for result in results for value in result[0])
    failures = sum(result[2] for result in results)
    backend = "PostgreSQL" if database_url.startswith("postgresql") else "SQLite"
    p99 = latencies[int(len(latencies) * 0.99) - 1]
    print(
        f"exam autosave: {args.candidates} candidates x {args.rounds} rounds x 20 answers, "
        f"{backend}, gunicorn 4 sync workers"
    )
    print(
        f"saves: {len(latencies)} in {elapsed:.1f} s ({len(latencies) / elapsed:.0f}/s)   "
        f"failed requests: {failures}"
    )
    print(f"save latency: p50 {statistics.median(latencies):.1f} ms   p99 {p99:.1f} ms")
    print(f"lost answers: {lost} (must be 0)")


if __name__ == "__main__":
    main()
