"""Searching the directory: full text, filters, counts per filter, sort and pages.

One function for both databases. The text is cut into words here (letters and digits only, so
quotes, operators and emoji are never syntax) and each database stems them in Italian: SQLite's
FTS5 matches the Snowball stems kept in `profiles.search_text`; PostgreSQL matches its generated
`search_vector` (configuration `italian`, GIN index). Both use the same stemmer and stop words.

Each word is read from the database's text index once per in-memory index of the listing
(`directory_index`), as the bits of what it matches; filters, counts, sort and pages are worked
out on those bits, and only the page's cards are read from the database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import bindparam, select

from lms.extensions import db
from lms.models import ROLES, SPECIALIZATIONS, Availability, Profile
from lms.models.directory import from_mask
from lms.services import directory_index
from lms.services.bitsets import set_bits
from lms.services.directory_index import MASKED, Snapshot
from lms.services.directory_listing import listed
from lms.services.italian_words import words_of

PER_PAGE = 20
MAX_WORDS = 8
SORTS = ("relevance", "newest")
_profiles = Profile.__table__


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


def _word_bits(snapshot: Snapshot, words: list[str], where: str, now: datetime) -> int:
    """What every word matches, anywhere or in the name or headline."""
    bits = snapshot.live(now)
    for word in words:
        bits &= snapshot.word_bits(where, word)
    return bits


def _filter_bits(snapshot: Snapshot, filters: Filters, skip: str = "") -> int:
    bits = snapshot.everyone
    for name, vocabulary in MASKED.items():
        for code in getattr(filters, name):
            bits &= snapshot.filter_bits((name, vocabulary.index(code)))
    if filters.region and skip != "region":
        bits &= snapshot.filter_bits(("region", filters.region.lower()))
    if filters.availability and skip != "availability":
        bits &= snapshot.filter_bits(("availability", filters.availability))
    return bits


def listing_state(now: datetime) -> tuple:
    """A value that changes whenever the listing may have: kept pages are keyed by it."""
    return directory_index.current(now).state(now)


def search(
    query: str, filters: Filters, sort: str, page: int, now: datetime, per_page: int = PER_PAGE
) -> Results:
    """One page of the listing for `query` and `filters`, with the count of every filter value.

    Relevance puts the profiles whose name or headline holds every word first, then those with
    the words elsewhere; newest certified first within each.
    """
    words = list(dict.fromkeys(words_of(query)))[:MAX_WORDS]
    searched = bool(words)
    snapshot = directory_index.current(now)
    base = snapshot.live(now)
    if words:
        base = _word_bits(snapshot, words, "anywhere", now)
    elif query.strip():  # only emoji, punctuation or stop words: nothing can match them
        base = 0
    if sort not in SORTS or (sort == "relevance" and not searched):
        sort = "relevance" if searched else "newest"
    tiers = _word_bits(snapshot, words, "title", now) if sort == "relevance" and searched else 0
    found = base & _filter_bits(snapshot, filters)
    total = found.bit_count()
    pages = max(1, -(-total // per_page))
    page = min(max(page, 1), pages)
    ordered = [found & tiers, found & ~tiers] if tiers else [found]
    positions = _window(ordered, (page - 1) * per_page, per_page)
    cards = _cards([snapshot.ids[position] for position in positions], now)
    counts = _counts(snapshot, base, found, filters)
    return Results(query, searched, total, page, pages, sort, cards, counts)


def _window(ordered: list[int], skip: int, take: int) -> list[int]:
    """`take` positions after `skip`, through the bit sets in turn."""
    positions: list[int] = []
    for bits in ordered:
        count = bits.bit_count()
        if skip >= count:
            skip -= count
            continue
        positions += set_bits(bits, skip, take - len(positions))
        skip = 0
        if len(positions) == take:
            break
    return positions


_p = _profiles.c
# Built once: making the statement (the visibility rule, its subquery, the cache key) took
# three times as long as running it.
_CARDS = select(
    _p.id, _p.slug, _p.display_name, _p.headline, _p.city, _p.region, _p.photo,
    _p.specializations, _p.roles, _p.availability, _p.mentoring, _p.certified_at,
).where(_p.id.in_(bindparam("ids", expanding=True)), listed(bindparam("now")))  # fmt: skip


def _cards(profile_ids: list[int], now: datetime) -> list[Card]:
    """The cards, in the index's order. Visibility is asked again: a profile hidden since the
    index was read drops out of the page at once."""
    if not profile_ids:
        return []
    rows = db.session.execute(_CARDS, {"ids": profile_ids, "now": now})
    by_id = {row.id: row for row in rows}
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
        for row in (by_id.get(profile_id) for profile_id in profile_ids)
        if row is not None
    ]


def _counts(snapshot: Snapshot, base: int, found: int, filters: Filters) -> Counts:
    """Counts per filter value, for the results as they would be with that value added.

    `found` is `base` with every filter. Region and availability pick one value, so their
    counts leave their own filter out.
    """
    masked = {
        name: {
            code: count
            for bit, code in enumerate(vocabulary)
            if (count := (found & snapshot.filter_bits((name, bit))).bit_count())
        }
        for name, vocabulary in MASKED.items()
    }
    other_availability = base & _filter_bits(snapshot, filters, skip="availability")
    other_regions = base & _filter_bits(snapshot, filters, skip="region")
    regions = [
        (written, count)
        for key, written in snapshot.region_names.items()
        if (count := (other_regions & snapshot.filter_bits(("region", key))).bit_count())
    ]
    regions.sort(key=lambda pair: (-pair[1], pair[0]))
    return Counts(
        specializations=masked["specializations"],
        roles=masked["roles"],
        languages=masked["languages"],
        availability={
            value: (other_availability & snapshot.filter_bits(("availability", value))).bit_count()
            for value in (a.value for a in Availability)
        },
        regions=regions[:40],
    )
