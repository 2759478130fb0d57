"""Both catalogs translate every string the code and templates show; Italian is the default."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent


def _extracted_ids() -> set[str | tuple[str, ...]]:
    with (ROOT / "babel.cfg").open() as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    ids = set()
    keywords = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}
    found = extract_from_dir(ROOT, method_map, options_map, keywords=keywords)
    for _filename, _lineno, message, _comments, _context in found:
        ids.add(message if isinstance(message, str) else tuple(message)[0])
    return ids


@pytest.mark.parametrize("locale", ["it", "en"])
def test_catalog_is_complete(locale):
    with (ROOT / "lms" / "translations" / locale / "LC_MESSAGES" / "messages.po").open(
        "rb"
    ) as handle:
        catalog = read_po(handle)
    untranslated = []
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(strings):
            untranslated.append(message.id)
    assert untranslated == []
    catalog_ids = {
        message.id if isinstance(message.id, str) else message.id[0]
        for message in catalog
        if message.id
    }
    missing = _extracted_ids() - catalog_ids
    assert missing == set(), "run `pybabel extract` and `pybabel update`, then translate"


def test_italian_is_the_default_and_english_is_one_click_away(client):
    page = client.get("/").get_data(as_text=True)
    assert '<html lang="it">' in page and "Accedi" in page
    response = client.post("/language", data={"lang": "en", "next": "/login"})
    assert response.headers["Location"] == "/login"
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="en">' in page and "Forgot your password?" in page


def test_language_choice_is_remembered_on_the_account(app, logged_in):
    from sqlalchemy import select

    from lms.extensions import db
    from lms.models import User

    logged_in.post("/language", data={"lang": "en"})
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "studente@example.org"))
        assert user.locale == "en"
    logged_in.post("/logout")
    # A new browser without a choice of its own gets the account's language after logging in.
    from tests.conftest import login

    fresh = app.test_client()
    login(fresh, "studente@example.org")
    assert '<html lang="en">' in fresh.get("/account").get_data(as_text=True)


def test_unknown_language_is_ignored(client):
    client.post("/language", data={"lang": "xx"})
    assert '<html lang="it">' in client.get("/").get_data(as_text=True)


def test_template_strings_are_translated_escaped_and_formatted_like_jinja_newstyle(app):
    """Templates look strings up in one call; escaping and formatting stay Jinja's own."""
    html = app.jinja_env.from_string(
        "{{ _('Holder') }}|{{ _('Reason: %(reason)s', reason='<b>') }}|"
        "{{ ngettext('%(num)d hour', '%(num)d hours', 3) }}|{{ _('100%% sure') }}"
    )
    text = app.jinja_env.from_string(
        "{% autoescape false %}{{ _('Reason: %(reason)s', reason='<b>') }}{% endautoescape %}"
    )
    with app.test_request_context("/"):
        assert html.render() == "Titolare|Motivo: &lt;b&gt;|3 ore|100% sure"
        assert text.render() == "Motivo: <b>"
