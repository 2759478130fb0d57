from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, IntegerField, StringField
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange

from lms.services import course_rules


def _reason() -> StringField:
    return StringField(
        _l("Reason"),
        validators=[
            DataRequired(message=_l("Write the reason: it goes in the audit log.")),
            Length(max=500),
        ],
    )


class RefundForm(FlaskForm):
    reason = _reason()


class StudentReasonForm(FlaskForm):
    """A student, named by email, and the reason for what is done to them (audited)."""

    email = EmailField(
        _l("Student's email"),
        validators=[
            DataRequired(message=_l("Enter the student's email address.")),
            Email(
                message=_l("Enter a valid email address, like name@example.com."),
                check_deliverability=False,
            ),
        ],
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
    )
    reason = _reason()


class ManualEnrollmentForm(StudentReasonForm):
    pass


class RevokeForm(FlaskForm):
    reason = _reason()


class GrantAttemptForm(StudentReasonForm):
    pass


class IssueCertificateForm(StudentReasonForm):
    pass


class CertificateStatusForm(FlaskForm):
    """Revoke, suspend, reinstate or lift a suspension: the reason is shown and audited."""

    reason = _reason()


def exam_settings_form(exam) -> FlaskForm:
    """The settings form, with one 'questions drawn' field per category of this exam's bank."""

    class ExamSettingsForm(FlaskForm):
        time_limit_minutes = IntegerField(
            _l("Time limit (minutes)"),
            validators=[InputRequired(), NumberRange(*course_rules.EXAM_MINUTES)],
        )
        pass_percent = IntegerField(
            _l("Pass mark (%)"),
            validators=[InputRequired(), NumberRange(*course_rules.EXAM_PASS_PERCENT)],
        )
        max_attempts = IntegerField(
            _l("Attempts allowed"),
            validators=[InputRequired(), NumberRange(*course_rules.EXAM_ATTEMPTS)],
        )
        cooldown_hours = IntegerField(
            _l("Hours between attempts"),
            validators=[InputRequired(), NumberRange(*course_rules.EXAM_COOLDOWN_HOURS)],
        )
        grace_seconds = IntegerField(
            _l("Grace after the deadline (seconds)"),
            validators=[InputRequired(), NumberRange(*course_rules.EXAM_GRACE_SECONDS)],
        )

    for category in exam.categories:
        active = sum(question.is_active for question in category.questions)
        field = IntegerField(
            _l("Questions drawn from “%(title)s” (of %(num)d)", title=category.title, num=active),
            validators=[InputRequired(), NumberRange(0, active)],
            default=category.draw,
        )
        setattr(ExamSettingsForm, f"draw_{category.id}", field)
    return ExamSettingsForm(obj=exam)


class EmptyForm(FlaskForm):
    """Only the CSRF token, for buttons that POST."""
