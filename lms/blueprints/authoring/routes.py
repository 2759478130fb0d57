"""Authoring in the studio: courses, modules and lessons, their order, drafts and covers."""

from __future__ import annotations

from lms.blueprints.studio.access import studio_blueprint

bp = studio_blueprint("authoring", __name__)
