"""A whole course as one ZIP, out of this installation and into another."""

from __future__ import annotations

from lms.blueprints.studio.access import studio_blueprint

bp = studio_blueprint("course_archive", __name__)
