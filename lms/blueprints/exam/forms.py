from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField
from wtforms.validators import DataRequired


class PledgeForm(FlaskForm):
    accept = BooleanField(
        _l("I have read the code of ethics and I accept the pledge above."),
        validators=[DataRequired(message=_l("Tick the box to accept the pledge."))],
    )
