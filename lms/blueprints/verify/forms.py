from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import StringField
from wtforms.validators import DataRequired, Length, ValidationError

from lms.services.certificates import normalize_code


class CodeForm(FlaskForm):
    """Sent by GET (a bookmarkable search), so it carries no CSRF token."""

    class Meta:
        csrf = False

    code = StringField(
        _l("Certificate code"),
        description=_l("12 letters and digits, as printed on the certificate: XXXX-XXXX-XXXX."),
        validators=[
            DataRequired(message=_l("Enter the code printed on the certificate.")),
            Length(max=40, message=_l("A code has 12 letters and digits.")),
        ],
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
    )

    def validate_code(self, field) -> None:
        if normalize_code(field.data or "") is None:
            raise ValidationError(
                _l("A code has 12 letters and digits, like 7KQ2-M9XD-4HNP. Check it and retry.")
            )


class UploadForm(FlaskForm):
    document = FileField(
        _l("Certificate PDF"),
        description=_l("The PDF file exactly as you received it, up to 10 MB."),
        validators=[FileRequired(message=_l("Choose the PDF file to check."))],
    )
