from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import StringField
from wtforms.validators import Length, Optional, Regexp

from lms.services import course_rules


class ImportForm(FlaskForm):
    """A course archive to import, and a new slug when the archive's is already used here."""

    archive = FileField(
        _l("Course archive (ZIP)"),
        validators=[
            FileRequired(message=_l("Choose the ZIP file of the course.")),
            FileAllowed(["zip"], message=_l("Choose a .zip file exported from a course.")),
        ],
    )
    slug = StringField(
        _l("New slug (optional)"),
        description=_l(
            "Leave it empty to keep the archive's slug. The slug is the course's address: "
            "lower-case letters, digits and dashes, like my-course."
        ),
        validators=[
            Optional(),
            Length(max=course_rules.SLUG_MAX_LENGTH, message=_l("At most 120 characters.")),
            Regexp(
                course_rules.SLUG,
                message=_l("Use lower-case letters, digits and dashes, like my-course."),
            ),
        ],
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
    )
