"""What the directory lists, and the log that tells each process's index what changed.

`listing_changed` is called by the services in the transaction of every change that can alter
the listing: it bumps `directory_version` and logs the profiles. The upsert holds the version
row's lock until commit, so versions are committed in the order they are numbered, and a process
that read version N has seen the log up to N.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, delete, insert, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.elements import ColumnElement

from lms.extensions import db
from lms.models import DirectoryChange, DirectoryVersion, Profile, User

CHANGES_KEPT = 1000  # versions whose changed profiles stay in the log
EVERYTHING = 0  # the profile id logged by a bulk load
_profiles = Profile.__table__


def opted_in() -> ColumnElement[bool]:
    """Opted in, by a member still here, with a certificate neither revoked nor suspended.
    Deleted members are few: NOT IN probes a small set built once per query."""
    return and_(
        _profiles.c.published.is_(True),
        _profiles.c.user_id.not_in(select(User.id).where(User.deleted_at.is_not(None))),
        _profiles.c.certified_at.is_not(None),
    )


def listed(now: datetime) -> ColumnElement[bool]:
    """Opted in, with a certificate that has not expired either."""
    until = _profiles.c.certified_until
    return and_(opted_in(), or_(until.is_(None), until > now))


def listing_changed(profile_ids: list[int] | None) -> None:
    """Tell every process that these profiles changed (None: any of them), in the caller's
    transaction. Call it with any change to a profile, its certificate or its member's account."""
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    version = db.session.execute(
        dialect.insert(DirectoryVersion)
        .values(id=1, version=1)
        .on_conflict_do_update(
            index_elements=["id"], set_={"version": DirectoryVersion.version + 1}
        )
        .returning(DirectoryVersion.version)
    ).scalar_one()
    changed = sorted(set(profile_ids)) if profile_ids is not None else [EVERYTHING]
    db.session.execute(
        insert(DirectoryChange), [{"version": version, "profile_id": pid} for pid in changed]
    )
    db.session.execute(
        delete(DirectoryChange).where(DirectoryChange.version <= version - CHANGES_KEPT)
    )


def changed_since(version: int, at_most: int) -> tuple[int, list[int] | None]:
    """The newest version logged and the profiles changed after `version`; None when a bulk
    load, too many profiles, or a log pruned since leaves nothing to patch with."""
    rows = db.session.execute(
        select(DirectoryChange.version, DirectoryChange.profile_id).where(
            DirectoryChange.version > version
        )
    ).all()
    versions = {row.version for row in rows}
    changed = sorted({row.profile_id for row in rows})
    newest = max(versions, default=version)
    if version + 1 not in versions or EVERYTHING in changed or len(changed) > at_most:
        return newest, None
    return newest, changed
