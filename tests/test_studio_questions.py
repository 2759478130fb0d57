"""The studio's quizzes and exam bank: staff only, validated forms that keep what was typed, the
edit check between two instructors, audited changes, and past attempts that stay readable."""

from __future__ import annotations

import html
import re
from types import SimpleNamespace

import pytest
from flask import url_for
from sqlalchemy import func, select

from lms.extensions import db
from lms.models import (
    AuditEntry,
    Choice,
    Exam,
    ExamCategory,
    ExamChoice,
    ExamQuestion,
    Question,
    Quiz,
    QuizAttempt,
    User,
)
from lms.services import exams, quizzes
from tests import factories
from tests.conftest import login

ROWS = 6


@pytest.fixture
def world(app):
    """Course "corso" with a module quiz (one question of each kind) and an exam of 3 topics x 4
    questions drawing 2 each; course "altro" with its own quiz and exam; two instructors."""
    with app.app_context():
        course = factories.make_course(slug="corso", modules=2, lessons_per_module=2)
        quiz = factories.make_quiz(course, course.modules[0], max_attempts=3)
        exam = factories.make_exam(course)
        other = factories.make_course(slug="altro", modules=1, lessons_per_module=1)
        other_quiz = factories.make_quiz(other, other.modules[0])
        other_exam = factories.make_exam(other, categories=1)
        for email, name in (
            ("docente@example.org", "Dora Docente"),
            ("collega@example.org", "Carlo Collega"),
        ):
            factories.make_user(email=email, name=name, role="instructor", locale="en")
        student = factories.make_user(email="studente@example.org", name="Anna Verdi")
        factories.make_enrollment(student, course)
        return SimpleNamespace(
            course=course.id,
            quiz=quiz.id,
            questions=[q.id for q in quiz.questions],
            modules=[m.id for m in course.modules],
            lessons=[lesson.id for m in course.modules for lesson in m.lessons],
            exam=exam.id,
            categories=[c.id for c in exam.categories],
            bank=[q.id for c in exam.categories for q in c.questions],
            other_quiz=other_quiz.id,
            other_question=other_quiz.questions[0].id,
            other_module=other.modules[0].id,
            other_category=other_exam.categories[0].id,
            other_bank=other_exam.categories[0].questions[0].id,
            student=student.id,
        )


def _client(app, email):
    client = app.test_client()
    assert login(client, email).status_code == 302
    return client


@pytest.fixture
def teacher(app, world):
    return _client(app, "docente@example.org")


@pytest.fixture
def colleague(app, world):
    return _client(app, "collega@example.org")


def _text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _checked(page: str, field_id: str) -> bool:
    tag = re.search(rf'<input[^>]*id="{re.escape(field_id)}"[^>]*>', page)
    assert tag, field_id
    return " checked" in tag.group(0)


def _audit(app, action: str) -> list[AuditEntry]:
    with app.app_context():
        return db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        ).all()


def _question_data(kind="single", prompt="Quale risposta?", rows=(), **fields) -> dict:
    """Form data of a question: `rows` are (text, right) or (text, right, choice id)."""
    data = {"kind": kind, "prompt": prompt, "explanation": "", "points": "1", "version": ""}
    data.update({"accepted": "", **fields})
    for index in range(ROWS):
        text, right, choice_id = (*rows[index], "")[:3] if index < len(rows) else ("", False, "")
        data[f"choices-{index}-id"] = str(choice_id)
        data[f"choices-{index}-text"] = text
        if right:
            data[f"choices-{index}-correct"] = "y"
    return data


def _saved_data(question, rows=None, **fields) -> dict:
    """The edit form of a saved question as a browser sends it back, with `rows` and `fields`
    changed (rows default to the saved answers, each with its id)."""
    if rows is None:
        rows = [(c.text, c.is_correct, c.id) for c in question.choices]
    data = _question_data(question.kind, question.prompt, rows, version=str(question.version))
    if question.answer_true is not None:
        data["answer_true"] = "true" if question.answer_true else "false"
    if isinstance(question, Question):
        data.update(points=str(question.points), accepted="\n".join(question.accepted))
    else:
        data["category"] = str(question.category_id)
    data.update(fields)
    return data


