"""The roster's forms: the private note, and the search and filter read from the query string."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from lms.services.instructor_notes import MAX_LENGTH
from lms.services.roster import SEARCH_MAX, Show


class NoteForm(FlaskForm):
    body = TextAreaField(
        _l("Note"),
        description=_l("Only staff see notes: never the student. Plain text."),
        validators=[
            DataRequired(message=_l("Write the note.")),
            Length(
                max=MAX_LENGTH,
                message=_l("A note can be at most %(max)d characters long."),
            ),
        ],
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
        render_kw={"rows": 5},
    )


@dataclass(frozen=True)
class RosterArgs:
    """What the roster shows, as read from its query string: links carry it, so they share."""

    q: str = ""
    show: Show = Show.ALL
    page: int = 1

    def query(self, **changes) -> dict[str, str | int]:
        """The query string's arguments for url_for, with `changes`, leaving out defaults."""
        values = {"q": self.q, "show": self.show.value, "page": self.page, **changes}
        defaults = {"q": "", "show": Show.ALL.value, "page": 1}
        return {key: value for key, value in values.items() if value != defaults[key]}


def roster_args(args: MultiDict) -> RosterArgs:
    """Anything unknown or malformed falls back to its default: a stale link still opens."""
    try:
        show = Show(args.get("show", Show.ALL.value))
    except ValueError:
        show = Show.ALL
    page = args.get("page", "1")
    return RosterArgs(
        q=args.get("q", "").strip()[:SEARCH_MAX],
        show=show,
        page=int(page) if page.isdigit() and 0 < len(page) < 7 else 1,
    )
