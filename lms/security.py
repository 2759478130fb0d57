"""Security wiring of the app: headers and CSP, proxy trust, login loading, rate-limit storage."""

from __future__ import annotations

from flask import Flask, request, session
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from lms.extensions import limiter, login_manager, talisman
from lms.services import sessions

NO_STORE_ENDPOINTS = {"auth.reset_password", "auth.verify_email", "auth.login", "auth.signup"}

CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": ["'self'", "data:"],
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    # Buying posts to this site, which redirects to Stripe Checkout: browsers check that hop too.
    "form-action": ["'self'", "https://checkout.stripe.com"],
    "frame-ancestors": "'none'",
}


class IdConverter(IntegerConverter):
    """`<id:...>`: a database id; anything outside 1 .. 2**31-1 is a 404, never a database error."""

    def __init__(self, url_map, *args, **kwargs):
        super().__init__(url_map, min=1, max=2**31 - 1)


def init_security(app: Flask) -> None:
    app.url_map.converters["id"] = IdConverter
    hops = app.config["PROXY_FIX_HOPS"]
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]

    https = app.config["SESSION_COOKIE_SECURE"]
    talisman.init_app(
        app,
        force_https=False,  # the reverse proxy redirects; HSTS is sent on HTTPS requests
        strict_transport_security=True,
        strict_transport_security_max_age=63072000,
        content_security_policy=CONTENT_SECURITY_POLICY,
        frame_options="DENY",
        referrer_policy="strict-origin-when-cross-origin",
        session_cookie_secure=https,
        session_cookie_http_only=True,
        session_cookie_samesite="Lax",
        permissions_policy={
            "camera": "()",
            "microphone": "()",
            "geolocation": "()",
            "browsing-topics": "()",
        },
    )

    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to open this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = None  # sessions live server-side; see services.sessions
    limiter.init_app(app)

    @app.after_request
    def private_pages_are_not_cached(response):
        """Pages for a logged-in person, or holding a secret link, stay out of shared caches."""
        if current_user.is_authenticated or request.endpoint in NO_STORE_ENDPOINTS:
            response.headers["Cache-Control"] = "no-store"
        return response

    @login_manager.user_loader
    def load_user(user_id: str):
        try:
            return sessions.load_session_user(int(user_id), session.get("sid"))
        except ValueError:
            return None