def _quiz_question(app, question_id) -> Question:
    with app.app_context():
        question = db.session.get(Question, question_id)
        question.choices  # noqa: B018 - loaded before the context closes
        return question


def _bank_question(app, question_id) -> ExamQuestion:
    with app.app_context():
        question = db.session.get(ExamQuestion, question_id)
        question.choices  # noqa: B018 - loaded before the context closes
        return question


# Access ----------------------------------------------------------------------------------------


def test_every_route_is_for_staff_only(app, world):
    values = {
        "slug": "corso",
        "quiz_id": world.quiz,
        "category_id": world.categories[0],
    }
    routes = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if not rule.endpoint.startswith("question_bank."):
                continue
            question = world.bank[0] if "bank_question" in rule.endpoint else world.questions[0]
            arguments = {**values, "question_id": question}
            url = url_for(rule.endpoint, **{k: arguments[k] for k in rule.arguments})
            routes += [(method, url) for method in rule.methods - {"HEAD", "OPTIONS"}]
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert len({e for e in endpoints if e.startswith("question_bank.")}) == 18
    student = _client(app, "studente@example.org")
    visitor = app.test_client()
    for method, url in routes:
        assert student.open(url, method=method, data={"direction": "up"}).status_code == 403, url
        response = visitor.open(url, method=method)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url
    with app.app_context():
        assert db.session.scalar(select(func.count(Question.id))) == 8  # nothing moved or deleted
        assert db.session.scalar(select(func.count(AuditEntry.id)).where(
            AuditEntry.action.like("quiz.%") | AuditEntry.action.like("exam.%")
        )) == 0  # fmt: skip


def test_ids_of_another_course_are_not_found(teacher, world):
    base = "/studio/courses/corso"
    for url in (
        f"{base}/quizzes/{world.other_quiz}",
        f"{base}/quizzes/{world.other_quiz}/edit",
        f"{base}/quizzes/{world.quiz}/questions/{world.other_question}",
        f"{base}/quizzes/{world.quiz}/questions/{world.other_question}/delete",
        f"{base}/exam/bank/{world.other_bank}/edit",
        f"{base}/exam/bank/{world.other_bank}/delete",
        f"{base}/exam/bank/new?copy={world.other_bank}",
        f"{base}/exam/topics/{world.other_category}",
        "/studio/courses/nessuno/quizzes",
    ):
        assert teacher.get(url).status_code == 404, url
    move = f"{base}/quizzes/{world.quiz}/questions/{world.other_question}/move"
    assert teacher.post(move, data={"direction": "up"}).status_code == 404
    delete = f"{base}/exam/topics/{world.other_category}/delete"
    assert teacher.post(delete).status_code == 404


# Quizzes ---------------------------------------------------------------------------------------


def test_quiz_list_shows_places_and_counts(teacher, world):
    page = _text(teacher.get("/studio/courses/corso/quizzes"))
    assert "Quiz del modulo" in page and "End of module “Modulo 1”" in page
    assert re.search(r'<td class="num">4</td>', page)  # four questions
    assert "Quizzes of Corso" in page  # the studio's navigation links here


def test_new_quiz_is_validated_keeping_what_was_typed_then_created_and_audited(app, teacher, world):
    lesson = world.lessons[1]
    bad = {"title": "", "place": f"lesson-{lesson}", "pass_percent": "0", "max_attempts": "51"}
    page = _text(teacher.post("/studio/courses/corso/quizzes/new", data=bad))
    assert "Write the quiz" in page
    assert page.count("Enter a whole number from") == 2
    assert 'value="51"' in page and 'value="0"' in page
    assert re.search(rf'<option selected value="lesson-{lesson}">', page)
    taken = {**bad, "title": "Ripasso", "place": f"module-{world.modules[0]}"}
    taken.update(pass_percent="60", max_attempts="2")
    page = _text(teacher.post("/studio/courses/corso/quizzes/new", data=taken))
    assert "“Quiz del modulo” is already there" in page and 'value="Ripasso"' in page
    foreign = {**taken, "place": f"module-{world.other_module}"}
    assert "Choose one of the places of this course." in _text(
        teacher.post("/studio/courses/corso/quizzes/new", data=foreign)
    )
    good = {**taken, "place": f"lesson-{lesson}"}  # shuffle left unticked
    response = teacher.post("/studio/courses/corso/quizzes/new", data=good)
    assert response.status_code == 302
    with app.app_context():
        quiz = db.session.scalar(select(Quiz).where(Quiz.title == "Ripasso"))
        assert (quiz.lesson_id, quiz.module_id, quiz.pass_percent, quiz.max_attempts) == (
            lesson,
            None,
            60,
            2,
        )
        assert quiz.shuffle is False and quiz.course_id == world.course
    entry = _audit(app, "quiz.create")[0]
    assert entry.target_id == str(quiz.id) and entry.details["lesson_id"] == lesson
    with app.app_context():
        assert db.session.get(User, entry.actor_id).email == "docente@example.org"


