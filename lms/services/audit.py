"""Recording staff actions and security events in the audit log."""

from __future__ import annotations

from typing import Any

from lms.extensions import db
from lms.models import AuditEntry


def record(
    action: str,
    *,
    actor_id: int | None = None,
    target: Any = None,
    ip: str | None = None,
    **details: Any,
) -> AuditEntry:
    """Add an entry to the caller's transaction (the caller commits, with the change itself)."""
    target_type = target_id = None
    if target is not None:
        target_type = getattr(target, "__tablename__", type(target).__name__)
        target_id = str(getattr(target, "id", target))
    entry = AuditEntry(
        action=action,
        actor_id=actor_id,
        target_type=target_type,
        target_id=target_id,
        ip=ip,
        details=details,
    )
    db.session.add(entry)
    return entry
