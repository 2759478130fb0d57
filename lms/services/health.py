"""Liveness checks that the operator's load balancer calls."""

from __future__ import annotations

import logging

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from lms.extensions import db

log = logging.getLogger(__name__)


def database_reachable() -> bool:
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        log.error("health check: database unreachable: %s", error)
        db.session.rollback()
        return False
    db.session.rollback()
    return True
