"""What the directory shows beside its data: names of the curated codes in the reader's language,
messages for refusals, and the query strings of filter and page links."""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import quote_plus, urlsplit

from babel import Locale
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict

from lms.models import LANGUAGES, ROLES, SPECIALIZATIONS
from lms.models.directory import from_mask

SPECIALIZATION_LABELS = {
    "wordpress": _l("WordPress"),
    "newsletter": _l("Newsletters"),
    "social_media": _l("Social media"),
    "bookkeeping": _l("Bookkeeping"),
    "graphic_design": _l("Graphic design"),
    "customer_care": _l("Customer care"),
    "ecommerce": _l("E-commerce"),
    "events": _l("Events"),
    "translation": _l("Translation"),
    "project_management": _l("Project management"),
    "inbox_calendar": _l("Inbox and calendar"),
    "travel": _l("Travel planning"),
    "copywriting": _l("Copywriting"),
    "seo": _l("SEO"),
    "video_editing": _l("Video editing"),
    "online_courses": _l("Online courses and memberships"),
    "data_entry": _l("Data entry"),
    "crm": _l("CRM"),
}
ROLE_LABELS = {
    "executive_assistant": _l("Executive Assistant"),
    "virtual_office_manager": _l("Virtual Office Manager"),
    "web_marketing_assistant": _l("Web Marketing Assistant"),
    "social_media_manager": _l("Social Media Manager"),
    "administrative_assistant": _l("Administrative Assistant"),
    "customer_support": _l("Customer Support Assistant"),
    "personal_assistant": _l("Personal Assistant"),
    "online_business_manager": _l("Online Business Manager"),
}
AVAILABILITY_LABELS = {
    "available": _l("Taking new clients"),
    "limited": _l("Limited availability"),
    "unavailable": _l("Not taking clients now"),
}


def language_label(code: str) -> str:
    name = Locale.parse(str(get_locale())).languages.get(code, code)
    return name[:1].upper() + name[1:]


def country_choices() -> list[tuple[str, str]]:
    territories = Locale.parse(str(get_locale())).territories
    return sorted(
        ((code, name) for code, name in territories.items() if len(code) == 2 and code.isalpha()),
        key=lambda item: item[1],
    )


PHOTO_MESSAGES = {
    "not_an_image": _l("This file is not a JPEG, PNG or WebP picture."),
    "too_large": _l("The photo must be 5 MB or smaller."),
    "too_small": _l("The photo is too small: use one at least 120 pixels wide."),
    "too_many_pixels": _l("The photo has too many pixels: use one under 24 megapixels."),
}
VISIBILITY_MESSAGES = {
    "not_certified": _l(
        "Your profile can be listed once you hold a valid certificate: pass the exam first."
    ),
    "not_found": _l("Save your profile first, then add it to the directory."),
}


def photo_message(reason: str) -> str:
    return str(PHOTO_MESSAGES.get(reason, PHOTO_MESSAGES["not_an_image"]))


def visibility_message(reason: str) -> str:
    return str(VISIBILITY_MESSAGES.get(reason, VISIBILITY_MESSAGES["not_found"]))


QUERY_KEYS = ("q", "sort", "specialization", "role", "language", "region", "availability")


@lru_cache(maxsize=4096)
def _quoted(value: str) -> str:
    return quote_plus(value)


class ListingQuery:
    """The listing's query string, quoted once per request: each filter link is then one join
    (a MultiDict and an urlencode per link cost more than the search)."""

    def __init__(self, args: MultiDict):
        self.pairs = [(name, _quoted(value)) for name in QUERY_KEYS for value in args.getlist(name)]

    def toggled(self, key: str, value: str, single: bool = False) -> str:
        """With `value` of `key` switched on or off, back on page 1."""
        pair = (key, _quoted(value))
        if pair in self.pairs:
            pairs = [other for other in self.pairs if other != pair]
        else:
            kept = [other for other in self.pairs if other[0] != key] if single else self.pairs
            pairs = sorted([*kept, pair], key=lambda other: QUERY_KEYS.index(other[0]))
        return "&".join(f"{name}={value}" for name, value in pairs)


def query_key(args: MultiDict, page: int) -> tuple:
    """What the listing shows depends on: the keys it reads, as given, and the page."""
    return (*((name, tuple(args.getlist(name))) for name in QUERY_KEYS), page)


def page_query(args: MultiDict, page: int) -> str:
    """The listing's query string for another page: only the keys the listing reads."""
    pairs = ListingQuery(args).pairs + ([("page", str(page))] if page > 1 else [])
    return "&".join(f"{name}={value}" for name, value in pairs)


def codes(mask: int, kind: str) -> list[str]:
    return from_mask(
        mask, {"roles": ROLES, "specializations": SPECIALIZATIONS}.get(kind, LANGUAGES)
    )


def host_of(url: str) -> str:
    return urlsplit(url).netloc.removeprefix("www.") or url


def language_list(mask: int) -> str:
    return ", ".join(language_label(code) for code in from_mask(mask, LANGUAGES))
