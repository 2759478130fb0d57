"""Fixtures: an app per test on a real database (SQLite, or PostgreSQL with TEST_DATABASE_URL).

The schema is built once per run by the migrations; each test starts from empty tables.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import flask_migrate
import pytest
from sqlalchemy import create_engine, text

from lms import create_app
from lms.extensions import db
from tests import factories

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")


def _local_redis() -> str:
    """The machine's Redis on loopback, when one answers (the project's machines run one)."""
    import socket

    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.2):
            return "redis://127.0.0.1:6379/15"
    except OSError:
        return ""


TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL") or _local_redis()
WEBHOOK_SECRET = "whsec_test_suite_secret"


def make_config(database_url: str, instance: Path, **overrides) -> dict:
    config = {
        "LMS_ENV": "testing",
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": False,
        "PASSWORD_HASH_TIME_COST": 1,
        "PASSWORD_HASH_MEMORY_COST": 1024,
        "RATELIMIT_STORAGE_URI": "memory://",
        "PUBLIC_BASE_URL": "http://lms.test",
        "MAIL_URL": "",
        "STRIPE_SECRET_KEY": "",
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "FILES_DIR": str(instance / "files"),
        "ISSUER_KEY_DIR": str(instance / "issuer-keys"),
        "DIRECTORY_CONTACT_MIN_SECONDS": 0,
    }
    config.update(overrides)
    return config


def reset_postgres_schema(url: str) -> None:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    """A database migrated to the newest revision, once per test run."""
    if TEST_DATABASE_URL:
        url = TEST_DATABASE_URL
        reset_postgres_schema(url)
    else:
        url = "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.sqlite3")
    app = create_app(make_config(url, tmp_path_factory.mktemp("instance")))
    with app.app_context():
        flask_migrate.upgrade()
        db.engine.dispose()
    return url


def empty_all_tables() -> None:
    tables = list(reversed(db.metadata.sorted_tables))
    if db.engine.dialect.name == "postgresql":
        names = ", ".join(f'"{table.name}"' for table in tables)
        db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        for table in tables:
            db.session.execute(table.delete())
    db.session.commit()


@pytest.fixture
def make_app(database_url, tmp_path):
    """Build an app on the test database with extra settings; tables are emptied afterwards."""
    apps = []

    def build(**overrides):
        app = create_app(make_config(database_url, tmp_path, **overrides))
        apps.append(app)
        return app

    yield build
    for app in apps:
        with app.app_context():
            db.engine.dispose()
    cleaner = create_app(make_config(database_url, tmp_path))
    with cleaner.app_context():
        empty_all_tables()
        db.engine.dispose()


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def ctx(app):
    """An application context for tests that call services or factories directly."""
    with app.app_context():
        yield


@pytest.fixture
def student(app):
    with app.app_context():
        return factories.make_user(email="studente@example.org", name="Anna Verdi")


@pytest.fixture
def logged_in(client, student):
    """The test client, logged in as `student` (password: factories.PASSWORD)."""
    response = login(client, "studente@example.org")
    assert response.status_code == 302
    return client


def login(client, email: str, password: str = factories.PASSWORD):
    return client.post("/login", data={"email": email, "password": password})


def outbox_link(app, to_email: str, path_prefix: str) -> str:
    """The path of the newest link starting with `path_prefix` emailed to `to_email`."""
    from sqlalchemy import select

    from lms.models import OutboxEmail

    with app.app_context():
        bodies = db.session.scalars(
            select(OutboxEmail.body_text)
            .where(OutboxEmail.to_email == to_email)
            .order_by(OutboxEmail.id.desc())
        ).all()
    for body in bodies:
        match = re.search(r"http://lms\.test(" + re.escape(path_prefix) + r"\S+)", body)
        if match:
            return match.group(1)
    raise AssertionError(f"no {path_prefix} link emailed to {to_email}")
