"""Which language a request is served in, and locale-aware formatting for templates."""

from __future__ import annotations

from decimal import Decimal

from flask import current_app, session
from flask_babel import format_currency, get_locale
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
