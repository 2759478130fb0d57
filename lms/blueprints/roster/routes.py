"""The roster: every student of a course, one student's page with notes, the CSV export."""

from __future__ import annotations

from lms.blueprints.studio.access import studio_blueprint

bp = studio_blueprint("roster", __name__)
