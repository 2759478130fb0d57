"""The demo course loads with real content, and loading it again changes nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from lms.extensions import db
from lms.models import (
    CommunityMember,
    Course,
    Enrollment,
    Exam,
    Lesson,
    Module,
    Notification,
    Post,
    Quiz,
    Thread,
    User,
)
from lms.services import demo
from tests.conftest import login


def _counts():
    return tuple(
        db.session.scalar(select(func.count()).select_from(model))
        for model in (User, Course, Module, Lesson, Enrollment, Thread, Post, Notification)
    )


def test_demo_loader_is_idempotent(app):
    with app.app_context():
        assert demo.database_is_empty()
        first = demo.load_demo()
        assert first == {"users": 3, "courses": 1, "enrollments": 1, "threads": 5}
        counts = _counts()
        assert demo.load_demo() == {"users": 0, "courses": 0, "enrollments": 0, "threads": 0}
        assert _counts() == counts
        assert not demo.database_is_empty()


def test_demo_course_has_substance(app):
    with app.app_context():
        demo.load_demo()
        course = db.session.scalar(select(Course).where(Course.slug == demo.DEMO_COURSE))
        assert course.title == "Diventare Assistente Virtuale"
        assert course.is_published and course.price_cents > 0
        assert len(course.modules) >= 5
        lessons = [lesson for module in course.modules for lesson in module.lessons]
        assert len(lessons) >= 15
        assert all(len(lesson.body_md.split()) >= 300 for lesson in lessons)
        text = " ".join(lesson.body_md for lesson in lessons).lower()
        for topic in (
            "executive assistant",
            "virtual office manager",
            "web marketing",
            "codice etico",
            "prezz",
            "client",
        ):
            assert topic in text, topic
        quizzes = db.session.scalars(select(Quiz).where(Quiz.course_id == course.id)).all()
        assert {quiz.module_id for quiz in quizzes} == {module.id for module in course.modules}
        for quiz in quizzes:
            kinds = {question.kind for question in quiz.questions}
            assert len(quiz.questions) >= 6 and {"multiple", "true_false"} <= kinds
            assert all(question.explanation for question in quiz.questions)
            for question in quiz.questions:
                right = [choice for choice in question.choices if choice.is_correct]
                if question.kind == "single":
                    assert len(right) == 1, question.prompt
                if question.kind == "multiple":
                    assert len(right) >= 2, question.prompt
                if question.kind == "text":
                    assert question.accepted, question.prompt
        exam = db.session.scalar(select(Exam).where(Exam.course_id == course.id))
        assert (
            len(exam.categories) >= 6
            and sum(c.draw for c in exam.categories) == exam.questions_per_attempt
        )
        assert sum(len(c.questions) for c in exam.categories) >= 40
        assert all(len(c.questions) >= 2 * c.draw for c in exam.categories)
        assert "Art." in exam.code_of_ethics_md and exam.pledge_text


def test_demo_logins_work(app, client):
    with app.app_context():
        demo.load_demo()
    for account in demo.DEMO_LOGINS:
        assert login(client, account.email, account.password).status_code == 302, account.email
        client.post("/logout")


def test_seed_command_only_when_empty_and_prints_logins(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["lms", "seed-demo", "--if-empty"])
    assert result.exit_code == 0, result.output
    assert "Demo loaded" in result.output and "docente@example.com" in result.output
    again = runner.invoke(args=["lms", "seed-demo", "--if-empty"])
    assert "already has data" in again.output and "studente@example.com" in again.output


def test_demo_is_refused_in_production(make_app, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.setenv("ALLOW_TEST_PAYMENTS", "1")
    app = make_app(LMS_ENV="production")
    result = app.test_cli_runner().invoke(args=["lms", "seed-demo", "--if-empty"])
    assert result.exit_code != 0 and "not loaded in production" in result.output
    with app.app_context():
        assert demo.database_is_empty()


def test_changed_demo_passwords_are_not_printed(app):
    runner = app.test_cli_runner()
    runner.invoke(args=["lms", "seed-demo"])
    with app.app_context():
        from lms.services import accounts

        user = accounts.find_user_by_email("admin@example.com")
        accounts.change_password(user.id, "Regia-Demo-2026!", "una nuova frase segreta", None, None)
    output = runner.invoke(args=["lms", "seed-demo", "--if-empty"]).output
    assert "admin@example.com" not in output and "docente@example.com" in output


def test_demo_community_has_conversations_mentors_and_graduates(app):
    with app.app_context():
        demo.load_demo()
        threads = db.session.scalars(select(Thread)).all()
        assert {thread.category for thread in threads} == {
            "introductions",
            "clients",
            "tools",
            "wins",
            "lessons",
        }
        assert any(thread.lesson_id for thread in threads)
        assert any(thread.accepted_post_id for thread in threads)
        assert all(thread.post_count >= 2 for thread in threads)
        mentors = db.session.scalars(select(CommunityMember).where(CommunityMember.is_mentor)).all()
        assert len(mentors) == 2 and all(m.mentor_specializations for m in mentors)
        student = db.session.scalar(select(User).where(User.email == "studente@example.com"))
        kinds = set(
            db.session.scalars(select(Notification.kind).where(Notification.user_id == student.id))
        )
        assert kinds == {"reply"}
