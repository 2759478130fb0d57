"""Sign up, log in and out, verify the email address, forgot / reset / change password."""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from lms.blueprints.auth import forms
from lms.blueprints.main.navigation import safe_next_url
from lms.extensions import client_ip, limiter
from lms.i18n import select_locale
from lms.models import TokenPurpose
from lms.services import accounts, directory, enrollment, sessions

bp = Blueprint("auth", __name__)


def _account_key() -> str:
    """Every attempt on an account counts before its password is checked, however it is spelled."""
    return "login-account:" + accounts.normalize_email(request.form.get("email", ""))


def _address_key() -> str:
    return "email-address:" + accounts.normalize_email(request.form.get("email", ""))


def _user_key() -> str:
    return f"user:{current_user.get_id()}"


def _login_ip_limit() -> str:
    return current_app.config["LOGIN_LIMIT_PER_IP"]


def _login_account_limit() -> str:
    return current_app.config["LOGIN_LIMIT_PER_ACCOUNT"]


def _email_limit() -> str:
    return current_app.config["EMAIL_LIMIT_PER_IP"]


def _address_limit() -> str:
    return current_app.config["EMAIL_LIMIT_PER_ADDRESS"]


def _start_browser_session(user, session_id: str) -> None:
    """A fresh cookie for a new login: nothing from before the login is carried over."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    session["sid"] = session_id
    session.permanent = True
    login_user(user)


@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit(_email_limit, methods=["POST"])
def signup():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = forms.SignupForm()
    if form.validate_on_submit():
        try:
            accounts.register(
                form.name.data, form.email.data, form.password.data, select_locale(), client_ip()
            )
        except accounts.PasswordRejected as error:
            form.password.errors.append(forms.password_message(error.reason))
        else:
            session["check_email"] = accounts.normalize_email(form.email.data)
            return redirect(url_for("auth.check_email"))
    return render_template("auth/signup.html", form=form)


@bp.get("/signup/check-email")
def check_email():
    return render_template("auth/check_email.html", email=session.get("check_email"))


@bp.route("/verify-email/<token>", methods=["GET", "POST"])
def verify_email(token: str):
    """GET only shows a button: mail scanners that open links must not use them up."""
    if not accounts.token_is_valid(token, TokenPurpose.VERIFY_EMAIL):
        return render_template("auth/link_invalid.html"), 400
    form = forms.EmptyForm()
    if not form.validate_on_submit():
        return render_template("auth/verify_email.html", form=form)
    try:
        user = accounts.verify_email(token, client_ip())
    except accounts.InvalidToken:
        return render_template("auth/link_invalid.html"), 400
    if current_user.is_authenticated and current_user.id != user.id:
        flash(
            _("The address is confirmed. To use that account, log out and log in with it."), "info"
        )
        return redirect(url_for("main.home"))
    if not current_user.is_authenticated:
        _start_browser_session(
            user, accounts.open_session(user.id, client_ip(), request.user_agent.string)
        )
    flash(_("Your email address is confirmed. Welcome!"), "success")
    return redirect(url_for("main.home"))


@bp.post("/verify-email/resend")
@login_required
@limiter.limit(_email_limit)
@limiter.limit(_address_limit, key_func=_user_key)
def resend_verification():
    if forms.EmptyForm().validate_on_submit():
        accounts.resend_verification(current_user.id)
        flash(_("We sent you a new confirmation link."), "success")
    return redirect(safe_next_url(request.form.get("next")))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_ip_limit, methods=["POST"])
@limiter.limit(_login_account_limit, key_func=_account_key, methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = forms.LoginForm()
    if form.validate_on_submit():
        try:
            user = accounts.authenticate(form.email.data, form.password.data)
        except accounts.InvalidCredentials:
            accounts.record_failed_login(form.email.data, client_ip())
            form.form_errors.append(_("Email or password is not correct."))
        else:
            user, session_id = accounts.log_in(
                user.id, form.password.data, client_ip(), request.user_agent.string
            )
            _start_browser_session(user, session_id)
            return redirect(safe_next_url(request.args.get("next")))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
def logout():
    if forms.EmptyForm().validate_on_submit():
        sessions.end_session(session.get("sid"))
        logout_user()
        session.clear()
        flash(_("You have logged out."), "info")
    return redirect(url_for("main.home"))


@bp.route("/forgot-password", methods=["GET", "POST"])
@limiter.limit(_email_limit, methods=["POST"])
@limiter.limit(_address_limit, key_func=_address_key, methods=["POST"])
def forgot_password():
    form = forms.ForgotPasswordForm()
    if form.validate_on_submit():
        accounts.request_password_reset(form.email.data, client_ip())
        session["check_email"] = accounts.normalize_email(form.email.data)
        return redirect(url_for("auth.reset_sent"))
    return render_template("auth/forgot_password.html", form=form)


@bp.get("/forgot-password/sent")
def reset_sent():
    return render_template("auth/reset_sent.html", email=session.get("check_email"))


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    if not accounts.token_is_valid(token, TokenPurpose.RESET_PASSWORD):
        return render_template("auth/link_invalid.html"), 400
    form = forms.ResetPasswordForm()
    if form.validate_on_submit():
        try:
            user, session_id = accounts.reset_password(
                token, form.password.data, client_ip(), request.user_agent.string
            )
        except accounts.InvalidToken:
            return render_template("auth/link_invalid.html"), 400
        except accounts.PasswordRejected as error:
            form.password.errors.append(forms.password_message(error.reason))
        else:
            _start_browser_session(user, session_id)
            flash(
                _("Your new password is set. Every other session has been logged out."), "success"
            )
            return redirect(url_for("main.home"))
    return render_template("auth/reset_password.html", form=form)


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
@limiter.limit(_login_account_limit, key_func=_user_key, methods=["POST"])
def change_password():
    form = forms.ChangePasswordForm(current_user)
    if form.validate_on_submit():
        try:
            session_id = accounts.change_password(
                current_user.id,
                form.current_password.data,
                form.password.data,
                client_ip(),
                request.user_agent.string,
            )
        except accounts.InvalidCredentials:
            form.current_password.errors.append(_("The current password is not correct."))
        except accounts.PasswordRejected as error:
            form.password.errors.append(forms.password_message(error.reason))
        else:
            _start_browser_session(current_user._get_current_object(), session_id)
            flash(_("Password changed. Every other session has been logged out."), "success")
            return redirect(url_for("auth.account"))
    return render_template("auth/change_password.html", form=form)


@bp.get("/account")
@login_required
def account():
    return render_template(
        "auth/account.html",
        courses=enrollment.active_courses(current_user.id),
        unread_messages=directory.unread_count(current_user.id),
    )