def test_two_instructors_editing_one_quiz(app, teacher, colleague, world):
    url = f"/studio/courses/corso/quizzes/{world.quiz}/edit"
    page = _text(teacher.get(url))
    assert 'name="version" type="hidden" value="1"' in page
    form = {
        "title": "Quiz rivisto",
        "place": f"module-{world.modules[0]}",
        "pass_percent": "80",
        "max_attempts": "3",
        "shuffle": "y",
        "version": "1",
    }
    colleague.get(url)
    assert teacher.post(url, data=form).status_code == 302
    late = {**form, "title": "Titolo del collega", "pass_percent": "50"}
    page = _text(colleague.post(url, data=late))
    assert "Someone else saved this quiz while you were editing it" in page
    assert 'value="Titolo del collega"' in page and "Quiz rivisto" in page
    assert "Saved by Dora Docente" in page
    with app.app_context():
        quiz = db.session.get(Quiz, world.quiz)
        assert (quiz.title, quiz.pass_percent, quiz.version) == ("Quiz rivisto", 80, 2)
    assert 'name="version" type="hidden" value="2"' in page  # saving again is deliberate
    assert colleague.post(url, data={**late, "version": "2"}).status_code == 302
    with app.app_context():
        assert db.session.get(Quiz, world.quiz).title == "Titolo del collega"
    assert [e.details["after"]["title"] for e in _audit(app, "quiz.update")] == [
        "Quiz rivisto",
        "Titolo del collega",
    ]


@pytest.mark.parametrize(
    ("fields", "rows", "message", "kept"),
    [
        ({"prompt": ""}, [("Sì", True), ("No", False)], "Write the question.", 'value="Sì"'),
        ({}, [("Unica risposta", True)], "Write at least two answers.", 'value="Unica risposta"'),
        ({}, [("Alfa", True), ("Beta", True)], "Tick exactly one right answer.", 'value="Beta"'),
        ({}, [("Alfa", False), ("Beta", False)], "Tick exactly one right answer.", 'value="Alfa"'),
        ({"kind": "multiple"}, [("A", False), ("B", False)], "Tick at least one", 'value="B"'),
        ({}, [("A", True), ("", True), ("B", False)], "A ticked row has no text", 'value="A"'),
        ({"kind": "true_false"}, [], "Choose whether the statement is true or false.", None),
        ({"kind": "text", "accepted": "  \n "}, [], "Write at least one accepted answer.", None),
        ({"points": "0"}, [("A", True), ("B", False)], "Enter a whole number from 1 to 100.", None),
        ({"points": "101"}, [("A", True), ("B", False)], "from 1 to 100", 'value="101"'),
        ({"kind": "essay"}, [("A", True), ("B", False)], "Choose the kind of question.", None),
    ],
)
def test_question_form_rules_keep_what_was_typed(app, teacher, world, fields, rows, message, kept):
    url = f"/studio/courses/corso/quizzes/{world.quiz}/questions/new"
    data = _question_data(rows=rows, **{"prompt": "Una domanda scritta qui", **fields})
    response = teacher.post(url, data=data)
    page = _text(response)
    assert response.status_code == 200 and message in page
    assert fields.get("prompt", "Una domanda scritta qui") in page
    if kept:
        assert kept in page
    for index, row in enumerate(rows):
        assert _checked(page, f"choices-{index}-correct") == row[1]
    with app.app_context():
        assert (
            db.session.scalar(select(func.count(Question.id)).where(Question.quiz_id == world.quiz))
            == 4
        )


