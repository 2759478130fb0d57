"""Directory profiles: editing, opting in and out, the certificate they stand on, and messages.

A profile is listed only while it is published and its holder has a certificate that is not
revoked, suspended or expired. The certificate part is copied onto the profile by
`refresh_certification`, which services.certificates calls in the transaction of every change.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from lms.extensions import db, write_transaction
from lms.models import (
    LANGUAGES,
    ROLES,
    SPECIALIZATIONS,
    Certificate,
    ContactMessage,
    Profile,
    User,
    utcnow,
)
from lms.models.directory import to_mask
from lms.services import mail, photos
from lms.services.directory_listing import listed, listing_changed
from lms.services.errors import DomainError
from lms.services.italian_words import search_text
from lms.services.links import external_url

SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
RESERVED_SLUGS = frozenset({"photos"})  # /directory/photos/<name> serves the pictures
MESSAGES_PER_PAGE = 20


class ProfileRefused(DomainError):
    """slug_taken, not_certified, not_found, form_used (a contact form sent another message)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class ProfileData:
    display_name: str
    slug: str
    headline: str = ""
    bio: str = ""
    city: str = ""
    region: str = ""
    country: str = "IT"
    languages: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    specializations: tuple[str, ...] = ()
    services: str = ""
    hourly_rate_cents: int | None = None
    website: str = ""
    linkedin: str = ""
    availability: str = "available"
    mentoring: bool = False


def slugify(text: str) -> str:
    """`Anna Verdi-Rossi` -> `anna-verdi-rossi`: ASCII letters and digits joined by dashes."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower())[:60].strip("-")
    return slug if len(slug) >= 3 and slug not in RESERVED_SLUGS else f"profilo-{slug}".strip("-")


def profile_of(user_id: int) -> Profile | None:
    return db.session.scalar(select(Profile).where(Profile.user_id == user_id))


def suggested_slug(name: str) -> str:
    """A free slug for a new profile: the name, then the name with a number."""
    base = slugify(name)
    taken = set(
        db.session.scalars(select(Profile.slug).where(Profile.slug.like(f"{base}%")).limit(1000))
    )
    if base not in taken:
        return base
    return next(f"{base}-{n}" for n in range(2, 10_000) if f"{base}-{n}" not in taken)


def _good_certificates(user_id: int):
    return select(Certificate.issued_at, Certificate.expires_at).where(
        Certificate.user_id == user_id,
        Certificate.revoked_at.is_(None),
        Certificate.suspended_at.is_(None),
    )


def refresh_certification(user_id: int) -> None:
    """Copy the holder's best certificate onto their profile (in the caller's transaction)."""
    rows = db.session.execute(_good_certificates(user_id)).all()
    certified_at = max((row.issued_at for row in rows), default=None)
    if not rows or any(row.expires_at is None for row in rows):
        until = None
    else:
        until = max(row.expires_at for row in rows)
    profile_id = db.session.execute(
        update(Profile)
        .where(Profile.user_id == user_id)
        .values(certified_at=certified_at, certified_until=until)
        .returning(Profile.id)
    ).scalar_one_or_none()
    if profile_id is not None:
        listing_changed([profile_id])


def is_certified(user_id: int, now: datetime) -> bool:
    return any(
        row.expires_at is None or row.expires_at > now
        for row in db.session.execute(_good_certificates(user_id))
    )


def _apply(profile: Profile, data: ProfileData) -> None:
    profile.display_name = data.display_name.strip()
    profile.slug = data.slug
    profile.headline = data.headline.strip()
    profile.bio = data.bio.strip()
    profile.city = data.city.strip()
    profile.region = data.region.strip()
    profile.country = data.country
    profile.languages = to_mask(data.languages, LANGUAGES)
    profile.roles = to_mask(data.roles, ROLES)
    profile.specializations = to_mask(data.specializations, SPECIALIZATIONS)
    profile.services = data.services.strip()
    profile.hourly_rate_cents = data.hourly_rate_cents
    profile.website = data.website.strip()
    profile.linkedin = data.linkedin.strip()
    profile.availability = data.availability
    profile.mentoring = data.mentoring
    profile.search_text = search_text(
        profile.display_name, profile.headline, profile.bio, profile.services
    )
    profile.title_text = search_text(profile.display_name, profile.headline)


def save_profile(user_id: int, data: ProfileData, photo: str | None = None,
                 remove_photo: bool = False) -> Profile:  # fmt: skip
    """Create or update the user's profile; a new photo replaces the old file after commit."""
    with write_transaction():
        profile = profile_of(user_id)
        created = profile is None
        if created:
            profile = Profile(user_id=user_id)
            db.session.add(profile)
        if data.slug in RESERVED_SLUGS:
            raise ProfileRefused("slug_taken")
        _apply(profile, data)
        old_photo = profile.photo
        if photo is not None or remove_photo:
            profile.photo = photo
        try:
            db.session.flush()
        except IntegrityError as error:
            db.session.rollback()
            photos.delete_photo(photo)
            raise ProfileRefused("slug_taken") from error
        if created:
            refresh_certification(user_id)
        listing_changed([profile.id])
        db.session.commit()
    if old_photo != profile.photo:
        photos.delete_photo(old_photo)
    return profile


