from __future__ import annotations

from decimal import Decimal, InvalidOperation

from babel.numbers import format_decimal
from flask_babel import get_locale, gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    BooleanField,
    DecimalField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
    URLField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from lms.services import course_authoring, course_rules, video

SLUG = Regexp(
    course_rules.SLUG_PATTERN,
    message=_l("Use lower-case letters, digits and hyphens only, like corso-base."),
)


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class EuroField(DecimalField):
    """An amount in euro as people type it: 19,90 or 19.90, 1.234,50 or 1,234.50."""

    def process_formdata(self, valuelist):
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        text = valuelist[0].strip().replace("€", "").replace(" ", "")
        decimal_mark = "," if text.rfind(",") > text.rfind(".") else "."
        grouping = "." if decimal_mark == "," else ","
        text = text.replace(grouping, "").replace(decimal_mark, ".")
        try:
            self.data = Decimal(text)
        except InvalidOperation as error:
            self.data = None
            raise ValueError(gettext("Write an amount like 199 or 199,90.")) from error
        if not self.data.is_finite() or self.data.as_tuple().exponent < -2:
            self.data = None  # 1.999 may mean 1999 or 1,999: ask rather than guess
            raise ValueError(gettext("Write an amount like 199 or 199,90."))

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        if self.data is None:
            return ""
        return format_decimal(self.data, format="0.00", locale=get_locale())


class VersionedForm(FlaskForm):
    """The version the form was opened at: a save from an older one is refused."""

    version = HiddenField()

    def opened_version(self) -> int | None:
        """The version sent by the browser; None (refused) if it sent none: the form's object
        would otherwise stand in for it, and a save would pass the check unseen."""
        if not self.version.raw_data:
            return None
        try:
            return int(self.version.raw_data[0])
        except ValueError:
            return None

    def conflict_with(self, saved, table: str) -> dict:
        """Keep what was typed, show what is saved and who saved it, and move the form to the
        saved version: the next save then replaces it knowingly."""
        self.version.data = saved.version
        return {"saved": saved, "by": course_authoring.last_save(table, saved.id)}


class CourseForm(VersionedForm):
    title = StringField(
        _l("Title"),
        validators=[
            DataRequired(message=_l("Give the course a title.")),
            Length(max=course_rules.TITLE_MAX_LENGTH),
        ],
        filters=[_strip],
    )
    slug = StringField(
        _l("Address (slug)"),
        description=_l("Part of the course's web address, like /courses/assistente-virtuale."),
        validators=[
            DataRequired(message=_l("Choose the course's address.")),
            Length(max=course_rules.SLUG_MAX_LENGTH),
            SLUG,
        ],
        filters=[_strip],
    )
    subtitle = StringField(
        _l("Subtitle"),
        validators=[Length(max=course_rules.SUBTITLE_MAX_LENGTH)],
        filters=[_strip],
    )
    description_md = TextAreaField(
        _l("Description (Markdown)"),
        validators=[Length(max=course_rules.DESCRIPTION_MAX_LENGTH)],
        render_kw={"rows": 10},
    )
    price = EuroField(
        _l("Price (€)"),
        description=_l("0 makes the course free."),
        places=2,
        validators=[
            InputRequired(message=_l("Write the price (0 for a free course).")),
            NumberRange(
                0,
                course_rules.PRICE_MAX_CENTS // 100,
                message=_l("The price must be between 0 and 100,000 €."),
            ),
        ],
    )
    language = SelectField(
        _l("Language of the course"),
        choices=[SelectChoice(code, name) for code, name in course_rules.LANGUAGES.items()],
    )
    hours = IntegerField(
        _l("Hours of study (shown in the catalog)"),
        default=0,
        validators=[InputRequired(), NumberRange(0, course_rules.HOURS_MAX)],
    )
    sequential = BooleanField(_l("Lessons open in order (each after the previous is done)"))
    certificate_validity_months = IntegerField(
        _l("Certificate valid for (months)"),
        description=_l("Leave empty: certificates never expire."),
        validators=[
            Optional(),
            NumberRange(course_rules.VALIDITY_MONTHS_MIN, course_rules.VALIDITY_MONTHS_MAX),
        ],
    )
    certificate_design = SelectField(_l("Certificate design"))
    certificate_signer_name = StringField(
        _l("Certificate signed by"),
        validators=[Length(max=course_rules.SIGNER_MAX_LENGTH)],
        filters=[_strip],
    )
    certificate_signer_title = StringField(
        _l("Signer's title"),
        validators=[Length(max=course_rules.SIGNER_MAX_LENGTH)],
        filters=[_strip],
    )

    def values(self) -> dict:
        return {
            "title": self.title.data,
            "slug": self.slug.data,
            "subtitle": self.subtitle.data or "",
            "description_md": self.description_md.data or "",
            "price_cents": int(self.price.data * 100),
            "language": self.language.data,
            "hours": self.hours.data,
            "sequential": self.sequential.data,
            "certificate_validity_months": self.certificate_validity_months.data,
            "certificate_design": self.certificate_design.data,
            "certificate_signer_name": self.certificate_signer_name.data or "",
            "certificate_signer_title": self.certificate_signer_title.data or "",
        }