def test_each_kind_of_question_is_saved_ignoring_blank_rows(app, teacher, world):
    url = f"/studio/courses/corso/quizzes/{world.quiz}/questions/new"
    rows = [("", False), ("Prima", False), ("", False), ("Seconda", True), ("Terza", True)]
    posts = [
        _question_data("multiple", "Quali **due**?", rows, explanation="Perché *sì*.", points="3"),
        _question_data(
            "true_false", "Vero?", [("Ignorata", True), ("Anche", False)], answer_true="false"
        ),
        _question_data("text", "Scrivi", accepted="partita iva\n\n  P.IVA  \n"),
    ]
    for data in posts:
        assert teacher.post(url, data=data).status_code == 302
    with app.app_context():
        quiz = quizzes.load(world.course, world.quiz)
        multiple, true_false, text = quiz.questions[4:]
        assert [(c.position, c.text, c.is_correct) for c in multiple.choices] == [
            (0, "Prima", False),
            (1, "Seconda", True),
            (2, "Terza", True),
        ]
        assert (multiple.points, multiple.explanation, multiple.position) == (3, "Perché *sì*.", 4)
        assert (true_false.answer_true, true_false.choices) == (False, [])
        assert text.accepted == ["partita iva", "P.IVA"] and text.answer_true is None
    assert len(_audit(app, "quiz.question_create")) == 3
    page = _text(teacher.get(f"/studio/courses/corso/quizzes/{world.quiz}"))
    assert "Quali <strong>due</strong>?" in page and "partita iva; P.IVA" in page


def test_two_instructors_editing_one_question(app, teacher, colleague, world):
    question_id = world.questions[0]
    url = f"/studio/courses/corso/quizzes/{world.quiz}/questions/{question_id}"
    saved = _quiz_question(app, question_id)
    assert 'value="Un password manager"' in _text(teacher.get(url))
    colleague.get(url)
    mine = _saved_data(saved, prompt="La versione di Dora")
    theirs = _saved_data(saved, prompt="La versione di Carlo", explanation="Spiegata da Carlo")
    assert teacher.post(url, data=mine).status_code == 302
    response = colleague.post(url, data=theirs)
    page = _text(response)
    assert response.status_code == 200
    assert "Someone else saved this question while you were editing it" in page
    assert "your changes are not saved" in page
    assert "La versione di Carlo" in page and "Spiegata da Carlo" in page  # kept as typed
    assert "La versione di Dora" in page and "Saved by Dora Docente" in page  # beside it
    with app.app_context():
        question = db.session.get(Question, question_id)
        assert (question.prompt, question.version) == ("La versione di Dora", 2)
    assert len(_audit(app, "quiz.question_update")) == 1
    assert colleague.post(url, data={**theirs, "version": "2"}).status_code == 302
    with app.app_context():
        assert db.session.get(Question, question_id).prompt == "La versione di Carlo"


def test_questions_move_up_and_down(app, teacher, world):
    first, second, third, fourth = world.questions
    base = f"/studio/courses/corso/quizzes/{world.quiz}/questions"
    response = teacher.post(f"{base}/{third}/move", data={"direction": "up"})
    assert response.status_code == 302 and response.headers["Location"].endswith(
        f"#question-{third}"
    )
    teacher.post(f"{base}/{first}/move", data={"direction": "down"})
    teacher.post(f"{base}/{fourth}/move", data={"direction": "down"})  # already last: nothing
    assert teacher.post(f"{base}/{first}/move", data={"direction": "sideways"}).status_code == 400
    with app.app_context():
        quiz = quizzes.load(world.course, world.quiz)
        assert [q.id for q in quiz.questions] == [third, first, second, fourth]
        assert [q.position for q in quiz.questions] == [0, 1, 2, 3]
    assert len(_audit(app, "quiz.question_move")) == 2
    page = _text(teacher.get(f"/studio/courses/corso/quizzes/{world.quiz}"))
    assert page.index("Il contratto va scritto.") < page.index("Quale strumento")
    assert page.count("Move up") == 3 and page.count("Move down") == 3


