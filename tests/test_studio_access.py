"""Every studio route, found in the URL map: visitors go to the login page, students get 403."""

from __future__ import annotations

import pytest

from lms.blueprints.studio.access import staff_only
from tests import factories
from tests.conftest import login


def _value(converter):
    """A value the converter accepts: the first of an any(...), an id, or a slug."""
    if hasattr(converter, "items"):
        return sorted(converter.items)[0]
    return 1 if converter.regex.startswith(("\\d", "[1-9]")) else "corso"


def studio_rules(app):
    """Each route whose blueprint runs the staff check, with its URL filled in."""
    rules = []
    adapter = app.url_map.bind("localhost")
    for rule in app.url_map.iter_rules():
        blueprint = rule.endpoint.rpartition(".")[0]
        if staff_only not in app.before_request_funcs.get(blueprint, []):
            continue
        values = {name: _value(rule._converters[name]) for name in rule.arguments}
        url = adapter.build(rule.endpoint, values)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            rules.append((method, url, rule.endpoint))
    return rules


@pytest.fixture
def world(app):
    with app.app_context():
        course = factories.make_course(slug="corso")
        student = factories.make_user(email="studente@example.org")
        factories.make_enrollment(student, course)


def test_the_studio_has_its_routes(app):
    endpoints = {endpoint for _method, _url, endpoint in studio_rules(app)}
    for expected in ("studio.order_list", "authoring.edit_course", "lessons.edit_lesson"):
        assert expected in endpoints
    assert len(endpoints) >= 25


def test_students_get_403_everywhere_in_the_studio(app, world):
    client = app.test_client()
    login(client, "studente@example.org")
    for method, url, endpoint in studio_rules(app):
        response = client.open(url, method=method)
        assert response.status_code == 403, (method, url, endpoint)


def test_visitors_are_sent_to_the_login_page(app, world):
    client = app.test_client()
    for method, url, endpoint in studio_rules(app):
        response = client.open(url, method=method)
        assert response.status_code == 302, (method, url, endpoint)
        assert "/login" in response.headers["Location"], (method, url, endpoint)
