"""Many certified graduates at once, to try the directory and the register at full size.

`seed_directory` makes students with a verified email, each holding a certificate for one course
(signed, in a status-list slot) and a directory profile, with dates and visibility spread the way
a live register's are: most listed, a few percent expired, revoked, unpublished or deleted. Rows
go in as Core bulk INSERTs, one transaction per batch; the search index follows by itself (SQLite
triggers, PostgreSQL's generated column). Never in production: the people are made up.
"""

from __future__ import annotations

import calendar
import math
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, insert, select

from lms.extensions import db, write_transaction
from lms.models import (
    LANGUAGES,
    ROLES,
    SPECIALIZATIONS,
    Certificate,
    Course,
    Profile,
    Role,
    StatusSlot,
    User,
    utcnow,
)
from lms.models.directory import to_mask
from lms.services import certificates, credentials
from lms.services.demo import DEMO_COURSE
from lms.services.directory import slugify
from lms.services.directory_listing import listing_changed
from lms.services.errors import DomainError
from lms.services.italian_words import search_text, words_of
from lms.services.scale_profiles import make_profile_content

# Nobody logs in as a seeded student: a fixed hash string spares hashing a password per account.
PASSWORD_HASH = "$argon2id$v=19$m=65536,t=3,p=4$YmVuY2hzYWx0$YmVuY2hoYXNobm90YXJlYWxvbmU"  # noqa: S105
BATCH = 5_000
COURSE_SLUG = "assistente-virtuale"
HISTORY_DAYS = 3 * 365
# How a seeded profile stands, and how often: the hidden ones make the visibility rules matter.
STANDINGS = {"listed": 905, "expired": 30, "revoked": 20, "unpublished": 40, "deleted": 5}
REVOKE_REASONS = (
    "Violazione del codice etico: accertata dalla commissione.",
    "Certificato emesso per errore.",
    "Richiesta dell'interessata.",
)


class SeedRefused(DomainError):
    """production: made-up accounts are never added to a live register."""


@dataclass(frozen=True)
class SeedSummary:
    course_title: str
    profiles: int
    standings: dict[str, int]  # how many of each of STANDINGS

    @property
    def listed(self) -> int:
        return self.standings.get("listed", 0)


def unique_codes(count: int) -> list[str]:
    """`count` distinct certificate codes (random: a clash with a stored one is one in 32**12)."""
    codes: set[str] = set()
    while len(codes) < count:
        codes.add(certificates.generate_code())
    return list(codes)


def status_slots(
    count: int, size: int, rng: random.Random | None = None, first_list: int = 1
) -> list[tuple[int, int]]:
    """(list, index) per certificate: lists from `first_list` on, each filled to half its `size`
    bits at random indexes, as services.status_lists.assign_slot fills them one at a time."""
    rng = rng or random.Random()
    per_list = size // 2
    slots = []
    for first in range(0, count, per_list):
        indexes = rng.sample(range(size), min(per_list, count - first))
        slots += [(first_list + first // per_list, index) for index in indexes]
    return slots


def _add_months(moment: datetime, months: int) -> datetime:
    """The same day `months` later (or earlier), or that month's last day when it is shorter."""
    year, month = divmod(moment.month - 1 + months, 12)
    year, month = moment.year + year, month + 1
    return moment.replace(
        year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1])
    )


class _Stems:
    """`search_text` with each word's stem kept: seeded texts reuse a few hundred words, and
    stemming them afresh for every profile would take most of the seed's time."""

    def __init__(self):
        self.known: dict[str, str] = {}

    def __call__(self, *parts: str) -> str:
        stems = []
        for word in words_of(" ".join(parts)):
            stem = self.known.get(word)
            if stem is None:
                stem = self.known[word] = search_text(word)
            stems.append(stem)
        return " ".join(stems)


@dataclass(frozen=True)
class _CourseFacts:
    """What each certificate copies from its course, read once (no ORM object across batches)."""

    id: int
    slug: str
    title: str
    hours: int
    signer_name: str
    signer_title: str
    design: str
    validity_months: int | None


