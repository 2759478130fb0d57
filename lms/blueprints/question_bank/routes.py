"""The question_bank blueprint, with its views: quizzes, then the exam's topics and bank."""

from __future__ import annotations

from lms.blueprints.question_bank import bank_routes, quiz_routes
from lms.blueprints.question_bank.blueprint import bp

__all__ = ["bank_routes", "bp", "quiz_routes"]
