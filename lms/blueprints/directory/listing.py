"""The listing page as plain values: filter links with their counts, and result cards.

Built once per request in Python, with the curated labels translated once per language: a
template macro and a `url_for` per filter link cost more than the search itself.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, tzinfo

from flask import current_app, url_for
from flask_babel import format_date, get_locale, get_timezone
from flask_babel import gettext as _
from markupsafe import Markup
from werkzeug.datastructures import MultiDict

from lms.blueprints.directory.display import (
    AVAILABILITY_LABELS,
    ROLE_LABELS,
    SPECIALIZATION_LABELS,
    ListingQuery,
    language_label,
)
from lms.models import LANGUAGES
from lms.services.directory_search import Filters, Results

_translated: dict[tuple[str, str], dict[str, str]] = {}
_pages_lock = threading.Lock()
_months: dict[tuple[str, int, int], str] = {}


@dataclass(frozen=True)
class FacetLink:
    label: str
    href: str
    count: int
    selected: bool


@dataclass(frozen=True)
class FacetGroup:
    title: str
    links: list[FacetLink]


@dataclass(frozen=True)
class CardView:
    href: str
    name: str
    headline: str
    place: str
    availability: str
    mentoring: bool
    photo_url: str | None
    initial: str
    tags: list[str]
    since: str  # "since March 2025"


def labels(kind: str) -> dict[str, str]:
    """{code: label} for one curated list, in the request's language."""
    locale = str(get_locale())
    found = _translated.get((locale, kind))
    if found is None:
        source = {
            "specializations": SPECIALIZATION_LABELS,
            "roles": ROLE_LABELS,
            "availability": AVAILABILITY_LABELS,
        }.get(kind)
        if source is None:
            found = {code: language_label(code) for code in LANGUAGES}
        else:
            found = {code: str(label) for code, label in source.items()}
        _translated[(locale, kind)] = found
    return found


def _month(moment: datetime, timezone: tzinfo, locale: str) -> str:
    local = moment.astimezone(timezone)  # 31 March 23:30 UTC is already April in Rome
    key = (locale, local.year, local.month)
    if key not in _months:
        _months[key] = format_date(local, "MMMM yyyy")
    return _months[key]


def facet_groups(results: Results, filters: Filters, args: MultiDict) -> list[FacetGroup]:
    base = url_for("directory.index")
    listing_query = ListingQuery(args)

    def link(key, value, label, count, selected, single=False) -> FacetLink:
        query = listing_query.toggled(key, value, single)
        return FacetLink(label, f"{base}?{query}" if query else base, count, selected)

    counts = results.counts
    availability = labels("availability")
    region = filters.region.lower()

    def chosen_or_counted(key: str, kind: str) -> list[FacetLink]:
        """Every value with results, and every chosen one even at zero (so it can be unticked)."""
        counted, chosen = getattr(counts, kind), getattr(filters, kind)
        return [
            link(key, code, label, counted.get(code, 0), code in chosen)
            for code, label in labels(kind).items()
            if code in chosen or counted.get(code)
        ]

    return [
        FacetGroup(_("Specialization"), chosen_or_counted("specialization", "specializations")),
        FacetGroup(_("Role"), chosen_or_counted("role", "roles")),
        FacetGroup(_("Language"), chosen_or_counted("language", "languages")),
        FacetGroup(
            _("Region"),
            [
                link("region", name, name, count, name.lower() == region, single=True)
                for name, count in _regions(counts.regions, filters.region)
            ],
        ),
        FacetGroup(
            _("Availability"),
            [
                link(
                    "availability",
                    code,
                    label,
                    counts.availability.get(code, 0),
                    filters.availability == code,
                    single=True,
                )
                for code, label in availability.items()
            ],
        ),
    ]


def _regions(counted: list[tuple[str, int]], chosen: str) -> list[tuple[str, int]]:
    """The regions with results, and the chosen one even when it has none."""
    if chosen and all(name.lower() != chosen.lower() for name, _count in counted):
        return [*counted, (chosen, 0)]
    return counted


def card_views(results: Results) -> list[CardView]:
    profile_base = url_for("directory.profile", slug="_")[:-1]
    photo_base = url_for("directory.photo", name="_")[:-1]
    specializations = labels("specializations")
    availability = labels("availability")
    timezone, locale = get_timezone(), str(get_locale())
    since = _("since %(date)s")
    return [
        CardView(
            href=profile_base + card.slug,
            name=card.display_name,
            headline=card.headline,
            place=", ".join(part for part in (card.city, card.region) if part),
            availability=availability[card.availability],
            mentoring=card.mentoring,
            photo_url=photo_base + card.photo if card.photo else None,
            initial=card.display_name[:1].upper(),
            tags=[specializations[code] for code in card.specializations],
            since=since % {"date": _month(card.certified_at, timezone, locale)},
        )
        for card in results.cards
    ]


def kept_page(key: tuple, build: Callable[[], tuple[Results, Markup]]) -> tuple[Results, Markup]:
    """The results region for `key`, built once per state of the listing, language and query.

    The key holds the listing's state (`listing_state`: any change to a profile or a
    certificate, or an expiry, moves it), so a kept page is never out of date; the
    DIRECTORY_PAGES_KEPT most recent are kept in each process (0: none).
    """
    kept = current_app.config["DIRECTORY_PAGES_KEPT"]
    pages = current_app.extensions.setdefault("directory_pages", OrderedDict())
    key = (str(get_locale()), *key)
    with _pages_lock:
        found = pages.get(key)
        if found is not None:
            pages.move_to_end(key)
            return found
    found = build()
    with _pages_lock:
        pages[key] = found
        while len(pages) > kept:
            pages.popitem(last=False)
    return found
