"""The dashboard of a course: enrollments, revenue, the completion funnel, hard questions."""

from __future__ import annotations

from lms.blueprints.studio.access import studio_blueprint

bp = studio_blueprint("dashboard", __name__)
