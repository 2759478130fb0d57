from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.validators import AnyOf


class LanguageForm(FlaskForm):
    """The footer's language buttons: each one submits its own `lang` value."""

    lang = StringField(_l("Language"), validators=[AnyOf(["it", "en"])])
    next = HiddenField()
