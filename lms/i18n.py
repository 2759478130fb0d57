"""Which language a request is served in, and locale-aware formatting for templates."""

from __future__ import annotations

from decimal import Decimal

from flask import current_app, g, session
from flask_babel import format_currency, get_locale, get_translations
from flask_login import current_user
from jinja2 import pass_eval_context
from jinja2.nodes import EvalContext
from markupsafe import Markup

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


def _format(eval_ctx: EvalContext, text: str, variables: dict) -> str:
    """Jinja's "newstyle" gettext: always a format string, escaped where the template escapes."""
    if eval_ctx.autoescape:
        text = Markup(text)  # noqa: S704 - our own catalog, as Jinja's i18n extension does
    if not variables and "%" not in text:
        return text  # what `text % {}` gives, without the formatting pass
    return text % variables


@pass_eval_context
def _gettext(eval_ctx: EvalContext, string: str, **variables) -> str:
    return _format(eval_ctx, _translations().ugettext(string), variables)


@pass_eval_context
def _ngettext(eval_ctx: EvalContext, singular: str, plural: str, num: int, **variables) -> str:
    variables.setdefault("num", num)
    return _format(eval_ctx, _translations().ungettext(singular, plural, num), variables)


@pass_eval_context
def _pgettext(eval_ctx: EvalContext, context: str, string: str, **variables) -> str:
    variables.setdefault("context", context)
    return _format(eval_ctx, _translations().upgettext(context, string), variables)


@pass_eval_context
def _npgettext(
    eval_ctx: EvalContext, context: str, singular: str, plural: str, num: int, **variables
) -> str:
    variables.setdefault("context", context)
    variables.setdefault("num", num)
    translated = _translations().unpgettext(context, singular, plural, num)
    return _format(eval_ctx, translated, variables)


def install_template_gettext(app) -> None:
    """Jinja's i18n extension, with one call per string instead of three.

    The extension's `_` resolves `gettext` from the template context, which wraps the function
    given to it in a second context call: on a page of forty strings that was a tenth of the
    render. These do the same in one step, with the same escaping and formatting.
    """
    app.jinja_env.newstyle_gettext = True
    app.jinja_env.globals.update(
        _=_gettext,
        gettext=_gettext,
        ngettext=_ngettext,
        pgettext=_pgettext,
        npgettext=_npgettext,
    )
