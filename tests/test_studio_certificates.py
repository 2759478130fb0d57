"""The studio's certificate list: issue by hand, revoke, suspend, reinstate; staff only."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from lms.extensions import db
from lms.models import AuditEntry, Certificate
from tests import factories
from tests.conftest import login


@pytest.fixture
def setup(app):
    with app.app_context():
        course = factories.make_course(slug="corso", title="Assistente Virtuale")
        factories.make_user(email="docente@example.org", role="instructor", name="Giulia")
        holder = factories.make_user(email="anna@example.org", name="Anna Verdi")
        factories.make_user(email="mario@example.org", name="Mario Rossi")
        certificate = factories.make_certificate(holder, course)
        return {"id": certificate.id, "code": certificate.display_code}


def test_students_cannot_open_or_change_certificates(client, setup):
    login(client, "anna@example.org")
    assert client.get("/studio/courses/corso/certificates").status_code == 403
    response = client.post(f"/studio/certificates/{setup['id']}/revoke", data={"reason": "x"})
    assert response.status_code == 403
    client.post("/logout")
    assert client.get("/studio/courses/corso/certificates").status_code == 302  # to login


def test_instructor_lists_searches_and_revokes_with_a_reason(app, client, setup):
    login(client, "docente@example.org")
    page = client.get("/studio/courses/corso/certificates").get_data(as_text=True)
    assert "Anna Verdi" in page and setup["code"] in page
    assert (
        "Anna"
        not in client.get("/studio/courses/corso/certificates?q=Mario")
        .get_data(as_text=True)
        .split("<tbody>")[1]
    )
    by_code = client.get(f"/studio/courses/corso/certificates?q={setup['code'].lower()}")
    assert "Anna Verdi" in by_code.get_data(as_text=True)

    refused = client.post(
        f"/studio/certificates/{setup['id']}/revoke",
        data={"reason": "", "course": "corso"},
        follow_redirects=True,
    )
    assert "Scrivi il motivo" in refused.get_data(as_text=True)
    client.post(
        f"/studio/certificates/{setup['id']}/revoke",
        data={"reason": "Plagio accertato", "course": "corso"},
    )
    with app.app_context():
        certificate = db.session.get(Certificate, setup["id"])
        assert certificate.revoked_reason == "Plagio accertato"
        entry = db.session.scalar(
            select(AuditEntry).where(AuditEntry.action == "certificate.revoke")
        )
        assert entry.actor_id is not None and entry.details["reason"] == "Plagio accertato"
    client.post(
        f"/studio/certificates/{setup['id']}/reinstate",
        data={"reason": "Errore", "course": "corso"},
    )
    client.post(
        f"/studio/certificates/{setup['id']}/suspend",
        data={"reason": "Verifica", "course": "corso"},
    )
    with app.app_context():
        certificate = db.session.get(Certificate, setup["id"])
        assert certificate.revoked_at is None and certificate.suspended_reason == "Verifica"
    missing = client.post("/studio/certificates/999999/revoke", data={"reason": "x"})
    assert missing.status_code == 404


def test_issue_by_hand_keeps_what_was_typed_on_error(app, client, setup):
    login(client, "docente@example.org")
    page = client.post(
        "/studio/courses/corso/certificates",
        data={"email": "nessuno@example.org", "reason": "Esame su carta"},
    ).get_data(as_text=True)
    assert "Nessun account ha questo indirizzo email" in page
    assert 'value="nessuno@example.org"' in page and 'value="Esame su carta"' in page
    response = client.post(
        "/studio/courses/corso/certificates",
        data={"email": "mario@example.org", "reason": "Esame su carta"},
    )
    assert response.status_code == 302
    with app.app_context():
        names = set(db.session.scalars(select(Certificate.holder_name)))
        assert names == {"Anna Verdi", "Mario Rossi"}
