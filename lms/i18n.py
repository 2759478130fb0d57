"""Which language a request is served in, and locale-aware formatting for templates."""

from __future__ import annotations

from decimal import Decimal

from flask import current_app, g, session
from flask_babel import format_currency, get_locale, get_translations
from flask_login import current_user

LANGUAGE_NAMES = {"it": "Italiano", "en": "English"}


def select_locale() -> str:
    """The visitor's explicit choice, then the account's language, then Italian."""
    languages = current_app.config["LANGUAGES"]
    chosen = session.get("lang")
    if chosen in languages:
        return chosen
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def format_money(cents: int, currency: str = "eur") -> str:
    """`297,00 €` in Italian, `€297.00` in English."""
    return format_currency(Decimal(cents) / 100, currency.upper())


def html_lang() -> str:
    return str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])


def _translations():
    """The catalog of the current locale, kept beside Flask-Babel's own per-request state.

    Templates look up dozens of strings per page, and Flask-Babel resolves the context, the
    domain and the locale again for each one. Keyed by the locale object itself, so a block
    under `force_locale` (an email in its recipient's language) gets its own catalog.
    """
    try:
        state = g._flask_babel
        locale = state.babel_locale
    except (AttributeError, RuntimeError):
        return get_translations()
    cached = getattr(state, "lms_translations", None)
    if cached is None or cached[0] is not locale:
        cached = (locale, get_translations())
        state.lms_translations = cached
    return cached[1]


def install_template_gettext(app) -> None:
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
        newstyle=True,
    )
