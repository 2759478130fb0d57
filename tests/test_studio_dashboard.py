"""The course dashboard: its figures against a known data set, its charts, and who may open it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, select

from lms.blueprints.dashboard import routes as dashboard_routes
from lms.extensions import db
from lms.models import (
    Course,
    ExamAnswer,
    ExamAttempt,
    ExamQuestion,
    Lesson,
    LessonProgress,
    Question,
    Quiz,
    QuizAttempt,
)
from lms.services import charts, course_stats, exams
from tests import factories
from tests.conftest import login

NOW = datetime(2025, 6, 15, 12, 0, tzinfo=UTC)


def at(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def _quiz_attempt(user, quiz, number, wrong=(), passed=None):
    """An attempt whose answers are wrong for the questions at the positions in `wrong`."""
    answers = {
        str(q.id): {"given": ["x"], "correct": q.position not in wrong} for q in quiz.questions
    }
    right = sum(record["correct"] for record in answers.values())
    score = round(100 * right / len(answers))
    db.session.add(
        QuizAttempt(
            user_id=user.id,
            quiz_id=quiz.id,
            number=number,
            submitted_at=NOW - timedelta(days=3),
            score_percent=score,
            passed=score >= quiz.pass_percent if passed is None else passed,
            answers=answers,
        )
    )


def _progress(user, lessons, completed=True):
    for lesson in lessons:
        db.session.add(
            LessonProgress(
                user_id=user.id,
                lesson_id=lesson.id,
                course_id=lesson.course_id,
                completed_at=NOW - timedelta(days=5) if completed else None,
            )
        )


def _exam_attempt(user, exam, wrong_prompts, *, state="submitted", blank=()):
    """A closed attempt over the whole bank: wrong for `wrong_prompts`, no answer for `blank`."""
    layout = exams.draw_layout(exam)
    attempt = ExamAttempt(
        public_id=f"attempt-{user.id}",
        user_id=user.id,
        exam_id=exam.id,
        number=1,
        state=state,
        started_at=NOW - timedelta(days=2),
        deadline=NOW - timedelta(days=2) + timedelta(minutes=30),
        layout=layout,
    )
    db.session.add(attempt)
    db.session.flush()
    questions = {q.id: q for category in exam.categories for q in category.questions}
    for item in layout:
        question = questions[item["question_id"]]
        if question.prompt in blank:
            continue
        want_right = question.prompt not in wrong_prompts
        token = next(
            option["token"]
            for option in item["options"]
            if next(c for c in question.choices if c.id == option["choice_id"]).is_correct
            == want_right
        )
        db.session.add(
            ExamAnswer(attempt_id=attempt.id, question_token=item["token"], selected=[token])
        )


@pytest.fixture
def known(app):
    """Six students of one course (one before the period), orders, progress, quizzes, an exam.

    Expected figures are spelled out in the tests; see each row's comment.
    """
    with app.app_context():
        course = factories.make_course(slug="corso", modules=2, lessons_per_module=2)
        lessons = db.session.scalars(
            select(Lesson).where(Lesson.course_id == course.id).order_by(Lesson.id)
        ).all()
        first_module = course.modules[0]
        draft = Lesson(
            course_id=course.id,
            module_id=first_module.id,
            position=9,
            slug="bozza",
            title="Bozza",
            is_draft=True,
        )
        db.session.add(draft)
        db.session.commit()
        quiz = factories.make_quiz(course, first_module)  # due: closes module 1
        # Not due: after a draft lesson.
        draft_quiz = factories.make_quiz(
            course, first_module, lesson=draft, title="Quiz della bozza"
        )
        db.session.commit()
        exam = factories.make_exam(course, categories=2, per_category=2, draw=2)

        s = [factories.make_user(name=f"Studente {n}") for n in range(1, 7)]
        enrol = [
            (s[0], "purchase", at(2025, 1, 10), "active"),
            (s[1], "purchase", at(2025, 1, 20), "refunded"),
            (s[2], "free", at(2025, 3, 5), "active"),
            (s[3], "manual", at(2025, 6, 1), "active"),
            (s[4], "purchase", at(2024, 5, 31), "refunded"),  # before the 12 months
            (s[5], "manual", at(2025, 3, 31, 23, 30), "revoked"),  # April in Rome
        ]
        for user, source, created_at, status in enrol:
            factories.make_enrollment(
                user, course, source=source, created_at=created_at, status=status
            )
        orders = [
            (s[0], 19900, at(2025, 1, 10), None),
            (s[1], 19900, at(2025, 1, 20), at(2025, 2, 3)),  # refunded the next month
            (s[4], 19900, at(2024, 5, 31), at(2024, 7, 2)),  # paid before, refunded within
            (s[3], 14900, at(2025, 6, 1), None),  # with a coupon
            (s[2], 19900, None, None),  # never paid
            (s[5], 19900, None, at(2025, 4, 1)),  # refund came before the payment was seen
        ]
        for user, amount, paid_at, refunded_at in orders:
            factories.make_order(
                user,
                course,
                amount_cents=amount,
                paid_at=paid_at,
                refunded_at=refunded_at,
                status="refunded" if refunded_at else ("paid" if paid_at else "pending"),
            )

        # Another course's rows never show.
        other = factories.make_course(slug="altro", modules=1, lessons_per_module=1)
        outsider = factories.make_user(name="Altra")
        factories.make_enrollment(outsider, other, source="purchase", created_at=at(2025, 1, 5))
        factories.make_order(outsider, other, paid_at=at(2025, 1, 5), status="paid")

        _progress(s[0], lessons)  # completed: every lesson, the quiz passed
        _progress(s[1], lessons[:1], completed=False)  # started: viewed a lesson
        _progress(s[3], lessons)  # every lesson, but the quiz never passed
        _progress(s[5], lessons)  # completed (the draft lesson is not due)
        _quiz_attempt(s[0], quiz, 1, wrong=(0, 1))
        _quiz_attempt(s[0], quiz, 2)
        _quiz_attempt(s[2], quiz, 1, wrong=(0, 1, 2))  # started: tried the quiz only
        _quiz_attempt(s[3], quiz, 1, wrong=(0, 1))
        _quiz_attempt(s[3], quiz, 2, wrong=(1, 2))
        _quiz_attempt(s[5], quiz, 1)
        for number, user in enumerate((s[0], s[2], s[3], s[5]), start=1):
            del number
            _quiz_attempt(user, draft_quiz, 1, wrong=(0,), passed=False)  # only 4 answers
        db.session.commit()

        factories.make_certificate(s[0], course)
        factories.make_certificate(s[5], course, revoked_at=at(2025, 5, 1))
        factories.make_certificate(outsider, course)  # issued by hand, never enrolled

        # Exam: 5 closed attempts over the 4 questions, and one in progress that does not count.
        _exam_attempt(s[0], exam, {"Domanda 0.0"})
        _exam_attempt(s[1], exam, {"Domanda 0.0", "Domanda 1.1"})
        _exam_attempt(s[2], exam, {"Domanda 0.0", "Domanda 1.1"}, state="expired")
        _exam_attempt(s[3], exam, {"Domanda 0.0"}, blank={"Domanda 0.1"})
        _exam_attempt(s[5], exam, set())
        _exam_attempt(
            s[4], exam, {"Domanda 0.0", "Domanda 0.1", "Domanda 1.0"}, state="in_progress"
        )
        db.session.commit()

        factories.make_user(email="docente@example.org", role="instructor")
        categories = {c.key: c.id for c in exam.categories}
        return {"course": course.id, "quiz": quiz.id, "categories": categories}


def _stats(tz=UTC):
    course = db.session.scalar(select(Course).where(Course.slug == "corso"))
    return course_stats.course_stats(course, NOW, tz)


def test_enrollments_per_month_by_source(app, known):
    with app.app_context():
        stats = _stats()
    months = [m.month for m in stats.enrollments]
    assert months[0] == date(2024, 7, 1) and months[-1] == date(2025, 6, 1) and len(months) == 12
    by_month = {m.month: (m.purchase, m.free, m.manual) for m in stats.enrollments}
    assert by_month[date(2025, 1, 1)] == (2, 0, 0)
    assert by_month[date(2025, 3, 1)] == (0, 1, 1)
    assert by_month[date(2025, 6, 1)] == (0, 0, 1)
    assert sum(by_month[m] != (0, 0, 0) for m in months) == 3  # the other months are empty
    total = stats.enrollments_total
    assert (total.purchase, total.free, total.manual, total.total) == (2, 1, 2, 5)


def test_months_are_those_of_the_studio_time_zone(app, known):
    with app.app_context():
        stats = _stats(ZoneInfo("Europe/Rome"))
    by_month = {m.month: m.manual for m in stats.enrollments}
    assert by_month[date(2025, 3, 1)] == 0 and by_month[date(2025, 4, 1)] == 1


def test_revenue_counts_payments_and_takes_refunds_off_in_their_month(app, known):
    with app.app_context():
        stats = _stats()
    by_month = {m.month: (m.paid_cents, m.refunded_cents, m.net_cents) for m in stats.revenue}
    assert by_month[date(2024, 7, 1)] == (0, 19900, -19900)  # paid before the period
    assert by_month[date(2025, 1, 1)] == (39800, 0, 39800)
    assert by_month[date(2025, 2, 1)] == (0, 19900, -19900)
    assert by_month[date(2025, 4, 1)] == (0, 0, 0)  # a refund of a payment never seen
    assert by_month[date(2025, 6, 1)] == (14900, 0, 14900)
    assert (stats.paid_total, stats.refunded_total, stats.net_total) == (54700, 39800, 14900)
    assert stats.currency == "eur"


def test_completion_funnel(app, known):
    with app.app_context():
        stats = _stats()
    assert [(s.key, s.count, s.percent) for s in stats.funnel] == [
        ("enrolled", 6, 100),  # every enrollment ever, refunded and revoked too
        ("started", 5, 83),
        ("completed", 2, 33),  # drafts and the quiz after a draft are not due
        ("certified", 1, 17),  # a revoked certificate and a non-student's do not count
    ]


def test_quiz_questions_most_often_wrong(app, known):
    with app.app_context():
        stats = _stats()
        quiz = db.session.get(Quiz, known["quiz"])
        ids = {q.position: q.id for q in quiz.questions}
    found = [(q.question_id, q.answered, q.wrong, q.percent_wrong) for q in stats.quiz_questions]
    # The text question was never wrong; the draft lesson's quiz has 4 answers (under 5).
    assert found == [(ids[1], 6, 4, 67), (ids[0], 6, 3, 50), (ids[2], 6, 2, 33)]
    assert stats.quiz_questions[0].prompt == "Quali sono ruoli di un VA?"
    assert stats.quiz_questions[0].group == "Quiz del modulo"
    assert course_stats.MIN_ANSWERS == 5


def test_exam_questions_most_often_wrong(app, known):
    with app.app_context():
        stats = _stats()
    found = [(q.prompt, q.group, q.answered, q.percent_wrong) for q in stats.exam_questions]
    # Closed attempts only (the expired one too); a blank answer is wrong, as when graded.
    assert found == [
        ("Domanda 0.0", "Categoria 0", 5, 80),
        ("Domanda 1.1", "Categoria 1", 5, 40),
        ("Domanda 0.1", "Categoria 0", 5, 20),
    ]
    assert stats.exam_questions[0].group_id == known["categories"]["cat0"]


def test_the_threshold_keeps_rarely_answered_questions_out(app, known, monkeypatch):
    monkeypatch.setattr(course_stats, "MIN_ANSWERS", 4)
    with app.app_context():
        stats = _stats()
        draft_quiz = db.session.scalar(select(Quiz).where(Quiz.title == "Quiz della bozza"))
        first = draft_quiz.questions[0].id
    assert stats.quiz_questions[0].question_id == first  # 4 of 4 wrong: now it tops the list
    assert stats.quiz_questions[0].percent_wrong == 100
    monkeypatch.setattr(course_stats, "MIN_ANSWERS", 6)
    with app.app_context():
        assert _stats().exam_questions == []  # every exam question has 5 answers


def test_a_course_without_activity_has_empty_figures(app, known):
    with app.app_context():
        stats = course_stats.course_stats(factories.make_course(slug="vuoto"), NOW)
    assert [m.total for m in stats.enrollments] == [0] * 12
    assert [s.count for s in stats.funnel] == [0, 0, 0, 0]
    assert stats.quiz_questions == stats.exam_questions == [] and not stats.has_exam


def test_figures_take_a_fixed_number_of_statements(app, known):
    """More students, attempts and orders read in the same number of statements."""
    statements = []

    def count(*_args):
        statements.append(1)

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", count)
        _stats()
        before = len(statements)
        course = db.session.scalar(select(Course).where(Course.slug == "corso"))
        exam = exams.exam_for(course.id)
        quiz = db.session.get(Quiz, known["quiz"])
        for n in range(3):
            user = factories.make_user(name=f"Nuovo {n}")
            factories.make_enrollment(user, course, created_at=at(2025, 5, 2))
            factories.make_order(user, course, paid_at=at(2025, 5, 2), status="paid")
            _quiz_attempt(user, quiz, 1, wrong=(0,))
            _exam_attempt(user, exam, {"Domanda 1.0"})
            db.session.commit()
        statements.clear()
        _stats()
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(statements) == before


PLOT_HEIGHT = charts.COLUMN_HEIGHT - charts.MARGIN_TOP - charts.MARGIN_BOTTOM
PLOT_BOTTOM = charts.MARGIN_TOP + PLOT_HEIGHT


def columns(*names):
    return [charts.Category(name, name.upper()) for name in names]


def test_column_geometry():
    chart = charts.column_chart(
        columns("a", "b", "c"),
        [charts.Series("one", "One", [2, 0, 1]), charts.Series("two", "Two", [2, 0, 0])],
    )
    first = [bar for bar in chart.bars if bar.title.startswith("A ")]
    assert [bar.height for bar in first] == [PLOT_HEIGHT / 2, PLOT_HEIGHT / 2]
    assert [bar.y for bar in first] == [PLOT_BOTTOM - PLOT_HEIGHT / 2, charts.MARGIN_TOP]
    assert not [bar for bar in chart.bars if bar.title.startswith("B ")]  # an empty month
    assert [bar.height for bar in chart.bars if bar.title.startswith("C ")] == [PLOT_HEIGHT / 4]
    assert first[0].title == "A · One: 2" and first[1].series == "two"
    assert [(t.label, t.y) for t in chart.ticks] == [
        (str(n), PLOT_BOTTOM - n * PLOT_HEIGHT / 4) for n in range(5)
    ]
    assert [label.minor for label in chart.labels] == [False, True, False]  # last one kept
    assert [label.label for label in chart.labels] == ["a", "b", "c"]
    band = (charts.WIDTH - charts.MARGIN_LEFT - charts.MARGIN_RIGHT) / 3
    centres = [charts.MARGIN_LEFT + (i + 0.5) * band for i in range(3)]
    assert [label.x for label in chart.labels] == pytest.approx(centres, abs=0.01)


def test_column_geometry_below_zero():
    chart = charts.column_chart(
        columns("a", "b"),
        [charts.Series("paid", "Paid", [100, 0]), charts.Series("refunded", "Refunded", [-50, 0])],
        tick_label=lambda cents: f"{cents}c",
    )
    zero_y = round(charts.MARGIN_TOP + PLOT_HEIGHT * 100 / 150, 2)  # 100 of 150 down the plot
    assert next(t for t in chart.ticks if t.is_zero).y == zero_y
    paid, refunded = chart.bars
    assert (paid.y, paid.height) == (charts.MARGIN_TOP, round(PLOT_HEIGHT * 100 / 150, 2))
    assert (refunded.y, refunded.height) == (zero_y, round(PLOT_HEIGHT * 50 / 150, 2))
    assert refunded.title == "A · Refunded: 50"
    assert [t.label for t in chart.ticks] == ["-50c", "0c", "50c", "100c"]


def test_nothing_to_draw_lays_the_zero_line_at_the_bottom():
    chart = charts.column_chart(columns("a", "b"), [charts.Series("one", "One", [0, 0])])
    assert chart.bars == []
    assert [(t.label, t.y, t.is_zero) for t in chart.ticks] == [
        ("0", PLOT_BOTTOM, True),
        ("1", charts.MARGIN_TOP, False),
    ]


def test_row_geometry():
    chart = charts.row_chart(
        [
            charts.Row("all", 6, "6", "all: 6", "funnel"),
            charts.Row("half", 3, "3", "half: 3", "funnel"),
            charts.Row("none", 0, "0", "none: 0", "funnel"),
        ],
        6,
    )
    full = charts.WIDTH - charts.VALUE_ROOM
    assert chart.track_width == full
    assert [bar.width for bar in chart.bars] == [full, full / 2, 0]
    assert [bar.value_x for bar in chart.bars] == [full + 6, full / 2 + 6, 6]
    assert [bar.y for bar in chart.bars] == [20, 20 + charts.ROW_HEIGHT, 20 + 2 * charts.ROW_HEIGHT]
    assert chart.height == 3 * charts.ROW_HEIGHT
    assert charts.row_chart([charts.Row("x", 0, "0", "x: 0", "funnel")], 0).bars[0].width == 0


def test_month_labels_name_the_year_where_it_changes(app):
    with app.test_request_context():
        labels = charts.months([date(2024, 11, 1), date(2024, 12, 1), date(2025, 1, 1)])
    assert [(c.label, c.name, c.sublabel) for c in labels] == [
        ("nov", "novembre 2024", "2024"),
        ("dic", "dicembre 2024", ""),
        ("gen", "gennaio 2025", "2025"),
    ]


@pytest.mark.parametrize(
    ("span", "step"), [(0, 1), (4, 1), (7, 2), (18, 5), (100, 50), (54700, 20000)]
)
def test_nice_steps(span, step):
    assert charts.nice_step(span) == step


def test_the_dashboard_page_shows_the_figures(app, known, monkeypatch):
    monkeypatch.setattr(dashboard_routes, "utcnow", lambda: NOW)
    client = app.test_client()
    login(client, "docente@example.org")
    response = client.get("/studio/courses/corso/dashboard")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "15 giugno 2025" in page  # the period, in Italian
    assert '<span class="stat-figure">5</span>' in page  # enrollments in 12 months
    assert '<span class="stat-figure">149,00\xa0€</span>' in page  # net revenue
    assert "547,00\xa0€" in page and "398,00\xa0€" in page  # paid and refunded totals
    assert "-199,00\xa0€" in page  # a month with more refunded than paid
    assert ">gen</text>" in page and ">2025</text>" in page  # under the columns
    assert "gennaio 2025 · Acquisto: 2" in page  # a bar's title
    assert '<th scope="row">gen 2025</th>' in page  # in the table
    assert '<td class="num">83%</td>' in page  # started, of the enrolled
    assert page.count('role="img"') == 5
    assert 'aria-labelledby="enrollments-chart-title enrollments-chart-desc"' in page
    assert "Quali sono ruoli di un VA?" in page and "Domanda 0.0" in page
    # Each hard question links to its editor, to improve it.
    with app.app_context():
        exam_questions = db.session.scalars(
            select(ExamQuestion.id).where(ExamQuestion.prompt == "Domanda 0.0")
        ).all()
        quiz_questions = db.session.execute(
            select(Question.quiz_id, Question.id).where(
                Question.prompt == "Quali sono ruoli di un VA?"
            )
        ).all()
    assert any(f'href="/studio/courses/corso/exam/bank/{i}/edit"' in page for i in exam_questions)
    assert any(
        f'href="/studio/courses/corso/quizzes/{quiz}/questions/{question}"' in page
        for quiz, question in quiz_questions
    )
    assert "style=" not in page.split("<main", 1)[1]  # the CSP forbids inline styles
    assert 'href="/studio/courses/corso/dashboard" aria-current="page"' in page


def test_the_page_counts_months_in_the_studio_time_zone(app, monkeypatch):
    """30 June 22:30 UTC is 1 July in Rome: the first month of the period, not before it."""
    monkeypatch.setattr(dashboard_routes, "utcnow", lambda: NOW)
    with app.app_context():
        course = factories.make_course(slug="confine")
        user = factories.make_user()
        factories.make_enrollment(user, course, created_at=at(2024, 6, 30, 22, 30))
        factories.make_user(email="docente@example.org", role="instructor")
    client = app.test_client()
    login(client, "docente@example.org")
    page = client.get("/studio/courses/confine/dashboard").get_data(as_text=True)
    cells = '<td class="num">0</td><td class="num">0</td><td class="num">1</td>'
    assert f'<th scope="row">lug 2024</th>{cells}' in page


def test_english_labels(app, known, monkeypatch):
    monkeypatch.setattr(dashboard_routes, "utcnow", lambda: NOW)
    client = app.test_client()
    login(client, "docente@example.org")
    client.post("/language", data={"lang": "en"})
    page = client.get("/studio/courses/corso/dashboard").get_data(as_text=True)
    assert ">Jan</text>" in page and "€547.00" in page and "January 2025 · Purchase: 2" in page


def test_access(app, known):
    with app.app_context():
        factories.make_user(email="studente@example.org")
        factories.make_course(slug="bozza", is_published=False)
    visitor = app.test_client()
    response = visitor.get("/studio/courses/corso/dashboard")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    student = app.test_client()
    login(student, "studente@example.org")
    assert student.get("/studio/courses/corso/dashboard").status_code == 403
    staff = app.test_client()
    login(staff, "docente@example.org")
    assert staff.get("/studio/courses/nessuno/dashboard").status_code == 404
    assert staff.get("/studio/courses/bozza/dashboard").status_code == 200  # drafts too


def test_studio_home_opens_the_first_course_dashboard(app):
    with app.app_context():
        factories.make_user(email="docente@example.org", role="instructor")
    client = app.test_client()
    login(client, "docente@example.org")
    assert client.get("/studio/").headers["Location"].endswith("/studio/orders")
    with app.app_context():
        factories.make_course(slug="primo")
        factories.make_course(slug="secondo")
    assert client.get("/studio/").headers["Location"].endswith("/studio/courses/primo/dashboard")
