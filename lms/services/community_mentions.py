"""`@handle` mentions in community posts: which members a text names.

Code (fenced blocks and inline spans) is skipped, so `@decorator` in a snippet mentions nobody.
"""

from __future__ import annotations

import re

from sqlalchemy import select

from lms.extensions import db
from lms.models import CommunityMember

MENTION = re.compile(r"(?<![\w@/.])@([a-z0-9][a-z0-9-]{1,39})\b", re.IGNORECASE)
_CODE = re.compile(r"```.*?```|~~~.*?~~~|`[^`\n]*`", re.DOTALL)
MAX_MENTIONS = 20  # more than this in one post is a mass ping, not a conversation


def mentioned_handles(body: str) -> list[str]:
    """Handles named in `body`, lower-cased, in order of first appearance, without repeats."""
    seen: dict[str, None] = {}
    for match in MENTION.finditer(_CODE.sub(" ", body)):
        seen.setdefault(match.group(1).lower().rstrip("-"), None)
    return list(seen)[:MAX_MENTIONS]


def mentioned_members(course_id: int, body: str) -> list[CommunityMember]:
    handles = mentioned_handles(body)
    if not handles:
        return []
    return list(
        db.session.scalars(
            select(CommunityMember).where(
                CommunityMember.course_id == course_id, CommunityMember.handle.in_(handles)
            )
        )
    )
