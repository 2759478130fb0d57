"""Forms of the quiz and exam-bank studio, and the words for what the authoring services refuse."""

from __future__ import annotations

from dataclasses import replace

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length, NumberRange, Regexp

from lms.services import course_rules, question_edits
from lms.services.bank_authoring import EXAM_KINDS
from lms.services.question_edits import ChoiceDraft, EditRefused, QuestionDraft
from lms.services.quiz_authoring import QUIZ_KINDS, QuizSettings

CHOICE_ROWS = 6
KEY_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _whole_number(low: int, high: int):
    message = _l("Enter a whole number from %(low)d to %(high)d.", low=low, high=high)
    return [InputRequired(message=message), NumberRange(low, high, message=message)]


KIND_LABELS = {
    "single": _l("One right answer"),
    "multiple": _l("Several right answers"),
    "true_false": _l("True or false"),
    "text": _l("Short written answer"),
}

REFUSALS = {
    "unknown_kind": lambda d: _("Choose the kind of question."),
    "prompt_required": lambda d: _("Write the question."),
    "ticked_blank": lambda d: _("A ticked row has no text: write the answer or untick it."),
    "two_choices": lambda d: _("Write at least two answers."),
    "one_right": lambda d: _("Tick exactly one right answer."),
    "some_right": lambda d: _("Tick at least one right answer."),
    "answer_true_required": lambda d: _("Choose whether the statement is true or false."),
    "accepted_required": lambda d: _("Write at least one accepted answer."),
    "place_taken": lambda d: _(
        "“%(title)s” is already there: choose another place, or edit that quiz.", **d
    ),
    "kind_answered": lambda d: _(
        "Students have answered this question, so its kind stays. Add a new question instead."
    ),
    "choice_chosen": lambda d: _(
        "Students chose %(texts)s in past attempts: keep those answers (you can change their "
        "text or untick them).",
        texts=", ".join(f"“{text}”" for text in d["texts"]),
    ),
    "answers_fixed": lambda d: _(
        "This question has been drawn in past attempts, so its answers stay as they are: fix "
        "their wording only. To change them, stop drawing it and add a new question."
    ),
    "quota": lambda d: _(
        "“%(title)s” draws %(draw)d questions per attempt and would have fewer active ones: "
        "lower its quota in the exam rules first.",
        **d,
    ),
    "key_taken": lambda d: _("Another topic of this exam has this key."),
    "quiz_taken": lambda d: ngettext(
        "A student has taken this quiz: deleting it would delete their result. Edit it instead.",
        "Students have taken this quiz %(num)d times: deleting it would delete their results. "
        "Edit it instead.",
        d["count"],
    ),
    "question_answered": lambda d: _(
        "Students have answered this question and their results show it: it cannot be "
        "deleted. Edit it instead."
    ),
    "question_drawn": lambda d: ngettext(
        "This question was drawn in %(num)d attempt, whose review shows it: it cannot be "
        "deleted. Stop drawing it instead.",
        "This question was drawn in %(num)d attempts, whose reviews show it: it cannot be "
        "deleted. Stop drawing it instead.",
        d["count"],
    ),
    "category_not_empty": lambda d: ngettext(
        "This topic has %(num)d question: move or delete it first.",
        "This topic has %(num)d questions: move or delete them first.",
        d["count"],
    ),
    "exam_exists": lambda d: _("This course already has an exam."),
}


def refusal(refused: EditRefused) -> str:
    return REFUSALS[refused.code](refused.details)


class StudioForm(FlaskForm):
    def add_error(self, field: str, message: str) -> None:
        """Show a message beside the field it is about, or above the form."""
        if field in self:
            self[field].errors = [*self[field].errors, message]
        else:
            self.form_errors.append(message)

    def show(self, refused: EditRefused) -> None:
        self.add_error(refused.field, refusal(refused))


class MoveForm(FlaskForm):
    direction = HiddenField(validators=[AnyOf(["up", "down"])])

    @property
    def step(self) -> int:
        return -1 if self.direction.data == "up" else 1


class EmptyForm(FlaskForm):
    """Only the CSRF token, for confirm buttons."""