def _course() -> _CourseFacts:
    """The demo course when loaded, else a small course of our own (made once)."""
    course = db.session.scalar(
        select(Course)
        .where(Course.slug.in_((DEMO_COURSE, COURSE_SLUG)))
        .order_by((Course.slug == DEMO_COURSE).desc())
        .limit(1)
    )
    if course is None:
        course = Course(
            slug=COURSE_SLUG,
            title="Assistente virtuale",
            subtitle="Il mestiere dell'assistente virtuale, dalla prima lezione all'esame etico",
            price_cents=29700,
            hours=40,
            is_published=True,
            certificate_validity_months=24,
            certificate_signer_name="Giulia Ferraris",
            certificate_signer_title="Direttrice del corso",
        )
        db.session.add(course)
        db.session.flush()
    return _CourseFacts(
        course.id,
        course.slug,
        course.title,
        course.hours,
        course.certificate_signer_name,
        course.certificate_signer_title,
        course.certificate_design or "classic",
        course.certificate_validity_months,
    )


def _ago(rng: random.Random, now: datetime, days: float) -> datetime:
    return now - timedelta(days=days, seconds=rng.randrange(86_400))


def _history(rng: random.Random, now: datetime, standing: str, months: int | None) -> dict:
    """First and latest issue, expiry, edition and revocation of one holder's certificate.

    Newer holders are commoner (the course grows). A certificate is renewed shortly before it
    expires, its new validity starting where the old one ends (as services.certificates renews);
    only the `expired` ones have let it lapse."""
    first = _ago(rng, now, HISTORY_DAYS * (1 - math.sqrt(rng.random())))
    if months and standing == "expired":
        first = _ago(rng, _add_months(now, -months), rng.uniform(1, 300))
    issued, edition = first, 1
    expires = _add_months(first, months) if months else None
    while expires is not None and expires <= now and standing != "expired":
        issued = expires - timedelta(days=rng.uniform(1, 45))
        expires = _add_months(expires, months)
        edition += 1
    revoked_at = None
    if standing == "revoked":
        revoked_at = issued + (now - issued) * rng.random()
    return {
        "first": first,
        "issued_at": issued,
        "expires_at": expires,
        "edition": edition,
        "revoked_at": revoked_at,
    }


def _person(
    rng: random.Random, now: datetime, number: int, months: int | None, stems, standings: dict
) -> dict:
    """The rows of one seeded graduate, before ids: user, certificate and profile values."""
    content = make_profile_content(rng)
    standing = rng.choices(tuple(standings), tuple(standings.values()))[0]
    if standing == "expired" and not months:
        standing = "listed"  # a course whose certificates never expire has no expired holder
    history = _history(rng, now, standing, months)
    slug = f"{slugify(content.display_name)}-{number}"
    joined = history["first"] - timedelta(days=rng.uniform(30, 180))
    profile_created = min(now, history["first"] + timedelta(days=rng.uniform(0, 20)))
    good = history["revoked_at"] is None
    user = {
        "email": f"{slug}@example.org",
        "name": content.display_name,
        "password_hash": PASSWORD_HASH,
        "role": Role.STUDENT.value,
        "locale": "it",
        "created_at": joined,
        "email_verified_at": joined,
        "deleted_at": joined + (now - joined) * rng.random() if standing == "deleted" else None,
    }
    certificate = {
        "holder_name": content.display_name,
        "locale": "it",
        "issued_at": history["issued_at"],
        "expires_at": history["expires_at"],
        "edition": history["edition"],
        "revoked_at": history["revoked_at"],
        "revoked_reason": "" if good else rng.choice(REVOKE_REASONS),
        "created_at": history["first"],
        "updated_at": history["revoked_at"] or history["issued_at"],
    }
    profile = {
        "slug": slug,
        "display_name": content.display_name,
        "headline": content.headline,
        "bio": content.bio,
        "city": content.city,
        "region": content.region,
        "country": content.country,
        "languages": to_mask(content.languages, LANGUAGES),
        "roles": to_mask(content.roles, ROLES),
        "specializations": to_mask(content.specializations, SPECIALIZATIONS),
        "services": content.services,
        "hourly_rate_cents": content.hourly_rate_cents,
        "website": f"https://www.{slug}.it" if rng.random() < 0.3 else "",
        "linkedin": f"https://www.linkedin.com/in/{slug}" if rng.random() < 0.5 else "",
        "availability": content.availability,
        "mentoring": history["first"] < now - timedelta(days=365) and rng.random() < 0.2,
        "photo": None,
        "published": standing != "unpublished",
        "published_at": profile_created if standing != "unpublished" else None,
        "certified_at": history["issued_at"] if good else None,
        "certified_until": history["expires_at"] if good else None,
        "search_text": stems(content.display_name, content.headline, content.bio, content.services),
        "title_text": stems(content.display_name, content.headline),
        "created_at": profile_created,
        "updated_at": max(profile_created, certificate["updated_at"]),
    }
    return {"standing": standing, "user": user, "certificate": certificate, "profile": profile}


