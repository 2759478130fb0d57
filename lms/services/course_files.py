"""Where a course's files live: lesson attachments and cover pictures, each under a random name.

Nothing the uploader chose is used as a path; the original file name is kept only in the database.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from flask import current_app


def attachments_dir() -> Path:
    return Path(current_app.config["FILES_DIR"]) / "attachments"


def covers_dir() -> Path:
    return Path(current_app.config["FILES_DIR"]) / "covers"


def new_stored_name(suffix: str = "") -> str:
    """A fresh random name (128 bits, hex), with an optional extension like '.pdf'."""
    return secrets.token_hex(16) + suffix


def write_file(folder: Path, name: str, data: bytes) -> Path:
    """Write whole or not at all: a partial file never carries the final name, and is removed
    when the write fails (a full disk, say)."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    partial = folder / f".{name}.part"
    try:
        partial.write_bytes(data)
        partial.replace(target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return target