class VersionedForm(StudioForm):
    """A form of a versioned row: it sends back the version it was opened at."""

    version = HiddenField(validators=[Regexp(r"^\d{0,9}$")])

    @property
    def opened_version(self) -> int:
        return int(self.version.data or 0)


class QuizForm(VersionedForm):
    title = StringField(
        _l("Title"),
        validators=[DataRequired(message=_l("Write the quiz's title.")), Length(max=200)],
        filters=[_strip],
    )
    place = SelectField(
        _l("Where it sits"),
        description=_l("Students take it after that lesson, or once every lesson of the module."),
        validators=[DataRequired(message=_l("Choose where the quiz sits."))],
        invalid_choice_message=_l("Choose one of the places of this course."),
    )
    pass_percent = IntegerField(
        _l("Pass mark (%)"), validators=_whole_number(*course_rules.QUIZ_PASS_PERCENT), default=70
    )
    max_attempts = IntegerField(
        _l("Attempts allowed"),
        description=_l("0 for unlimited: a practice quiz, whose answers show after each try."),
        validators=_whole_number(*course_rules.QUIZ_ATTEMPTS),
        default=0,
    )
    shuffle = BooleanField(_l("Shuffle the questions and their answers"), default=True)

    def settings(self) -> QuizSettings:
        kind, _dash, number = self.place.data.partition("-")
        return QuizSettings(
            title=self.title.data,
            module_id=int(number) if kind == "module" else None,
            lesson_id=int(number) if kind == "lesson" else None,
            pass_percent=self.pass_percent.data,
            max_attempts=self.max_attempts.data,
            shuffle=self.shuffle.data,
        )


def place_labels(course) -> dict[str, str]:
    """Each place a quiz can sit in the course, in course order, with its name."""
    labels = {}
    for module in course.modules:
        for lesson in module.lessons:
            labels[f"lesson-{lesson.id}"] = _("After lesson “%(title)s”", title=lesson.title)
        labels[f"module-{module.id}"] = _("End of module “%(title)s”", title=module.title)
    return labels


def quiz_form(course, taken: dict[str, str], **kwargs) -> QuizForm:
    """The quiz form with this course's places, one group per module, taken ones marked."""
    form = QuizForm(**kwargs)
    labels = place_labels(course)
    groups = {
        f"lesson-{lesson.id}": module.title
        for module in course.modules
        for lesson in module.lessons
    }
    groups.update({f"module-{module.id}": module.title for module in course.modules})
    form.place.choices = [
        SelectChoice(
            value,
            _("%(place)s (has a quiz)", place=label) if value in taken else label,
            optgroup=groups[value],
        )
        for value, label in labels.items()
    ]
    return form


class ChoiceRowForm(Form):
    id = HiddenField()
    text = StringField(_l("Answer"), validators=[Length(max=500)], filters=[_strip])
    correct = BooleanField(_l("Right"))


