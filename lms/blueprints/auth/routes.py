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
from lms.services import accounts, sessions

bp = Blueprint("auth", __name__)


def _failed(response) -> bool:
    """Only answers that did not log anyone in count against the login limits."""
    return response.status_code != 302


def _account_key() -> str:
    return "login-account:" + accounts.normalize_email(request.form.get("email", ""))


def _login_ip_limit() -> str:
    return current_app.config["LOGIN_LIMIT_PER_IP"]


def _login_account_limit() -> str:
    return current_app.config["LOGIN_LIMIT_PER_ACCOUNT"]


def _email_limit() -> str:
    return current_app.config["EMAIL_LIMIT_PER_IP"]


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


@bp.get("/verify-email/<token>")
def verify_email(token: str):
    try:
        user = accounts.verify_email(token, client_ip())
    except accounts.InvalidToken:
        return render_template("auth/link_invalid.html"), 400
    if not current_user.is_authenticated or current_user.id != user.id:
        _start_browser_session(user, accounts.log_in(user, client_ip(), request.user_agent.string))
    flash(_("Your email address is confirmed. Welcome!"), "success")
    return redirect(url_for("main.home"))


@bp.post("/verify-email/resend")
@login_required
@limiter.limit(_email_limit)
def resend_verification():
    if forms.EmptyForm().validate_on_submit():
        accounts.resend_verification(current_user)
        flash(_("We sent you a new confirmation link."), "success")
    return redirect(safe_next_url(request.form.get("next")))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_ip_limit, methods=["POST"], deduct_when=_failed)
@limiter.limit(_login_account_limit, key_func=_account_key, methods=["POST"], deduct_when=_failed)
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
            _start_browser_session(
                user, accounts.log_in(user, client_ip(), request.user_agent.string)
            )
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
    if not accounts.check_reset_token(token):
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
def change_password():
    form = forms.ChangePasswordForm(current_user)
    if form.validate_on_submit():
        try:
            session_id = accounts.change_password(
                current_user,
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
    return render_template("auth/account.html")
