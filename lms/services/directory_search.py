"""Searching the directory: full text, filters, counts per filter, sort and pages.

One function for both databases. The text is cut into words here (letters and digits only, so
quotes, operators and emoji are never syntax) and each database stems them in Italian: SQLite's
FTS5 matches the Snowball stems kept in `profiles.search_text`; PostgreSQL matches its generated
`search_vector` (configuration `italian`, GIN index). Both use the same stemmer and stop words.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path

import snowballstemmer
from flask import current_app
from sqlalchemy import and_, column, false, func, literal_column, or_, select, table
from sqlalchemy.sql.elements import ColumnElement

from lms.extensions import db
from lms.models import LANGUAGES, ROLES, SPECIALIZATIONS, Availability, Profile, User
from lms.models.directory import from_mask

PER_PAGE = 20
MAX_WORDS = 8
SORTS = ("relevance", "newest")
_WORD = re.compile(r"[^\W_]+")
_profiles = Profile.__table__
_fts = table("profiles_fts", column("rowid"), column("search_text"))
MASKED = {
    "specializations": SPECIALIZATIONS,
    "roles": ROLES,
    "languages": LANGUAGES,
}


@cache
def _stopwords() -> frozenset[str]:
    path = Path(__file__).with_name("italian-stopwords.txt")
    return frozenset(path.read_text(encoding="utf-8").split())


_stemmer = threading.local()


def _stem(words: list[str]) -> list[str]:
    """Snowball objects keep state between calls: one per thread."""
    stemmer = getattr(_stemmer, "italian", None)
    if stemmer is None:
        stemmer = _stemmer.italian = snowballstemmer.stemmer("italian")
    return stemmer.stemWords(words)


def words_of(text: str) -> list[str]:
    """The searchable words of `text`, lower-cased, stop words left out."""
    stop = _stopwords()
    return [word for word in _WORD.findall(text.lower()) if word not in stop]


def search_text(*parts: str) -> str:
    """What SQLite's index holds for a profile: the stems of its words, space-separated."""
    return " ".join(_stem(words_of(" ".join(parts))))


@dataclass(frozen=True)
class Filters:
    specializations: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    region: str = ""
    availability: str = ""

    @property
    def count(self) -> int:
        """How many values are chosen, all filters together."""
        singles = bool(self.region) + bool(self.availability)
        return len(self.specializations) + len(self.roles) + len(self.languages) + singles


@dataclass(frozen=True)
class Card:
    """What a result shows: never the email, never the bio in full."""

    slug: str
    display_name: str
    headline: str
    city: str
    region: str
    photo: str | None
    specializations: tuple[str, ...]
    roles: tuple[str, ...]
    availability: str
    mentoring: bool
    certified_at: datetime


@dataclass(frozen=True)
class Counts:
    specializations: dict[str, int] = field(default_factory=dict)
    roles: dict[str, int] = field(default_factory=dict)
    languages: dict[str, int] = field(default_factory=dict)
    availability: dict[str, int] = field(default_factory=dict)
    regions: list[tuple[str, int]] = field(default_factory=list)


@dataclass(frozen=True)
class Results:
    query: str
    searched: bool  # the query had words to look for
    total: int
    page: int
    pages: int
    sort: str
    cards: list[Card]
    counts: Counts


def listed(now: datetime) -> ColumnElement[bool]:
    """Opted in, by a member still here, with a certificate neither revoked, suspended nor
    expired. Deleted members are few: NOT IN probes a small set built once per query."""
    return and_(
        _profiles.c.published.is_(True),
        _profiles.c.user_id.not_in(select(User.id).where(User.deleted_at.is_not(None))),
        _profiles.c.certified_at.is_not(None),
        or_(_profiles.c.certified_until.is_(None), _profiles.c.certified_until > now),
    )


def _bit_set(mask_column, bit: int) -> ColumnElement[bool]:
    return mask_column.op("&")(1 << bit) != 0


def _filter_conditions(filters: Filters, skip: str = "") -> list[ColumnElement[bool]]:
    conditions = []
    for name, vocabulary in MASKED.items():
        for code in getattr(filters, name):
            conditions.append(_bit_set(_profiles.c[name], vocabulary.index(code)))
    if filters.region and skip != "region":
        conditions.append(func.lower(_profiles.c.region) == filters.region.lower())
    if filters.availability and skip != "availability":
        conditions.append(_profiles.c.availability == filters.availability)
    return conditions


@dataclass(frozen=True)
class _TextMatch:
    condition: ColumnElement[bool]
    fts_query: str = ""  # SQLite: ranked by joining the FTS5 table itself
    rank: ColumnElement | None = None  # PostgreSQL


def _text_match(words: list[str]) -> _TextMatch:
    if db.engine.dialect.name == "postgresql":
        query = func.plainto_tsquery(literal_column("'italian'::regconfig"), " ".join(words))
        vector = literal_column("profiles.search_vector")
        return _TextMatch(vector.op("@@")(query), rank=func.ts_rank(vector, query).desc())
    fts_query = " ".join(f'"{stem}"' for stem in _stem(words))
    matching = select(_fts.c.rowid).where(_fts_matches(fts_query))
    return _TextMatch(_profiles.c.id.in_(matching), fts_query=fts_query)