def test_unanswered_question_and_quiz_are_deleted_with_a_trace(app, teacher, world):
    url = f"/studio/courses/corso/quizzes/{world.quiz}/questions/{world.questions[1]}/delete"
    page = _text(teacher.get(url))
    assert "Quali sono ruoli di un VA?" in page and "button-danger" in page
    assert teacher.post(url).status_code == 302
    with app.app_context():
        assert db.session.get(Question, world.questions[1]) is None
        assert (
            db.session.scalar(
                select(func.count(Choice.id)).where(Choice.question_id == world.questions[1])
            )
            == 0
        )
    entry = _audit(app, "quiz.question_delete")[0]
    assert entry.details["before"]["prompt"] == "Quali sono ruoli di un VA?"
    assert teacher.post(f"/studio/courses/corso/quizzes/{world.quiz}/delete").status_code == 302
    with app.app_context():
        assert db.session.get(Quiz, world.quiz) is None
        assert (
            db.session.scalar(select(func.count(Question.id)).where(Question.quiz_id == world.quiz))
            == 0
        )
    assert _audit(app, "quiz.delete")[0].details["title"] == "Quiz del modulo"


def test_answered_questions_keep_what_past_results_show(app, teacher, world):
    single_id = world.questions[0]
    with app.app_context():
        quiz = quizzes.load(world.course, world.quiz)
        single = quiz.questions[0]
        excel = next(c for c in single.choices if c.text == "Un foglio Excel")
        quizzes.submit(world.student, quiz, 1, {single.id: [str(excel.id)]})
        excel_id = excel.id
    saved = _quiz_question(app, single_id)
    url = f"/studio/courses/corso/quizzes/{world.quiz}/questions/{single_id}"
    assert "Students have answered this question" in _text(teacher.get(url))
    rows = [(c.text, c.is_correct, c.id) for c in saved.choices if c.id != excel_id]
    dropped = _saved_data(saved, rows)
    page = _text(teacher.post(url, data=dropped))
    assert "Students chose “Un foglio Excel” in past attempts" in page
    page = _text(teacher.post(url, data=_saved_data(saved, kind="multiple")))
    assert "its kind stays" in page
    renamed = [
        (("Un foglio di calcolo" if c.id == excel_id else c.text), c.is_correct, c.id)
        for c in saved.choices
    ]
    fixed = _saved_data(saved, renamed)
    assert teacher.post(url, data=fixed).status_code == 302
    with app.app_context():
        assert db.session.get(Choice, excel_id).text == "Un foglio di calcolo"  # same row
    delete = f"{url}/delete"
    assert "Students have answered this question and their results show it" in _text(
        teacher.get(delete)
    )
    teacher.post(delete)
    quiz_delete = f"/studio/courses/corso/quizzes/{world.quiz}/delete"
    assert "A student has taken this quiz" in _text(teacher.get(quiz_delete))
    teacher.post(quiz_delete)
    with app.app_context():
        assert db.session.get(Question, single_id) is not None
        assert db.session.get(Quiz, world.quiz) is not None
    student = _client(app, "studente@example.org")
    result = _text(student.get(f"/learn/corso/quiz/{world.quiz}/attempts/1"))
    assert "Un foglio di calcolo" in result and f">{excel_id}<" not in result


def test_a_quiz_authored_in_the_studio_is_taken_and_graded(app, teacher, world):
    lesson = world.lessons[2]
    form = {
        "title": "Quiz della lezione",
        "place": f"lesson-{lesson}",
        "pass_percent": "60",
        "max_attempts": "2",
    }
    response = teacher.post("/studio/courses/corso/quizzes/new", data=form)
    quiz_id = int(response.headers["Location"].rsplit("/", 1)[1])
    url = f"/studio/courses/corso/quizzes/{quiz_id}/questions/new"
    rows = [("Nel contratto", False), ("Per **iscritto** e firmato", True), ("A voce", False)]
    for data in (
        _question_data("single", "Come si concorda il *preventivo*?", rows, points="2"),
        _question_data("true_false", "La fattura si emette prima del lavoro.", answer_true="false"),
        _question_data("text", "Il codice del fisco?", accepted="codice fiscale"),
        _question_data(
            "multiple", "Quali strumenti?", [("Calendario", True), ("Posta", True), ("Fax", False)]
        ),
    ):
        assert teacher.post(url, data=data).status_code == 302
    with app.app_context():
        quiz = quizzes.load(world.course, quiz_id)
        single, true_false, text, multiple = quiz.questions
        answers = {
            f"q{single.id}": [str(single.choices[0].id)],  # wrong: 0 of 2 points
            f"q{true_false.id}": ["false"],
            f"q{text.id}": ["Codice  Fiscale."],
            f"q{multiple.id}": [str(c.id) for c in multiple.choices if c.is_correct],
        }
    student = _client(app, "studente@example.org")
    page = _text(student.get(f"/learn/corso/quiz/{quiz_id}"))
    assert (
        "Come si concorda il <em>preventivo</em>?" in page and "Per **iscritto** e firmato" in page
    )
    response = student.post(f"/learn/corso/quiz/{quiz_id}", data={**answers, "attempt": "1"})
    assert response.status_code == 303
    with app.app_context():
        attempt = db.session.scalar(select(QuizAttempt).where(QuizAttempt.quiz_id == quiz_id))
        assert (attempt.score_percent, attempt.passed) == (60, True)  # 3 of 5 points
        assert attempt.answers[str(single.id)] == {
            "given": [str(single.choices[0].id)],
            "correct": False,
        }