def set_published(user_id: int, published: bool, now: datetime | None = None) -> Profile:
    """Opt in (only with a good certificate) or out; opting out hides the profile at once."""
    now = now or utcnow()
    with write_transaction():
        profile = profile_of(user_id)
        if profile is None:
            raise ProfileRefused("not_found")
        if published and not is_certified(user_id, now):
            raise ProfileRefused("not_certified")
        if published and not profile.published:
            profile.published_at = now
        profile.published = published
        listing_changed([profile.id])
        db.session.commit()
    return profile


def _listed_profile(condition, now: datetime) -> tuple[Profile, User] | None:
    found = db.session.execute(
        select(Profile, User).join(User, User.id == Profile.user_id).where(condition)
    ).first()
    if found is None or found.User.deleted_at is not None or not found.Profile.listed_at(now):
        return None
    return found.Profile, found.User


def public_profile(slug: str, now: datetime) -> tuple[Profile, User] | None:
    """The profile at `slug` if the directory lists it."""
    return _listed_profile(Profile.slug == slug, now)


def photo_visible(name: str, viewer_id: int | None, now: datetime) -> bool:
    """A photo is seen by its owner, and by anyone while its profile is listed."""
    if viewer_id is not None and db.session.scalar(
        select(Profile.id).where(Profile.photo == name, Profile.user_id == viewer_id)
    ):
        return True
    return _listed_profile(Profile.photo == name, now) is not None


def listing_certificate(user_id: int, now: datetime) -> Certificate | None:
    """The certificate the profile's badge links to: the newest good one."""
    for certificate in db.session.scalars(
        select(Certificate)
        .where(Certificate.user_id == user_id)
        .order_by(Certificate.revoked_at.is_not(None), Certificate.issued_at.desc())
    ):
        if certificate.status_at(now).value == "valid":
            return certificate
    return None


def send_message(
    slug: str,
    sender_name: str,
    sender_email: str,
    subject: str,
    body: str,
    submission_id: str,
    ip: str,
    now: datetime,
) -> bool:
    """Store a client's message and email the graduate; False when this form was already sent."""
    with write_transaction():
        found = public_profile(slug, now)
        if found is None:
            raise ProfileRefused("not_found")
        profile, user = found
        message = ContactMessage(
            profile_id=profile.id,
            sender_name=sender_name.strip(),
            sender_email=sender_email.strip(),
            subject=subject.strip(),
            body=body.strip(),
            submission_id=submission_id,
            sender_ip=ip,
            created_at=now,
        )
        db.session.add(message)
        try:
            db.session.flush()
        except IntegrityError:  # this form was sent before: the same message, or another one
            db.session.rollback()
            earlier = db.session.scalar(
                select(ContactMessage).where(ContactMessage.submission_id == submission_id)
            )
            if earlier is not None and earlier.body == body.strip():
                return False
            raise ProfileRefused("form_used") from None
        mail.queue_email(
            user.email,
            "directory_message",
            user.locale,
            subject=lambda: _("New message from the directory: %(subject)s", subject=subject),
            name=user.name,
            sender_name=message.sender_name,
            sender_email=message.sender_email,
            message_subject=message.subject,
            body=message.body,
            inbox_url=external_url("directory.messages"),
        )
        db.session.commit()
    return True


def messages_for(user_id: int, page: int) -> tuple[list[ContactMessage], int, int]:
    """A page of the user's messages, newest first, the page shown and how many there are."""
    profile = profile_of(user_id)
    if profile is None:
        return [], 1, 1
    total = db.session.scalar(select(func.count()).where(ContactMessage.profile_id == profile.id))
    pages = max(1, -(-total // MESSAGES_PER_PAGE))
    page = min(max(page, 1), pages)
    messages = list(
        db.session.scalars(
            select(ContactMessage)
            .where(ContactMessage.profile_id == profile.id)
            .order_by(ContactMessage.created_at.desc(), ContactMessage.id.desc())
            .limit(MESSAGES_PER_PAGE)
            .offset((page - 1) * MESSAGES_PER_PAGE)
        )
    )
    return messages, page, pages


def unread_count(user_id: int) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(ContactMessage)
        .join(Profile, Profile.id == ContactMessage.profile_id)
        .where(Profile.user_id == user_id, ContactMessage.read_at.is_(None))
    )


def mark_read(user_id: int, message_ids: list[int], now: datetime) -> None:
    if not message_ids:
        return
    profile_ids = select(Profile.id).where(Profile.user_id == user_id)
    with write_transaction():
        db.session.execute(
            update(ContactMessage)
            .where(
                ContactMessage.id.in_(message_ids),
                ContactMessage.profile_id.in_(profile_ids),
                ContactMessage.read_at.is_(None),
            )
            .values(read_at=now)
        )
        db.session.commit()


def sitemap_chunk(chunk: int, size: int, now: datetime) -> list[tuple[str, datetime]]:
    """(slug, updated) of listed profiles whose id falls in one chunk of `size` ids."""
    return [
        (row.slug, row.updated_at)
        for row in db.session.execute(
            select(Profile.slug, Profile.updated_at)
            .where(listed(now), Profile.id >= chunk * size, Profile.id < (chunk + 1) * size)
            .order_by(Profile.id)
        )
    ]


def sitemap_chunks(size: int) -> int:
    highest = db.session.scalar(select(func.max(Profile.id))) or 0
    return highest // size + 1