def _fts_matches(fts_query: str) -> ColumnElement[bool]:
    return literal_column("profiles_fts").op("MATCH")(fts_query)


def search(
    query: str, filters: Filters, sort: str, page: int, now: datetime, per_page: int = PER_PAGE
) -> Results:
    words = words_of(query)[:MAX_WORDS]
    searched = bool(words)
    base = [listed(now)]
    text = None
    if query.strip():
        if not words:  # only emoji, punctuation or stop words: nothing can match them
            base.append(false())
        else:
            text = _text_match(words)
            base.append(text.condition)
    if sort not in SORTS or (sort == "relevance" and not searched):
        sort = "relevance" if searched else "newest"
    conditions = base + _filter_conditions(filters)
    total = db.session.scalar(select(func.count()).select_from(_profiles).where(*conditions))
    pages = max(1, -(-total // per_page))
    page = min(max(page, 1), pages)
    cards = _cards(conditions, sort, text, page, per_page)
    counts = _counts(query, base, filters, now)
    return Results(query, searched, total, page, pages, sort, cards, counts)


def _cards(conditions, sort, text, page, per_page) -> list[Card]:
    p = _profiles.c
    ranked = sort == "relevance" and text is not None
    if ranked and text.fts_query:  # SQLite: the MATCH must be on the joined table for bm25
        conditions = [c for c in conditions if c is not text.condition]
        conditions.append(_fts_matches(text.fts_query))
    statement = select(
        p.slug,
        p.display_name,
        p.headline,
        p.city,
        p.region,
        p.photo,
        p.specializations,
        p.roles,
        p.availability,
        p.mentoring,
        p.certified_at,
    ).where(*conditions)
    if ranked and text.fts_query:
        statement = statement.join(_fts, _fts.c.rowid == p.id).order_by(
            func.bm25(literal_column("profiles_fts"))
        )
    elif ranked:
        statement = statement.order_by(text.rank)
    statement = statement.order_by(p.certified_at.desc(), p.id.desc())
    rows = db.session.execute(statement.limit(per_page).offset((page - 1) * per_page))
    return [
        Card(
            slug=row.slug,
            display_name=row.display_name,
            headline=row.headline,
            city=row.city,
            region=row.region,
            photo=row.photo,
            specializations=tuple(from_mask(row.specializations, SPECIALIZATIONS)),
            roles=tuple(from_mask(row.roles, ROLES)),
            availability=row.availability,
            mentoring=row.mentoring,
            certified_at=row.certified_at,
        )
        for row in rows
    ]


_counts_cache: dict[tuple, tuple[float, Counts]] = {}
_CACHE_LIMIT = 512


def _counts(query: str, base, filters: Filters, now: datetime) -> Counts:
    """Counts per filter value, for the results as they would be with that value added.

    Region and availability pick one value, so their counts leave their own filter out. Counting
    scans every match, so counts are kept for DIRECTORY_COUNTS_SECONDS: a result list is always
    current, a count may lag behind it by that long.
    """
    ttl = current_app.config.get("DIRECTORY_COUNTS_SECONDS", 60)
    key = (db.engine.url, query.strip().lower(), filters)
    cached = _counts_cache.get(key)
    clock = time.monotonic()
    if cached is not None and clock - cached[0] < ttl:
        return cached[1]
    counts = _count(base, filters)
    if ttl > 0:
        if len(_counts_cache) >= _CACHE_LIMIT:
            _counts_cache.clear()
        _counts_cache[key] = (clock, counts)
    return counts


def _count(base, filters: Filters) -> Counts:
    p = _profiles.c
    conditions = base + _filter_conditions(filters)
    columns = []
    for name, vocabulary in MASKED.items():
        columns += [
            func.count().filter(_bit_set(p[name], bit)).label(f"{name}_{bit}")
            for bit in range(len(vocabulary))
        ]
    row = db.session.execute(select(*columns).where(*conditions)).one()
    masked = {
        name: {
            code: row._mapping[f"{name}_{bit}"]
            for bit, code in enumerate(vocabulary)
            if row._mapping[f"{name}_{bit}"]
        }
        for name, vocabulary in MASKED.items()
    }
    availability = dict(
        db.session.execute(
            select(p.availability, func.count())
            .where(*base, *_filter_conditions(filters, skip="availability"))
            .group_by(p.availability)
        ).all()
    )
    regions = db.session.execute(
        select(func.min(p.region), func.count())
        .where(*base, *_filter_conditions(filters, skip="region"), p.region != "")
        .group_by(func.lower(p.region))
        .order_by(func.count().desc(), func.min(p.region))
        .limit(40)
    ).all()
    return Counts(
        specializations=masked["specializations"],
        roles=masked["roles"],
        languages=masked["languages"],
        availability={
            value: availability.get(value, 0) for value in (a.value for a in Availability)
        },
        regions=[(region, count) for region, count in regions],
    )