# The exam --------------------------------------------------------------------------------------


def _sit_exam(app, world):
    """The student takes the exam once; returns (attempt id, drawn question ids)."""
    with app.app_context():
        exam, student = db.session.get(Exam, world.exam), db.session.get(User, world.student)
        exams.accept_pledge(student.id, exam, None)
        attempt = exams.start_attempt(student, exam)
        item = attempt.layout[0]
        right = next(
            option["token"]
            for option in item["options"]
            if db.session.get(ExamChoice, option["choice_id"]).is_correct
        )
        exams.save_answer(attempt.public_id, student.id, item["token"], [right], 1)
        exams.submit(attempt.public_id, student.id)
        return attempt.id, [entry["question_id"] for entry in attempt.layout]


def test_topics_are_added_renamed_reordered_and_deleted_when_empty(app, teacher, world):
    url = "/studio/courses/corso/exam/topics"
    page = _text(teacher.post(url, data={"title": "Privacy", "key": "Bad Key!"}))
    assert (
        "Use lower-case letters, digits and single dashes." in page and 'value="bad key!"' in page
    )
    page = _text(teacher.post(url, data={"title": "Doppione", "key": "cat0"}))
    assert "Another topic of this exam has this key." in page and 'value="Doppione"' in page
    assert "Write the topic" in _text(teacher.post(url, data={"title": "", "key": "nuovo"}))
    assert teacher.post(url, data={"title": "Privacy", "key": "privacy"}).status_code == 302
    with app.app_context():
        topic = db.session.scalar(select(ExamCategory).where(ExamCategory.key == "privacy"))
        assert (topic.exam_id, topic.position, topic.draw) == (world.exam, 3, 0)
        topic_id = topic.id
    page = _text(teacher.post(f"{url}/{topic_id}", data={"title": ""}))
    assert "Write the topic" in page
    assert (
        teacher.post(f"{url}/{topic_id}", data={"title": "Riservatezza e privacy"}).status_code
        == 302
    )
    teacher.post(f"{url}/{topic_id}/move", data={"direction": "up"})
    teacher.post(f"{url}/{topic_id}/move", data={"direction": "up"})
    with app.app_context():
        exam = db.session.get(Exam, world.exam)
        assert [c.key for c in exam.categories] == ["cat0", "privacy", "cat1", "cat2"]
        assert exam.categories[1].title == "Riservatezza e privacy"
    teacher.post(f"{url}/{world.categories[0]}/delete")  # has four questions: refused
    assert teacher.post(f"{url}/{topic_id}/delete").status_code == 302
    with app.app_context():
        assert db.session.get(ExamCategory, world.categories[0]) is not None
        assert db.session.get(ExamCategory, topic_id) is None
    actions = (
        "exam.category_create",
        "exam.category_rename",
        "exam.category_move",
        "exam.category_delete",
    )
    assert [len(_audit(app, action)) for action in actions] == [1, 1, 2, 1]
    assert _audit(app, "exam.category_rename")[0].details == {
        "before": "Privacy",
        "after": "Riservatezza e privacy",
    }


