"""The words for the reasons the authoring services give when they refuse a change."""

from __future__ import annotations

from flask_babel import gettext as _


def course_refused(reason: str) -> str:
    return {
        "slug_taken": lambda: _("Another course already has this address: choose another."),
        "nothing_to_publish": lambda: _(
            "Add at least one lesson that is not a draft before publishing."
        ),
        "unknown_design": lambda: _("Choose one of the certificate designs listed."),
    }[reason]()


def content_refused(reason: str) -> str:
    return {
        "slug_taken": lambda: _("Another lesson of this course has this address: choose another."),
        "module_not_empty": lambda: _(
            "Move or delete this module's lessons first: a module is deleted only when empty."
        ),
        "lesson_has_progress": lambda: _(
            "Students have opened this lesson: it cannot be deleted (their progress counts). "
            "Make it a draft to hide it."
        ),
        "lesson_has_quiz": lambda: _(
            "Students have taken this lesson's quiz: it cannot be deleted. "
            "Make it a draft to hide it."
        ),
        "bad_order": lambda: _(
            "The course changed since this page was opened: reload it and move the items again."
        ),
        "too_large": lambda: _("The file is too large: at most 15 MB."),
        "empty_file": lambda: _("The file is empty."),
    }[reason]()


def photo_refused(reason: str) -> str:
    return {
        "not_an_image": lambda: _("This file is not a JPEG, PNG or WebP picture."),
        "too_large": lambda: _("The picture is too large: at most 5 MB."),
        "too_many_pixels": lambda: _("The picture has too many pixels: at most 24 megapixels."),
        "too_small": lambda: _("The picture is too small: at least 320 pixels on its short side."),
    }[reason]()
