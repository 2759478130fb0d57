"""The demo course's community, loaded from `lms/demo/<slug>/community.toml`.

Graduates get a certificate and a public directory profile, mentors opt in, and the
conversations are written through the same services members use, dated over the past weeks.
Loading twice changes nothing: a community that already has threads is left as it is.
"""

from __future__ import annotations

import secrets
import tomllib
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from lms.extensions import db
from lms.models import (
    Category,
    Course,
    EnrollmentSource,
    EnrollmentStatus,
    Lesson,
    Role,
    Thread,
    User,
    utcnow,
)
from lms.models.directory import SPECIALIZATIONS, to_mask
from lms.services import (
    accounts,
    certificates,
    community_access,
    community_posts,
    directory,
    enrollment,
)


def load_community(folder: Path, course: Course) -> int:
    """Load the demo community of `course`; return the number of threads created."""
    source = folder / "community.toml"
    if not source.exists() or _has_threads(course.id):
        return 0
    manifest = tomllib.loads(source.read_text(encoding="utf-8"))
    for member in manifest.get("member", []):
        _member(member, course)
    start = utcnow() - timedelta(days=30)
    threads = manifest.get("thread", [])
    for number, data in enumerate(threads):
        opened = start + timedelta(days=number * 6, hours=9)
        author = _viewer(data["author"], course)
        thread = community_posts.start_thread(
            author,
            course,
            community_posts.NewThread(Category(data["category"]), data["title"], data["body"]),
            now=opened,
        )
        _replies(thread, data.get("reply", []), course, opened)
    for data in manifest.get("lesson_thread", []):
        lesson = db.session.scalar(
            select(Lesson).where(Lesson.course_id == course.id, Lesson.slug == data["lesson"])
        )
        thread = community_posts.lesson_thread(course, lesson)
        _replies(thread, data.get("reply", []), course, utcnow() - timedelta(days=3))
    return len(threads) + len(manifest.get("lesson_thread", []))


def _replies(thread: Thread, replies: list[dict], course: Course, opened) -> None:
    for hours, data in enumerate(replies, start=1):
        post = community_posts.reply(
            _viewer(data["author"], course),
            thread,
            data["body"],
            now=opened + timedelta(hours=hours * 5),
        )
        if data.get("accepted"):
            thread.accepted_post_id = post.id
            db.session.commit()


def _member(data: dict, course: Course) -> None:
    user = accounts.find_user_by_email(data["email"])
    if user is None:
        user = accounts.create_user(
            data["email"], data["name"], secrets.token_urlsafe(24), Role.STUDENT
        )
    enrollment.set_status(user.id, course.id, EnrollmentStatus.ACTIVE, EnrollmentSource.MANUAL)
    db.session.commit()
    if not data.get("graduate"):
        community_access.enter(user, course)
        return
    certificates.issue_certificate(user, course)
    db.session.commit()
    specializations = tuple(
        code for code in data.get("specializations", ()) if code in SPECIALIZATIONS
    )
    directory.save_profile(
        user.id,
        directory.ProfileData(
            display_name=user.name,
            slug=directory.suggested_slug(user.name),
            headline=data.get("headline", ""),
            bio=data.get("intro", ""),
            city=data.get("city", ""),
            region=data.get("region", ""),
            languages=("it",),
            specializations=specializations,
            mentoring=bool(data.get("mentor")),
        ),
    )
    directory.set_published(user.id, True)
    community_access.enter(user, course)
    if data.get("mentor"):
        member = community_access.find_member(course.id, user.id)
        member.is_mentor = True
        member.mentor_since = utcnow()
        member.mentor_specializations = to_mask(specializations, SPECIALIZATIONS)
        member.mentor_intro = data.get("intro", "")
        db.session.commit()


def _viewer(email: str, course: Course) -> community_access.Viewer:
    user = db.session.scalar(select(User).where(User.email == email))
    return community_access.enter(user, course)


def _has_threads(course_id: int) -> bool:
    return (
        db.session.scalar(select(Thread.id).where(Thread.course_id == course_id).limit(1))
        is not None
    )
