"""What the public sees of the courses: the catalog and each course's syllabus."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from lms.extensions import db
from lms.models import Course, Lesson, Module


def published_courses() -> Sequence[Course]:
    """Courses for the catalog cards: modules are loaded to count them, lesson bodies are not."""
    return db.session.scalars(
        select(Course)
        .where(Course.is_published.is_(True))
        .options(selectinload(Course.modules).load_only(Module.id, Module.course_id))
        .order_by(Course.created_at, Course.id)
    ).all()


def find_course(slug: str, *, include_drafts: bool = False) -> Course | None:
    """The course row alone: for pages that need neither its modules nor its lessons."""
    query = select(Course).where(Course.slug == slug)
    if not include_drafts:
        query = query.where(Course.is_published.is_(True))
    return db.session.scalar(query)


def course_with_syllabus(slug: str, *, include_drafts: bool = False) -> Course | None:
    query = (
        select(Course)
        .where(Course.slug == slug)
        .options(
            selectinload(Course.modules).selectinload(
                Module.lessons.and_(Lesson.is_draft.is_(False))
            )
        )
    )
    if not include_drafts:
        query = query.where(Course.is_published.is_(True))
    return db.session.scalar(query)


def syllabus(course: Course) -> list[Module]:
    """The modules students will see: those with a published lesson (drafts are not loaded)."""
    return [module for module in course.modules if module.lessons]


def syllabus_totals(course: Course) -> dict[str, int]:
    modules = syllabus(course)
    lessons = [lesson for module in modules for lesson in module.lessons]
    return {
        "modules": len(modules),
        "lessons": len(lessons),
        "minutes": sum(lesson.minutes for lesson in lessons),
    }


def all_courses() -> Sequence[Course]:
    """Every course, drafts included, for the staff."""
    return db.session.scalars(select(Course).order_by(Course.created_at, Course.id)).all()


def cover_visible(name: str, *, include_drafts: bool = False) -> bool:
    query = select(Course.id).where(Course.cover_image == name)
    if not include_drafts:
        query = query.where(Course.is_published.is_(True))
    return db.session.scalar(query) is not None
