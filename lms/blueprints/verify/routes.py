"""Public verification: the page, its JSON, the signed credential, the PDF, keys and status lists.

These URLs are a contract (printed on certificates): never change them.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from lms.blueprints.verify.forms import CodeForm, UploadForm
from lms.extensions import limiter
from lms.models import utcnow
from lms.services import (
    certificate_pdf,
    certificates,
    credentials,
    issuer_keys,
    status_lists,
    verification,
)

bp = Blueprint("verify", __name__)

MAX_UPLOAD_BYTES = 10 * 1024 * 1024


def _lookup_limit() -> str:
    return current_app.config["VERIFY_LIMIT_PER_IP"]


def _upload_limit() -> str:
    return current_app.config["VERIFY_UPLOAD_LIMIT_PER_IP"]


lookups = limiter.shared_limit(_lookup_limit, scope="verify")


def _public(response):
    """Anyone may read these from any origin; the status must never come from a cache."""
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/verify")
@lookups
def lookup():
    form = CodeForm(request.args)
    if request.args and form.validate():
        code = certificates.display_code(certificates.normalize_code(form.code.data))
        return redirect(url_for("verify.certificate", code=code))
    return render_template(
        "verify/lookup.html",
        form=form if request.args else CodeForm(formdata=None),
        upload_form=UploadForm(formdata=None),
    )


@bp.post("/verify")
@limiter.limit(_upload_limit)
def upload():
    form = UploadForm()
    if form.validate_on_submit():
        digest = verification.fingerprint(form.document.data.stream, MAX_UPLOAD_BYTES)
        if digest is not None:
            return render_template(
                "verify/upload_result.html",
                found=verification.verify_document(digest, utcnow()),
                sha256=digest,
            )
        form.document.errors.append(
            _("The file is larger than 10 MB: a certificate PDF is much smaller.")
        )
    status = 413 if form.document.errors and form.document.data else 400
    return render_template(
        "verify/lookup.html", form=CodeForm(formdata=None), upload_form=form
    ), status


@bp.get("/verify/<code>")
@lookups
def certificate(code: str):
    canonical = certificates.normalize_code(code)
    if canonical is not None and code != certificates.display_code(canonical):
        return redirect(
            url_for("verify.certificate", code=certificates.display_code(canonical)), code=301
        )
    checked = verification.verify(code, utcnow())
    if checked is None:
        return render_template("verify/not_found.html", code=code[:40]), 404
    is_holder = current_user.is_authenticated and current_user.id == checked.certificate.user_id
    return _public(
        current_app.make_response(
            render_template(
                "verify/certificate.html",
                v=checked,
                linkedin_url=verification.linkedin_url(checked)
                if is_holder and checked.status.value == "valid"
                else None,
                is_holder=is_holder,
            )
        )
    )


@bp.get("/verify/<code>.json")
@lookups
def certificate_json(code: str):
    checked = verification.verify(code, utcnow())
    if checked is None:
        return _public(jsonify(status="not_found", code=code[:40])), 404
    return _public(jsonify(verification.as_json(checked)))


@bp.get("/verify/<code>.jwt")
@lookups
def certificate_jwt(code: str):
    found = certificates.find_by_code(code)
    if found is None:
        abort(404)
    return _public(
        current_app.response_class(found.credential_jwt, mimetype=credentials.MEDIA_TYPE)
    )


@bp.get("/verify/<code>.pdf", endpoint="certificate_pdf")
@lookups
def certificate_pdf_file(code: str):
    found = certificates.find_by_code(code)
    if found is None:
        abort(404)
    if found.revoked_at is not None or found.suspended_at is not None:
        abort(410)  # no clean PDF of a revoked or suspended certificate: see its page
    _document, path = certificate_pdf.ensure_pdf(found)
    return send_file(
        path,
        mimetype="application/pdf",
        as_attachment=request.args.get("download") == "1",
        download_name=f"certificate-{found.display_code}.pdf",
        max_age=0,
    )


@bp.get("/.well-known/did.json")
@bp.get("/did.json")
def did_document():
    return _public(jsonify(issuer_keys.did_document()))


@bp.get("/status/<any(revocation, suspension):purpose>/<int:list_number>")
def status_list(purpose: str, list_number: int):
    token = status_lists.signed_list(purpose, list_number)
    if token is None:
        abort(404)
    return _public(current_app.response_class(token, mimetype=credentials.MEDIA_TYPE))