class QuestionFormBase(VersionedForm):
    kinds: tuple[str, ...] = ()

    kind = SelectField(_l("Kind of question"), validate_choice=False)
    prompt = TextAreaField(
        _l("Question"),
        description=_l("Markdown allowed: **bold**, *italic*, `code`, [links](https://…)."),
        validators=[DataRequired(message=_l("Write the question.")), Length(max=2000)],
        render_kw={"rows": 3},
    )
    explanation = TextAreaField(
        _l("Explanation"),
        description=_l("Shown with the right answer after answering. Markdown allowed."),
        validators=[Length(max=5000)],
        render_kw={"rows": 5},
    )
    choices = FieldList(FormField(ChoiceRowForm), min_entries=CHOICE_ROWS, max_entries=20)
    answer_true = RadioField(
        _l("The statement is"),
        choices=[SelectChoice("true", _l("True")), SelectChoice("false", _l("False"))],
        validate_choice=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = [SelectChoice(kind, KIND_LABELS[kind]) for kind in self.kinds]
        self.choice_errors: list[str] = []

    def draft(self) -> QuestionDraft:
        rows = tuple(
            ChoiceDraft(
                id=int(row.form.id.data) if (row.form.id.data or "").isdigit() else None,
                text=row.form.text.data or "",
                is_correct=bool(row.form.correct.data),
            )
            for row in self.choices
        )
        answer = self.answer_true.data
        return QuestionDraft(
            kind=self.kind.data or "",
            prompt=self.prompt.data or "",
            explanation=self.explanation.data or "",
            choices=rows,
            answer_true=None if answer not in ("true", "false") else answer == "true",
        )

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for field, code in question_edits.problems(self.draft(), self.kinds).items():
            if code != "prompt_required" or not self.prompt.errors:
                self.add_error(field, REFUSALS[code]({}))
            valid = False
        return valid

    def add_error(self, field: str, message: str) -> None:
        """The answer rows share one message, shown beside the group."""
        if field == "choices":
            self.choice_errors.append(message)
        else:
            super().add_error(field, message)


class QuizQuestionForm(QuestionFormBase):
    kinds = QUIZ_KINDS

    points = IntegerField(
        _l("Points"), validators=_whole_number(*course_rules.QUESTION_POINTS), default=1
    )
    accepted = TextAreaField(
        _l("Accepted answers"),
        description=_l("One per line. Capitals, accents and final punctuation do not count."),
        validators=[Length(max=2000)],
        render_kw={"rows": 4},
    )

    def draft(self) -> QuestionDraft:
        return replace(
            super().draft(),
            accepted=tuple((self.accepted.data or "").splitlines()),
            points=self.points.data or 1,
        )


class ExamQuestionForm(QuestionFormBase):
    kinds = EXAM_KINDS

    category = SelectField(_l("Topic"), coerce=int)
    replace_original = BooleanField(
        _l("Stop drawing the original question: this one replaces it"), default=True
    )


def question_data(question, copy: bool = False, **extra) -> dict:
    """A saved question as form data, for its edit form or (`copy`) a new question's."""
    rows = [
        {"id": "" if copy else str(choice.id), "text": choice.text, "correct": choice.is_correct}
        for choice in question.choices
    ]
    answer = None if question.answer_true is None else str(question.answer_true).lower()
    data = {
        "kind": question.kind,
        "prompt": question.prompt,
        "explanation": question.explanation,
        "choices": rows,
        "answer_true": answer,
        "version": "" if copy else str(question.version),
    }
    if hasattr(question, "accepted"):
        data.update(points=question.points, accepted="\n".join(question.accepted))
    return {**data, **extra}


def _title(label, message) -> StringField:
    return StringField(
        label, validators=[DataRequired(message=message), Length(max=200)], filters=[_strip]
    )


def _key() -> StringField:
    return StringField(
        _l("Topic key"),
        description=_l("Lower-case letters, digits and dashes, e.g. privacy. It never changes."),
        validators=[
            DataRequired(message=_l("Choose the topic's key.")),
            Length(max=60),
            Regexp(KEY_PATTERN, message=_l("Use lower-case letters, digits and single dashes.")),
        ],
        filters=[lambda value: value.strip().lower() if isinstance(value, str) else value],
    )


class ExamCreateForm(StudioForm):
    title = _title(_l("Title of the exam"), _l("Write the exam's title."))
    topic = _title(_l("First topic"), _l("Name the first topic."))
    key = _key()


class CategoryForm(StudioForm):
    title = _title(_l("Title"), _l("Write the topic's title."))
    key = _key()


class RenameCategoryForm(StudioForm):
    title = _title(_l("Title"), _l("Write the topic's title."))


class ExamTextsForm(VersionedForm):
    title = _title(_l("Title of the exam"), _l("Write the exam's title."))
    code_of_ethics_md = TextAreaField(
        _l("Code of ethics"),
        description=_l("Candidates read it before the pledge. Markdown: headings, lists, bold."),
        validators=[Length(max=50_000)],
        render_kw={"rows": 20},
    )
    pledge_text = TextAreaField(
        _l("Pledge"),
        description=_l(
            "What candidates accept before their first attempt. Those who already accepted keep "
            "the text they accepted."
        ),
        validators=[DataRequired(message=_l("Write the pledge.")), Length(max=5000)],
        render_kw={"rows": 5},
    )

    def texts(self) -> dict[str, str]:
        names = ("title", "code_of_ethics_md", "pledge_text")
        return {name: self[name].data or "" for name in names}
