"""Friendly error pages; no traceback ever reaches a visitor."""

from __future__ import annotations

import logging

from flask import Flask, render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from lms.extensions import db

log = logging.getLogger(__name__)

PAGES = {400, 403, 404, 405, 413, 429, 500}


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        return render_template("errors/csrf.html"), 400

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        code = error.code or 500
        template = f"errors/{code}.html" if code in PAGES else "errors/generic.html"
        response = error.get_response()
        response.set_data(render_template(template, error=error))
        response.content_type = "text/html; charset=utf-8"
        return response

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        log.exception("unhandled error")
        db.session.rollback()
        return render_template("errors/500.html", error=InternalServerError()), 500