def test_bank_questions_are_added_with_their_rules(app, teacher, world):
    url = f"/studio/courses/corso/exam/bank/new?topic={world.categories[1]}"
    page = _text(teacher.get(url))
    assert re.search(rf'<option selected value="{world.categories[1]}">', page)
    assert 'value="text"' not in page  # the exam has no written answers
    data = _question_data(
        "single", "Nuova domanda", [("Solo questa", True)], category=str(world.categories[1])
    )
    page = _text(teacher.post(url, data=data))
    assert "Write at least two answers." in page and 'value="Solo questa"' in page
    data = _question_data(
        "true_false", "Vero o falso?", answer_true="true", category=str(world.categories[1])
    )
    assert teacher.post(url, data=data).status_code == 302
    with app.app_context():
        question = db.session.scalar(
            select(ExamQuestion).where(ExamQuestion.prompt == "Vero o falso?")
        )
        assert (question.category_id, question.answer_true, question.is_active) == (
            world.categories[1],
            True,
            True,
        )
    assert _audit(app, "exam.question_create")[0].target_id == str(question.id)
    bank = _text(teacher.get("/studio/courses/corso/exam/bank"))
    assert "Vero o falso?" in bank
    assert f"/studio/courses/corso/exam/bank/{question.id}/edit" in bank


def test_two_instructors_editing_one_bank_question(app, teacher, colleague, world):
    question_id = world.bank[0]
    url = f"/studio/courses/corso/exam/bank/{question_id}/edit"
    saved = _bank_question(app, question_id)
    teacher.get(url)
    colleague.get(url)
    assert teacher.post(url, data=_saved_data(saved, prompt="Testo di Dora")).status_code == 302
    page = _text(colleague.post(url, data=_saved_data(saved, prompt="Testo di Carlo")))
    assert "Someone else saved this question while you were editing it" in page
    assert "Testo di Carlo" in page and "Testo di Dora" in page
    with app.app_context():
        assert db.session.get(ExamQuestion, question_id).prompt == "Testo di Dora"


def test_a_drawn_question_keeps_its_answers_and_past_reviews(app, teacher, world):
    attempt_id, drawn = _sit_exam(app, world)
    question_id = drawn[0]
    saved = _bank_question(app, question_id)
    url = f"/studio/courses/corso/exam/bank/{question_id}/edit"
    assert "This question has been drawn in 1 attempt." in _text(teacher.get(url))
    choice_ids = [c.id for c in saved.choices]
    refused = [
        [(c.text, c.is_correct, c.id) for c in saved.choices[:2]],  # a row removed
        [(c.text, i == 1, c.id) for i, c in enumerate(saved.choices)],  # another right one
        [*((c.text, c.is_correct, c.id) for c in saved.choices), ("Una in più", False)],
    ]
    for rows in refused:
        page = _text(teacher.post(url, data=_saved_data(saved, rows)))
        assert "has been drawn in past attempts, so its answers stay as they are" in page
    page = _text(teacher.post(url, data=_saved_data(saved, kind="multiple")))
    assert "answers stay as they are" in page
    reworded = [(f"{c.text} (riformulata)", c.is_correct, c.id) for c in saved.choices]
    data = _saved_data(saved, reworded, prompt="Domanda riformulata")
    assert teacher.post(url, data=data).status_code == 302
    with app.app_context():
        question = db.session.get(ExamQuestion, question_id)
        assert [c.id for c in question.choices] == choice_ids  # updated in place
        assert question.prompt == "Domanda riformulata"
    review = _text(teacher.get(f"/studio/exam-attempts/{attempt_id}"))
    assert "Domanda riformulata" in review and "(riformulata)" in review
    delete = f"/studio/courses/corso/exam/bank/{question_id}/delete"
    page = _text(teacher.get(delete))
    assert "This question was drawn in 1 attempt" in page and "button-danger" not in page
    assert teacher.post(delete).status_code == 302
    with app.app_context():
        assert db.session.get(ExamQuestion, question_id) is not None
    assert _text(teacher.get(f"/studio/exam-attempts/{attempt_id}")).count("result ") == len(drawn)


