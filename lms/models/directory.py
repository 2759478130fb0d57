"""Directory profiles of certified graduates, and the messages clients send them.

Specializations, roles and languages come from curated lists and are stored as bit masks: a
filter is one bit test and the counts per filter are one pass over the matching rows. A code's
bit is its position in its tuple, so the tuples only ever grow at the end.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lms.extensions import db
from lms.models.types import UTCDateTime, utcnow

SPECIALIZATIONS = (
    "wordpress",
    "newsletter",
    "social_media",
    "bookkeeping",
    "graphic_design",
    "customer_care",
    "ecommerce",
    "events",
    "translation",
    "project_management",
    "inbox_calendar",
    "travel",
    "copywriting",
    "seo",
    "video_editing",
    "online_courses",
    "data_entry",
    "crm",
)
ROLES = (
    "executive_assistant",
    "virtual_office_manager",
    "web_marketing_assistant",
    "social_media_manager",
    "administrative_assistant",
    "customer_support",
    "personal_assistant",
    "online_business_manager",
)
LANGUAGES = ("it", "en", "fr", "de", "es", "pt", "ro", "nl", "pl", "ru", "uk", "ar", "zh", "sq")

# Tables the search index keeps beside `profiles` (SQLite FTS5, PostgreSQL's tsvector column):
# made by the migration, not by the models, so schema comparisons leave them out.
SEARCH_INDEX_OBJECTS = frozenset(
    {
        "profiles_fts",
        "search_vector",
        "ix_profiles_search_vector",
        "title_vector",
        "ix_profiles_title_vector",
    }
)


def include_in_schema_comparison(obj, name, type_, reflected, compare_to) -> bool:
    return not (name in SEARCH_INDEX_OBJECTS or (name or "").startswith("profiles_fts_"))


def to_mask(codes, vocabulary: tuple[str, ...]) -> int:
    return sum(1 << vocabulary.index(code) for code in set(codes) if code in vocabulary)


def from_mask(mask: int, vocabulary: tuple[str, ...]) -> list[str]:
    return [code for bit, code in enumerate(vocabulary) if mask >> bit & 1]


class Availability(enum.StrEnum):
    AVAILABLE = "available"
    LIMITED = "limited"
    UNAVAILABLE = "unavailable"


class Profile(db.Model):
    """A graduate's public page; nothing shows until `published` and a good certificate.

    `certified_at` and `certified_until` copy the holder's newest good certificate (kept by
    services.directory whenever a certificate changes) so that listing needs no join.
    """

    __tablename__ = "profiles"
    # Everything a listing filters and counts on, so counting reads the index and not the rows.
    __table_args__ = (
        Index(
            "ix_profiles_listing",
            "published",
            "certified_at",
            "certified_until",
            "user_id",
            "availability",
            "region",
            "specializations",
            "roles",
            "languages",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    headline: Mapped[str] = mapped_column(String(160), default="")
    bio: Mapped[str] = mapped_column(Text, default="")
    city: Mapped[str] = mapped_column(String(80), default="")
    region: Mapped[str] = mapped_column(String(80), default="")
    country: Mapped[str] = mapped_column(String(2), default="IT")
    languages: Mapped[int] = mapped_column(Integer, default=0)
    roles: Mapped[int] = mapped_column(Integer, default=0)
    specializations: Mapped[int] = mapped_column(Integer, default=0)
    services: Mapped[str] = mapped_column(Text, default="")
    hourly_rate_cents: Mapped[int | None] = mapped_column(Integer)
    website: Mapped[str] = mapped_column(String(300), default="")
    linkedin: Mapped[str] = mapped_column(String(300), default="")
    availability: Mapped[str] = mapped_column(String(20), default=Availability.AVAILABLE.value)
    mentoring: Mapped[bool] = mapped_column(Boolean, default=False)
    photo: Mapped[str | None] = mapped_column(String(64), unique=True)  # a random file name
    published: Mapped[bool] = mapped_column(Boolean, default=False)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    certified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    certified_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Italian stems of name, headline, bio and services, indexed by SQLite's FTS5; and of name
    # and headline alone, which relevance puts first (PostgreSQL: `title_vector`).
    search_text: Mapped[str] = mapped_column(Text, default="")
    title_text: Mapped[str] = mapped_column(Text, default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    def listed_at(self, now: datetime) -> bool:
        return (
            self.published
            and self.certified_at is not None
            and (self.certified_until is None or self.certified_until > now)
        )


class ContactMessage(db.Model):
    """A client's message to a graduate; the graduate reads it in the app and by email."""

    __tablename__ = "contact_messages"
    __table_args__ = (Index("ix_contact_messages_profile_created", "profile_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("profiles.id", ondelete="CASCADE"))
    sender_name: Mapped[str] = mapped_column(String(120))
    sender_email: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(160))
    body: Mapped[str] = mapped_column(Text)
    # The form's one-time token: a double click or a resent form stores the message once.
    submission_id: Mapped[str] = mapped_column(String(43), unique=True)
    sender_ip: Mapped[str] = mapped_column(String(45), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class DirectoryVersion(db.Model):
    """A counter of changes that can alter the listing: one row, bumped in the transaction of
    each change. The row lock orders the bumps as the commits, so a process that read version N
    has seen every change up to N."""

    __tablename__ = "directory_version"

    id: Mapped[int] = mapped_column(primary_key=True)  # always 1
    version: Mapped[int] = mapped_column(Integer, default=0)


class DirectoryChange(db.Model):
    """Which profiles a version changed, so that a process patches its index of the listing
    rather than building it again. Profile 0 stands for all of them (a bulk load). No foreign
    key: the id of a deleted profile is what tells a process to drop it."""

    __tablename__ = "directory_changes"

    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    profile_id: Mapped[int] = mapped_column(Integer, primary_key=True)
