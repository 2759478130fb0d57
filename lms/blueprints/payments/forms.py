from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length, Optional

COUPON_MESSAGES = {
    "unknown": _l("This coupon code does not exist or is no longer active."),
    "expired": _l("This coupon has expired."),
    "used_up": _l("This coupon has been used the maximum number of times."),
    "other_course": _l("This coupon is not valid for this course."),
    "too_low": _l("This coupon cannot be used for this course."),
}

CARD_MESSAGES = {
    "card_declined": _l("The card was declined. Try another card."),
    "insufficient_funds": _l("The card has insufficient funds. Try another card."),
    "expired_card": _l("The card has expired. Try another card."),
    "use_test_card": _l("Test mode accepts only Stripe's test cards, such as 4242 4242 4242 4242."),
}


class BuyForm(FlaskForm):
    coupon = StringField(
        _l("Coupon code (optional)"),
        validators=[Optional(), Length(max=40)],
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
        render_kw={"autocomplete": "off", "autocapitalize": "characters"},
    )


class TestCardForm(FlaskForm):
    card_number = StringField(
        _l("Card number"),
        validators=[DataRequired(message=_l("Enter a card number.")), Length(max=25)],
        description=_l("4242 4242 4242 4242 pays; 4000 0000 0000 0002 is declined."),
        render_kw={"autocomplete": "cc-number", "inputmode": "numeric"},
    )
