"""Home page, language switch and the health check."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, redirect, render_template, session
from flask_login import current_user

from lms.blueprints.main.forms import LanguageForm
from lms.blueprints.main.navigation import safe_next_url
from lms.extensions import limiter
from lms.services import accounts, catalog, health

bp = Blueprint("main", __name__)


@bp.get("/")
def home():
    return render_template("main/home.html", courses=catalog.published_courses())


@bp.post("/language")
def set_language():
    form = LanguageForm()
    if form.validate_on_submit():
        session["lang"] = form.lang.data
        if current_user.is_authenticated:
            accounts.set_locale(current_user.id, form.lang.data)
    return redirect(safe_next_url(form.next.data))


@bp.get("/healthz")
@limiter.exempt
def healthz():
    database_ok = health.database_reachable()
    body = {
        "status": "ok" if database_ok else "error",
        "database": "ok" if database_ok else "unreachable",
    }
    return jsonify(body), 200 if database_ok else 503


@bp.app_context_processor
def inject_language_form():
    return {"language_form": LanguageForm, "languages": current_app.config["LANGUAGES"]}