SIGNED_FIELDS = (
    "code", "holder_name", "course_title", "course_hours", "issuer_name", "issued_at",
    "expires_at", "edition", "status_list", "status_index",
)  # fmt: skip


def _signed(row: dict, course: _CourseFacts) -> str:
    """The certificate's own credential, signed as services.certificates would sign it."""
    certificate = Certificate(**{name: row[name] for name in SIGNED_FIELDS})
    return credentials.sign_credential(certificate, course.slug)


def _insert_batch(people: list[dict], codes, slots, course: _CourseFacts) -> None:
    """Core executemany INSERTs (the ORM's bulk path splits rows by which values are None),
    with the new ids read back by email and by code."""
    users = [person["user"] for person in people]
    db.session.execute(insert(User.__table__), users)
    emails = [user["email"] for user in users]
    user_ids = dict(
        db.session.execute(select(User.email, User.id).where(User.email.in_(emails))).all()
    )
    issuer = current_app.config["ISSUER_NAME"]
    certificate_rows = []
    for person, code, (list_number, index) in zip(people, codes, slots, strict=True):
        row = {
            **person["certificate"],
            "code": code,
            "user_id": user_ids[person["user"]["email"]],
            "course_id": course.id,
            "exam_attempt_id": None,
            "course_title": course.title,
            "course_hours": course.hours,
            "issuer_name": issuer,
            "signer_name": course.signer_name,
            "signer_title": course.signer_title,
            "design": course.design,
            "suspended_at": None,
            "suspended_reason": "",
            "status_list": list_number,
            "status_index": index,
        }
        row["credential_jwt"] = _signed(row, course)
        certificate_rows.append(row)
    db.session.execute(insert(Certificate.__table__), certificate_rows)
    certificate_ids = dict(
        db.session.execute(
            select(Certificate.code, Certificate.id).where(Certificate.code.in_(codes))
        ).all()
    )
    db.session.execute(
        insert(StatusSlot.__table__),
        [
            {
                "status_list": row["status_list"],
                "status_index": row["status_index"],
                "certificate_id": certificate_ids[row["code"]],
                "revoked": row["revoked_at"] is not None,
                "created_at": row["created_at"],
            }
            for row in certificate_rows
        ],
    )
    db.session.execute(
        insert(Profile.__table__),
        [{**person["profile"], "user_id": user_ids[person["user"]["email"]]} for person in people],
    )


def _after_bulk_load() -> None:
    """Fresh statistics, or the planners guess; on PostgreSQL a VACUUM too, which marks the pages
    all-visible so that index-only scans need not visit them (autovacuum would, later)."""
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE")
    else:
        with db.engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE")


def seed_directory(
    count: int,
    seed: int = 1,
    now: datetime | None = None,
    progress: Callable[[int], None] | None = None,
    standings: dict[str, int] | None = None,
) -> SeedSummary:
    """Add `count` graduates with certificates and profiles; `progress` hears each batch's end.

    The same seed gives the same people, places and dates (codes stay random). `standings`
    weighs how often each standing is drawn (STANDINGS by default). Status slots go in lists
    after the newest in use, so they never meet a slot already given.
    """
    if current_app.config["LMS_ENV"] == "production":
        raise SeedRefused("production")
    now = now or utcnow()
    rng = random.Random(seed)
    stems = _Stems()
    with write_transaction():
        course = _course()
        first_number = (db.session.scalar(select(func.max(User.id))) or 0) + 1
        newest = db.session.scalar(select(func.max(StatusSlot.status_list))) or 0
        db.session.commit()
    codes = unique_codes(count)
    slots = status_slots(count, current_app.config["STATUS_LIST_BITS"], rng, newest + 1)
    weights = standings or STANDINGS
    drawn: Counter[str] = Counter()
    for start in range(0, count, BATCH):
        end = min(count, start + BATCH)
        people = [
            _person(rng, now, first_number + i, course.validity_months, stems, weights)
            for i in range(start, end)
        ]
        drawn.update(person["standing"] for person in people)
        with write_transaction():
            _insert_batch(people, codes[start:end], slots[start:end], course)
            listing_changed(None)
            db.session.commit()
        if progress:
            progress(end)
    _after_bulk_load()
    return SeedSummary(course.title, count, dict(drawn))
