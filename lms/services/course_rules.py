"""The limits a course's content must keep, wherever it comes from.

The studio's forms and the course archive's reader both use these, so an imported course holds
nothing the studio would have refused.
"""

from __future__ import annotations

import re

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"  # lower-case words joined by single hyphens
SLUG = re.compile(SLUG_PATTERN)
SLUG_MAX_LENGTH = 120

# The languages a course can be taught in, with their names as their speakers write them.
LANGUAGES = {"it": "Italiano", "en": "English"}

TITLE_MAX_LENGTH = 200
SUBTITLE_MAX_LENGTH = 300
SIGNER_MAX_LENGTH = 200
DESCRIPTION_MAX_LENGTH = 50_000
SUMMARY_MAX_LENGTH = 5_000
BODY_MAX_LENGTH = 200_000
VIDEO_URL_MAX_LENGTH = 500

PRICE_MAX_CENTS = 10_000_000  # 100,000 €
HOURS_MAX = 1_000
VALIDITY_MONTHS_MIN = 1
VALIDITY_MONTHS_MAX = 240  # null: certificates never expire
DRIP_DAYS_MAX = 365
LESSON_MINUTES_MAX = 600

# Quizzes and their questions.
QUIZ_PASS_PERCENT = (1, 100)
QUIZ_ATTEMPTS = (0, 50)  # 0: unlimited
QUESTION_POINTS = (1, 100)

# The certification exam's rules.
EXAM_MINUTES = (1, 600)
EXAM_PASS_PERCENT = (1, 100)
EXAM_ATTEMPTS = (1, 50)
EXAM_COOLDOWN_HOURS = (0, 2000)
EXAM_GRACE_SECONDS = (0, 600)


def is_slug(text: str) -> bool:
    return len(text) <= SLUG_MAX_LENGTH and SLUG.match(text) is not None
