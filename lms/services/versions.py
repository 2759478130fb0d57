"""The edit check: two people editing the same thing cannot silently overwrite each other.

Every editable row carries a `version`. A form sends back the version it was opened at; the save
moves the row to the next version only if it is still there, in the same UPDATE, so of two saves
made from the same version exactly one wins and the other is told.
"""

from __future__ import annotations

from sqlalchemy import update

from lms.extensions import db
from lms.services.errors import DomainError


class EditConflict(DomainError):
    """Someone saved this since the form was opened: nothing was changed."""


def claim(model: type, row_id: int, version: int | None) -> None:
    """Move the row to its next version, or raise EditConflict if it is not at `version`."""
    result = db.session.execute(
        update(model)
        .where(model.id == row_id, model.version == version)
        .values(version=model.version + 1)
        .execution_options(synchronize_session="fetch")
    )
    if result.rowcount != 1:
        raise EditConflict
