from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, StringField
from wtforms.validators import DataRequired, Email, Length


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


class ManualEnrollmentForm(FlaskForm):
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


class RevokeForm(FlaskForm):
    reason = _reason()
