"""Authoring in the studio: quizzes and their questions, the exam's categories and bank."""

from __future__ import annotations

from lms.blueprints.studio.access import studio_blueprint

bp = studio_blueprint("question_bank", __name__)
