"""The application factory, its settings, security headers, error pages and health check."""

from __future__ import annotations

import pytest
from flask import abort
from sqlalchemy import text

from lms import create_app
from lms.config import ConfigError
from lms.extensions import db


def test_secret_key_is_generated_once_into_instance(monkeypatch, tmp_path, database_url):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    from lms.config import load_secret_key

    first = load_secret_key(str(tmp_path), "development")
    assert len(first) >= 40
    assert load_secret_key(str(tmp_path), "development") == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600
    assert load_secret_key(str(tmp_path / "other"), "development") != first


def test_production_refuses_to_start_without_secret_key(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("LMS_ENV", "production")
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app()


def test_settings_come_from_the_environment(monkeypatch, database_url):
    monkeypatch.setenv("SECRET_KEY", "from-env")
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@db.example:5432/lms")
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://corso.example.org/")
    monkeypatch.setenv("REDIS_URL", "redis://cache:6379/0")
    monkeypatch.setenv("MAIL_URL", "smtp://mailer:587")
    monkeypatch.setenv("STRIPE_SECRET_KEY", "sk_test_x")
    from lms.config import build_config

    config = build_config("/tmp/instance-unused")
    assert config["SECRET_KEY"] == "from-env"
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u:p@db.example:5432/lms"
    assert config["PUBLIC_BASE_URL"] == "https://corso.example.org"
    assert config["RATELIMIT_STORAGE_URI"] == "redis://cache:6379/0"
    assert config["MAIL_URL"] == "smtp://mailer:587"
    assert config["STRIPE_SECRET_KEY"] == "sk_test_x"
    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["MAX_CONTENT_LENGTH"] == 16 * 1024 * 1024


def test_sqlite_is_opened_with_wal_busy_timeout_and_foreign_keys(tmp_path):
    """On its own SQLite file, so it runs in the PostgreSQL pass too."""
    from tests.conftest import make_config

    app = create_app(make_config("sqlite:///" + str(tmp_path / "pragmas.sqlite3"), tmp_path))
    with app.app_context():
        assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert db.session.execute(text("PRAGMA busy_timeout")).scalar() == 10000
        assert db.session.execute(text("PRAGMA foreign_keys")).scalar() == 1
        db.engine.dispose()


def test_security_headers(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert "object-src 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "Strict-Transport-Security" not in response.headers  # plain HTTP


def test_hsts_is_sent_over_https(client):
    response = client.get("/", base_url="https://corso.example.org")
    assert "max-age=63072000" in response.headers["Strict-Transport-Security"]


def test_pages_have_no_inline_script(client):
    for path in ("/", "/courses/", "/login", "/signup", "/forgot-password"):
        page = client.get(path).get_data(as_text=True)
        assert "<script>" not in page and " on" + "click=" not in page, path
        assert '<main id="main"' in page and "<header" in page and "<footer" in page, path


def test_friendly_404(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "Pagina non trovata" in response.get_data(as_text=True)


def test_unexpected_error_shows_no_traceback(make_app):
    app = make_app()

    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internals: password=hunter2")

    response = app.test_client().get("/boom")
    page = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Qualcosa è andato storto" in page
    assert "Traceback" not in page and "hunter2" not in page and "RuntimeError" not in page


def test_forbidden_page(make_app):
    app = make_app()

    @app.get("/secret")
    def secret():
        abort(403)

    response = app.test_client().get("/secret")
    assert response.status_code == 403
    assert "Non hai accesso a questa pagina" in response.get_data(as_text=True)


def test_upload_larger_than_limit_is_refused(make_app):
    app = make_app(MAX_CONTENT_LENGTH=1024)
    response = app.test_client().post(
        "/login", data={"email": "a@example.org", "password": "x" * 4096}
    )
    assert response.status_code == 413
    assert "Il file è troppo grande" in response.get_data(as_text=True)


def test_method_not_allowed_page(client):
    response = client.get("/logout")
    assert response.status_code == 405
    assert "Allow" in response.headers


def test_healthz_reports_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_healthz_fails_when_database_is_unreachable(make_app):
    app = make_app(SQLALCHEMY_DATABASE_URI="postgresql+psycopg://nobody@127.0.0.1:1/none")
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "error", "database": "unreachable"}


def test_home_and_catalog_show_published_courses_only(app, client):
    from tests import factories

    with app.app_context():
        factories.make_course(
            title="Corso Pubblicato",
            slug="pubblicato",
            price_cents=29700,
            modules=3,
            lessons_per_module=2,
        )
        factories.make_course(title="Bozza Segreta", slug="bozza", is_published=False)
    for path in ("/", "/courses/"):
        page = client.get(path).get_data(as_text=True)
        assert "Corso Pubblicato" in page and "Bozza Segreta" not in page
        assert "297,00\xa0€" in page
    assert client.get("/courses/bozza").status_code == 404


def test_course_page_shows_syllabus_and_price(app, client):
    from tests import factories

    with app.app_context():
        factories.make_course(
            slug="corso-va", title="Corso VA", price_cents=29700, modules=2, lessons_per_module=3
        )
    page = client.get("/courses/corso-va").get_data(as_text=True)
    assert "Corso VA" in page
    assert "Modulo 1: Modulo 1" in page and "Lezione 2.3" in page
    assert "6 lezioni" in page and "2 moduli" in page
    assert "297,00\xa0€" in page
    assert "<strong>breve</strong>" in page  # description rendered as Markdown
    client.post("/language", data={"lang": "en", "next": "/courses/corso-va"})
    page = client.get("/courses/corso-va").get_data(as_text=True)
    assert "€297.00" in page and "6 lessons" in page and "Syllabus" in page


def test_production_refuses_unsafe_payment_settings(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    monkeypatch.setenv("LMS_ENV", "production")
    monkeypatch.delenv("STRIPE_SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="test card"):
        create_app()
    monkeypatch.setenv("STRIPE_SECRET_KEY", "sk_live_x")
    with pytest.raises(ConfigError, match="STRIPE_WEBHOOK_SECRET"):
        create_app()


def test_oversized_ids_are_not_found(client):
    for path in (
        "/learn/c/quiz/999999999999999999999",
        "/studio/orders/99999999999999999999/refund",
    ):
        response = client.get(path) if "quiz" in path else client.post(path)
        assert response.status_code == 404, path


def test_the_stylesheet_closes_every_block():
    """An unclosed block silently swallows every rule after it (seen after a merge)."""
    from pathlib import Path

    css = (Path(__file__).parent.parent / "lms" / "static" / "css" / "app.css").read_text()
    depth = 0
    for line_number, line in enumerate(css.splitlines(), start=1):
        depth += line.count("{") - line.count("}")
        assert depth >= 0, f"a block closes twice at line {line_number}"
    assert depth == 0, "a block is left open"
