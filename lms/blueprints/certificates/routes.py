"""The holder's own certificates: download, share link, LinkedIn."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user, login_required

from lms.models import utcnow
from lms.services import certificates, verification

bp = Blueprint("certificates", __name__, url_prefix="/certificates")


@bp.get("/")
@login_required
def mine():
    now = utcnow()
    items = []
    for certificate in certificates.holder_certificates(current_user.id):
        checked = verification.verify(certificate.code, now)
        items.append((checked, verification.linkedin_url(checked)))
    return render_template("certificates/mine.html", items=items)
