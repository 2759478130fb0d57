from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, ValidationError

from lms.services.passwords import MAX_LENGTH, MIN_LENGTH, password_problem

PASSWORD_MESSAGES = {
    "too_short": _l("Use at least %(n)d characters.", n=MIN_LENGTH),
    "too_long": _l("Use at most %(n)d characters.", n=MAX_LENGTH),
    "too_common": _l("This password is too common: it is among the first ones attackers try."),
    "too_personal": _l("Do not use your name or email address in the password."),
}


def password_message(reason: str) -> str:
    return str(PASSWORD_MESSAGES.get(reason, PASSWORD_MESSAGES["too_common"]))


class NewPassword:
    """Checks a new password against the policy, with the account's email and name if known."""

    def __init__(
        self,
        email_field: str | None = None,
        name_field: str | None = None,
        email: str = "",
        name: str = "",
    ):
        self.email_field, self.name_field, self.email, self.name = (
            email_field,
            name_field,
            email,
            name,
        )

    def __call__(self, form, field) -> None:
        email = form[self.email_field].data if self.email_field else self.email
        name = form[self.name_field].data if self.name_field else self.name
        reason = password_problem(field.data or "", email=email or "", name=name or "")
        if reason:
            raise ValidationError(password_message(reason))


def _email_field() -> EmailField:
    return EmailField(
        _l("Email"),
        validators=[
            DataRequired(message=_l("Enter your email address.")),
            Email(
                message=_l("Enter a valid email address, like name@example.com."),
                check_deliverability=False,
            ),
            Length(max=254),
        ],
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
        render_kw={"autocomplete": "email", "inputmode": "email"},
    )


def _confirm_field() -> PasswordField:
    return PasswordField(
        _l("Repeat the new password"),
        validators=[
            DataRequired(message=_l("Repeat the password.")),
            EqualTo("password", message=_l("The two passwords do not match.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )


class SignupForm(FlaskForm):
    name = StringField(
        _l("Full name"),
        validators=[DataRequired(message=_l("Enter your name.")), Length(max=120)],
        render_kw={"autocomplete": "name"},
    )
    email = _email_field()
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(message=_l("Choose a password.")), NewPassword("email", "name")],
        description=_l(
            "At least 8 characters. A short sentence is easy to remember and hard to guess."
        ),
        render_kw={"autocomplete": "new-password"},
    )


class LoginForm(FlaskForm):
    email = _email_field()
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(message=_l("Enter your password.")), Length(max=MAX_LENGTH)],
        render_kw={"autocomplete": "current-password"},
    )


class ForgotPasswordForm(FlaskForm):
    email = _email_field()


class ResetPasswordForm(FlaskForm):
    password = PasswordField(
        _l("New password"),
        validators=[DataRequired(message=_l("Choose a password.")), NewPassword()],
        description=_l(
            "At least 8 characters. A short sentence is easy to remember and hard to guess."
        ),
        render_kw={"autocomplete": "new-password"},
    )
    confirm = _confirm_field()


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        _l("Current password"),
        validators=[DataRequired(message=_l("Enter your current password."))],
        render_kw={"autocomplete": "current-password"},
    )
    password = PasswordField(
        _l("New password"),
        validators=[DataRequired(message=_l("Choose a password."))],
        description=_l(
            "At least 8 characters. A short sentence is easy to remember and hard to guess."
        ),
        render_kw={"autocomplete": "new-password"},
    )
    confirm = _confirm_field()

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.password.validators = [
            *self.password.validators,
            NewPassword(email=user.email, name=user.name),
        ]


class EmptyForm(FlaskForm):
    """A form with only the CSRF token, for buttons that POST (log out, resend)."""
