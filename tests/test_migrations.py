"""Migrations build the schema from nothing on SQLite and PostgreSQL, and take it down again."""

from __future__ import annotations

import uuid

import flask_migrate
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from lms import create_app
from lms.extensions import db
from lms.models.directory import include_in_schema_comparison
from tests.conftest import TEST_DATABASE_URL, make_config


def _empty_database(tmp_path):
    """A fresh empty database; returns (url, cleanup)."""
    if not TEST_DATABASE_URL:
        return "sqlite:///" + str(tmp_path / "empty.sqlite3"), lambda: None
    name = "lms_migr_" + uuid.uuid4().hex[:10]
    admin = create_engine(TEST_DATABASE_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))

    def cleanup():
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return make_url(TEST_DATABASE_URL).set(database=name).render_as_string(
        hide_password=False
    ), cleanup


def test_upgrade_from_empty_then_downgrade_to_base(tmp_path):
    url, cleanup = _empty_database(tmp_path)
    try:
        app = create_app(make_config(url, tmp_path))
        with app.app_context():
            flask_migrate.upgrade()
            tables = set(inspect(db.engine).get_table_names())
            assert {
                "users",
                "courses",
                "modules",
                "lessons",
                "enrollments",
                "outbox",
                "audit_log",
            } <= tables
            with db.engine.connect() as connection:
                context = MigrationContext.configure(
                    connection, opts={"include_object": include_in_schema_comparison}
                )
                assert not compare_metadata(context, db.metadata), "models and migrations differ"
            flask_migrate.downgrade(revision="base")
            assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
            flask_migrate.upgrade()  # and up again
            assert "users" in inspect(db.engine).get_table_names()
            db.engine.dispose()
    finally:
        cleanup()
