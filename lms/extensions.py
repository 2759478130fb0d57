"""Flask extensions, created unbound; `create_app` binds them to an app."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from flask import request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_talisman import Talisman
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base whose constraints get stable names in migrations."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def client_ip() -> str:
    """The caller's address; ProxyFix (when configured) has already applied X-Forwarded-For."""
    return request.remote_addr or "unknown"


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()


def rate_limit_key() -> str:
    """The caller's address for rate limits; IPv6 by /64, the block one subscriber usually gets."""
    address = client_ip()
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return address


limiter = Limiter(key_func=rate_limit_key)
talisman = Talisman()


def enable_sqlite_pragmas(engine) -> None:
    """WAL, a busy timeout and foreign keys on every SQLite connection.

    pysqlite's own transaction handling is turned off and BEGIN is emitted by SQLAlchemy,
    so that transactions and savepoints behave as on PostgreSQL (SQLAlchemy's documented recipe).
    """
    from sqlalchemy import event

    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # Reads straight from the OS page cache, and a larger page cache per connection: a
        # random certificate lookup among 100,000 otherwise costs read() calls per page.
        cursor.execute("PRAGMA mmap_size=268435456")
        cursor.execute("PRAGMA cache_size=-16000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE" if _begin_immediate.get() else "BEGIN")


_begin_immediate: ContextVar[bool] = ContextVar("sqlite_begin_immediate", default=False)


@contextmanager
def write_transaction() -> Iterator[None]:
    """Run a read-then-write use case so concurrent ones queue instead of failing or losing updates.

    On SQLite the transaction starts with BEGIN IMMEDIATE (the write lock is taken first, and
    waiters honour the busy timeout); on PostgreSQL it changes nothing: use row locks and
    unique constraints there. The caller commits or rolls back inside the block.
    """
    if db.session().in_transaction():
        db.session.commit()
    token = _begin_immediate.set(True)
    try:
        yield
    finally:
        _begin_immediate.reset(token)
        if db.session().in_transaction():
            db.session.rollback()