class CoverForm(FlaskForm):
    cover = FileField(
        _l("Cover picture (JPEG, PNG or WebP, at least 320 pixels; shown at 16:9)"),
        validators=[
            FileRequired(message=_l("Choose a picture.")),
            FileAllowed(["jpg", "jpeg", "png", "webp"], _l("Use a JPEG, PNG or WebP picture.")),
        ],
    )


class ModuleForm(VersionedForm):
    title = StringField(
        _l("Module title"),
        validators=[
            DataRequired(message=_l("Give the module a title.")),
            Length(max=course_rules.TITLE_MAX_LENGTH),
        ],
        filters=[_strip],
    )
    summary = TextAreaField(
        _l("Summary"),
        validators=[Length(max=course_rules.SUMMARY_MAX_LENGTH)],
        render_kw={"rows": 3},
    )


class LessonForm(VersionedForm):
    title = StringField(
        _l("Lesson title"),
        validators=[
            DataRequired(message=_l("Give the lesson a title.")),
            Length(max=course_rules.TITLE_MAX_LENGTH),
        ],
        filters=[_strip],
    )
    slug = StringField(
        _l("Address (slug)"),
        description=_l("Leave empty to make it from the title."),
        validators=[Optional(), Length(max=course_rules.SLUG_MAX_LENGTH), SLUG],
        filters=[_strip],
    )
    body_md = TextAreaField(
        _l("Text (Markdown)"),
        validators=[Length(max=course_rules.BODY_MAX_LENGTH)],
        render_kw={"rows": 18},
    )
    video_url = URLField(
        _l("Video (YouTube or Vimeo link)"),
        validators=[Optional(), Length(max=course_rules.VIDEO_URL_MAX_LENGTH)],
        filters=[_strip],
    )
    minutes = IntegerField(
        _l("Minutes"),
        description=_l("0: estimated from the text."),
        default=0,
        validators=[InputRequired(), NumberRange(0, course_rules.LESSON_MINUTES_MAX)],
    )
    drip_days = IntegerField(
        _l("Opens after (days from enrollment)"),
        default=0,
        validators=[InputRequired(), NumberRange(0, course_rules.DRIP_DAYS_MAX)],
    )
    is_preview = BooleanField(_l("Free preview (visitors can read it)"))
    is_draft = BooleanField(_l("Draft (students do not see it)"))

    def validate_video_url(self, field):
        if field.data and video.embed_url(field.data) is None:
            raise ValidationError(_l("Use a YouTube or Vimeo link to the video."))

    def values(self) -> dict:
        return {
            "title": self.title.data,
            "slug": self.slug.data or "",
            "body_md": self.body_md.data or "",
            "video_url": self.video_url.data or None,
            "minutes": self.minutes.data,
            "drip_days": self.drip_days.data,
            "is_preview": self.is_preview.data,
            "is_draft": self.is_draft.data,
        }


class AttachmentForm(FlaskForm):
    file = FileField(_l("File"), validators=[FileRequired(message=_l("Choose a file."))])


class EmptyForm(FlaskForm):
    """Only the CSRF token, for buttons that POST."""
