from __future__ import annotations

import re
import secrets
import time
from decimal import Decimal

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileSize
from itsdangerous import BadSignature, URLSafeTimedSerializer
from wtforms import (
    BooleanField,
    DecimalField,
    EmailField,
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    URL,
    DataRequired,
    Email,
    Length,
    NoneOf,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from lms.blueprints.directory.display import (
    AVAILABILITY_LABELS,
    ROLE_LABELS,
    SPECIALIZATION_LABELS,
    country_choices,
    language_label,
)
from lms.models import LANGUAGES, ROLES, SPECIALIZATIONS, Profile
from lms.models.directory import from_mask
from lms.services import directory, directory_search, photos
from lms.services.directory import RESERVED_SLUGS, SLUG_PATTERN


def _choices(pairs) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _web_address(label, extra=()):
    return StringField(
        label,
        validators=[
            Optional(),
            URL(require_tld=True, message=_l("Enter a full web address starting with https://.")),
            Regexp(r"^https?://", message=_l("Enter a full web address starting with https://.")),
            Length(max=300),
            *extra,
        ],
        filters=[_strip],
    )


def _linkedin(form, field) -> None:
    if field.data and not field.data.lower().startswith(
        ("https://www.linkedin.com/", "https://linkedin.com/", "https://it.linkedin.com/")
    ):
        raise ValidationError(_l("Enter the address of your LinkedIn profile (linkedin.com/in/…)."))


class ProfileForm(FlaskForm):
    display_name = StringField(
        _l("Name shown in the directory"),
        validators=[DataRequired(message=_l("Enter the name clients will see.")), Length(max=120)],
        filters=[_strip],
    )
    slug = StringField(
        _l("Address of your page"),
        description=_l("Lower-case letters, digits and dashes, e.g. anna-verdi."),
        validators=[
            DataRequired(message=_l("Choose the address of your page.")),
            Length(min=3, max=60, message=_l("Use between 3 and 60 characters.")),
            Regexp(SLUG_PATTERN, message=_l("Use lower-case letters, digits and single dashes.")),
            NoneOf(RESERVED_SLUGS, message=_l("This address is taken: choose another one.")),
        ],
        filters=[lambda value: value.strip().lower() if isinstance(value, str) else value],
    )
    headline = StringField(
        _l("Headline"),
        description=_l("One line on what you do best, e.g. “WordPress sites and newsletters”."),
        validators=[Length(max=160)],
        filters=[_strip],
    )
    bio = TextAreaField(
        _l("About you"),
        description=_l("Markdown: **bold**, *italic*, lists and links."),
        validators=[Length(max=5000)],
    )
    city = StringField(_l("City"), validators=[Length(max=80)], filters=[_strip])
    region = StringField(_l("Region"), validators=[Length(max=80)], filters=[_strip])
    country = SelectField(_l("Country"), default="IT")
    languages = CheckboxesField(_l("Languages you work in"))
    roles = CheckboxesField(
        _l("Roles"), choices=_choices((code, ROLE_LABELS[code]) for code in ROLES)
    )
    specializations = CheckboxesField(
        _l("Specializations"),
        choices=_choices((code, SPECIALIZATION_LABELS[code]) for code in SPECIALIZATIONS),
    )
    services = TextAreaField(
        _l("Services"),
        description=_l("One service per line, with its price if you like."),
        validators=[Length(max=3000)],
    )
    hourly_rate = DecimalField(
        _l("Hourly rate in euro (optional)"),
        places=2,
        validators=[
            Optional(),
            NumberRange(min=1, max=1000, message=_l("Enter a rate between 1 and 1000 euro.")),
        ],
    )
    website = _web_address(_l("Website"))
    linkedin = _web_address(_l("LinkedIn profile"), extra=(_linkedin,))
    availability = RadioField(
        _l("Availability"),
        choices=_choices(AVAILABILITY_LABELS.items()),
        default="available",
    )
    mentoring = BooleanField(_l("Open to mentoring newcomers"))
    photo = FileField(
        _l("Photo"),
        description=_l("JPEG, PNG or WebP, at least 120 pixels wide, up to 5 MB."),
        validators=[FileSize(photos.MAX_BYTES, message=_l("The photo must be 5 MB or smaller."))],
    )
    remove_photo = BooleanField(_l("Remove the current photo"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.languages.choices = _choices((code, language_label(code)) for code in LANGUAGES)
        self.country.choices = _choices(country_choices())


class VisibilityForm(FlaskForm):
    publish = HiddenField()


def contact_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="directory-contact")


def new_contact_token(slug: str) -> str:
    """A one-time form token for one profile: [submission id, slug], signed with the time."""
    return contact_serializer().dumps([secrets.token_urlsafe(24), slug])


def _single_line(form, field) -> None:
    if field.data and re.search(r"[\x00-\x1f\x7f]", field.data):
        raise ValidationError(_l("Write it on one line, without special characters."))


class ContactForm(FlaskForm):
    """A client's message. `website` is a trap only bots fill in (hidden from people and screen
    readers); `token` is signed when the form is shown: it names the submission (a second
    click stores nothing more) and tells how long the form was open."""

    sender_name = StringField(
        _l("Your name"),
        validators=[DataRequired(message=_l("Enter your name.")), Length(max=120), _single_line],
        filters=[_strip],
    )
    sender_email = EmailField(
        _l("Your email"),
        description=_l("Only the assistant sees it, to answer you."),
        validators=[
            DataRequired(message=_l("Enter your email address, so you can be answered.")),
            Email(
                message=_l("Enter a valid email address, like name@example.com."),
                check_deliverability=False,
            ),
            Length(max=254),
        ],
        filters=[_strip],
    )
    subject = StringField(
        _l("Subject"),
        validators=[DataRequired(message=_l("Enter a subject.")), Length(max=160), _single_line],
        filters=[_strip],
    )
    body = TextAreaField(
        _l("Message"),
        validators=[
            DataRequired(message=_l("Write your message.")),
            Length(
                min=20,
                max=5000,
                message=_l("Write between 20 and 5000 characters about what you need."),
            ),
        ],
    )
    website = StringField(_l("Leave this field empty"))
    token = HiddenField()

    submission_id: str = ""
    opened_seconds: float = 0.0

    def __init__(self, slug: str, *args, **kwargs):
        self.slug = slug
        super().__init__(*args, **kwargs)

    def validate_token(self, field) -> None:
        try:
            (submission_id, slug), signed_at = contact_serializer().loads(
                field.data or "", max_age=24 * 3600, return_timestamp=True
            )
        except (BadSignature, ValueError, TypeError) as error:  # expired, forged or foreign
            field.data = new_contact_token(self.slug)
            raise ValidationError(
                _l("The form had expired: please check your message and send it again.")
            ) from error
        if slug != self.slug:
            field.data = new_contact_token(self.slug)
            raise ValidationError(
                _l("The form had expired: please check your message and send it again.")
            )
        self.submission_id = submission_id
        self.opened_seconds = time.time() - signed_at.timestamp()

    @property
    def looks_automated(self) -> bool:
        return bool(self.website.data)


def filters_from(args) -> directory_search.Filters:
    """Filters from a query string; unknown values are dropped, never an error."""

    def known(name: str, vocabulary: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(dict.fromkeys(v for v in args.getlist(name) if v in vocabulary))

    availability = args.get("availability", "")
    return directory_search.Filters(
        specializations=known("specialization", SPECIALIZATIONS),
        roles=known("role", ROLES),
        languages=known("language", LANGUAGES),
        region=args.get("region", "").strip()[:80],
        availability=availability if availability in AVAILABILITY_LABELS else "",
    )


def form_data(profile: Profile | None, name: str) -> dict:
    """The edit form's starting values: the saved profile, or a suggestion from the account."""
    if profile is None:
        return {"display_name": name, "slug": directory.suggested_slug(name)}
    rate = profile.hourly_rate_cents
    return {
        "display_name": profile.display_name,
        "slug": profile.slug,
        "headline": profile.headline,
        "bio": profile.bio,
        "city": profile.city,
        "region": profile.region,
        "country": profile.country,
        "languages": from_mask(profile.languages, LANGUAGES),
        "roles": from_mask(profile.roles, ROLES),
        "specializations": from_mask(profile.specializations, SPECIALIZATIONS),
        "services": profile.services,
        "hourly_rate": Decimal(rate) / 100 if rate is not None else None,
        "website": profile.website,
        "linkedin": profile.linkedin,
        "availability": profile.availability,
        "mentoring": profile.mentoring,
    }


def profile_data(form: ProfileForm) -> directory.ProfileData:
    rate = form.hourly_rate.data
    return directory.ProfileData(
        display_name=form.display_name.data,
        slug=form.slug.data,
        headline=form.headline.data or "",
        bio=form.bio.data or "",
        city=form.city.data or "",
        region=form.region.data or "",
        country=form.country.data,
        languages=tuple(form.languages.data or ()),
        roles=tuple(form.roles.data or ()),
        specializations=tuple(form.specializations.data or ()),
        services=form.services.data or "",
        hourly_rate_cents=int(rate * 100) if rate is not None else None,
        website=form.website.data or "",
        linkedin=form.linkedin.data or "",
        availability=form.availability.data,
        mentoring=bool(form.mentoring.data),
    )