def test_a_drawn_question_is_replaced_by_a_copy_and_undrawn_ones_are_deleted(app, teacher, world):
    _attempt_id, drawn = _sit_exam(app, world)
    original = _bank_question(app, drawn[0])
    url = f"/studio/courses/corso/exam/bank/new?copy={original.id}"
    page = _text(teacher.get(url))
    assert original.prompt in page and _checked(page, "replace_original")
    assert '<input id="choices-0-id" name="choices-0-id" type="hidden" value="">' in page
    rows = [(c.text, not c.is_correct) for c in original.choices[:2]]
    data = _question_data("single", "Versione nuova", rows, category=str(original.category_id))
    assert teacher.post(url, data={**data, "replace_original": "y"}).status_code == 302
    with app.app_context():
        copy = db.session.scalar(
            select(ExamQuestion).where(ExamQuestion.prompt == "Versione nuova")
        )
        assert copy.is_active and not db.session.get(ExamQuestion, original.id).is_active
        assert [c.is_correct for c in copy.choices] == [
            not c.is_correct for c in original.choices[:2]
        ]
        undrawn = [q for q in copy.category.questions if q.id not in drawn and q.id != copy.id]
    entry = _audit(app, "exam.question_active")[0]
    assert entry.details == {"active": False, "replaced_by": copy.id}
    assert (
        teacher.post(f"/studio/courses/corso/exam/bank/{undrawn[0].id}/delete").status_code == 302
    )
    with app.app_context():
        assert db.session.get(ExamQuestion, undrawn[0].id) is None
    assert _audit(app, "exam.question_delete")[0].details["before"]["prompt"] == undrawn[0].prompt


def test_exam_texts_are_saved_with_the_edit_check(app, teacher, colleague, world):
    url = "/studio/courses/corso/exam/texts"
    page = _text(teacher.get(url))
    assert "Art. 1 — Riservatezza." in page and 'name="version" type="hidden" value="1"' in page
    colleague.get(url)
    empty = {"title": "", "code_of_ethics_md": "Art. 1", "pledge_text": "", "version": "1"}
    page = _text(teacher.post(url, data=empty))
    assert "Write the exam" in page and "Write the pledge." in page and "Art. 1" in page
    mine = {
        "title": "Esame 2027",
        "code_of_ethics_md": "## Art. 1\nNuovo codice",
        "pledge_text": "Prometto.",
        "version": "1",
    }
    assert teacher.post(url, data=mine).status_code == 302
    theirs = {**mine, "code_of_ethics_md": "Codice del collega"}
    page = _text(colleague.post(url, data=theirs))
    assert "Someone else saved these texts while you were editing them" in page
    assert "Codice del collega" in page and "<h2>Art. 1</h2>" in page
    with app.app_context():
        exam = db.session.get(Exam, world.exam)
        assert (exam.title, exam.pledge_text, exam.version) == ("Esame 2027", "Prometto.", 2)
    entry = _audit(app, "exam.texts")[0]
    assert entry.details["before"]["pledge_text"] == "Mi impegno a rispettare il codice."


def test_an_exam_is_created_for_a_course_without_one(app, teacher, world):
    with app.app_context():
        factories.make_course(slug="nuovo", modules=1, lessons_per_module=1)
    url = "/studio/courses/nuovo/exam/new"
    assert "Create the exam" in _text(teacher.get(url))
    page = _text(
        teacher.post(url, data={"title": "Esame finale", "topic": "Etica", "key": "Etica Base"})
    )
    assert "single dashes" in page and 'value="Esame finale"' in page
    response = teacher.post(url, data={"title": "Esame finale", "topic": "Etica", "key": "etica"})
    assert response.headers["Location"].endswith("/studio/courses/nuovo/exam/texts")
    with app.app_context():
        exam = db.session.scalar(select(Exam).where(Exam.title == "Esame finale"))
        assert [(c.key, c.title, c.draw) for c in exam.categories] == [("etica", "Etica", 0)]
        assert (exam.questions_per_attempt, exam.pass_percent, exam.max_attempts) == (0, 80, 3)
        student = db.session.get(User, world.student)
        assert exams.next_start(exam, student.id, exam_now()) == ("not_ready", None)
    assert _audit(app, "exam.create")[0].details == {"title": "Esame finale", "topic": "etica"}
    assert teacher.get(url).headers["Location"].endswith("/studio/courses/nuovo/exam")


def exam_now():
    from lms.models import utcnow

    return utcnow()
