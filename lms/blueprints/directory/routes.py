"""The public directory of certified graduates, their profiles, and messages from clients.

`/directory/` and `/directory/<slug>` are a contract (DESIGN.md): never change them.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup

from lms.blueprints.directory import display, listing
from lms.blueprints.directory.forms import (
    ContactForm,
    ProfileForm,
    VisibilityForm,
    filters_from,
    form_data,
    new_contact_token,
    profile_data,
)
from lms.extensions import client_ip, limiter
from lms.models import utcnow
from lms.services import catalog, directory, directory_search, photos
from lms.services.links import external_url

bp = Blueprint("directory", __name__)


def _search_limit() -> str:
    return current_app.config["DIRECTORY_SEARCH_LIMIT_PER_IP"]


def _contact_limit_ip() -> str:
    return current_app.config["DIRECTORY_CONTACT_LIMIT_PER_IP"]


def _contact_limit_profile() -> str:
    return current_app.config["DIRECTORY_CONTACT_LIMIT_PER_PROFILE"]


def _contact_attempts_ip() -> str:
    return current_app.config["DIRECTORY_CONTACT_ATTEMPTS_PER_IP"]


def _profile_key() -> str:
    return "profile:" + (request.view_args or {}).get("slug", "")


def _message_stored(_response) -> bool:
    """Only a stored message uses up a limit: typing mistakes and bots cost a client nothing."""
    return g.get("contact_stored", False)


@bp.get("/directory/")
@limiter.limit(_search_limit)
def index():
    now = utcnow()
    page = request.args.get("page", 1, type=int) or 1
    key = (directory_search.listing_state(now), display.query_key(request.args, page))
    results, listing_html = listing.kept_page(key, lambda: _listing(page, now))
    return render_template("directory/index.html", results=results, listing_html=listing_html)


def _listing(page: int, now) -> tuple[directory_search.Results, Markup]:
    """The results region: facets, cards and pages, the same for every visitor."""
    filters = filters_from(request.args)
    results = directory_search.search(
        request.args.get("q", "")[:200].strip(),
        filters,
        request.args.get("sort", "relevance"),
        page,
        now,
    )
    html = render_template(
        "directory/_results.html",
        results=results,
        active_filters=filters.count,
        groups=listing.facet_groups(results, filters, request.args),
        cards=listing.card_views(results),
        display=display,
    )
    return results, Markup(html)  # noqa: S704 - rendered by our own autoescaped template


@bp.get("/directory/<slug>")
@limiter.limit(_search_limit)
def profile(slug: str):
    return _show_profile(slug, ContactForm(slug, formdata=None, token=new_contact_token(slug)))


def _show_profile(slug: str, form: ContactForm, status: int = 200):
    now = utcnow()
    found = directory.public_profile(slug, now)
    if found is None:
        own = current_user.is_authenticated and directory.profile_of(current_user.id)
        if not own or own.slug != slug:
            abort(404)
        found = (own, current_user)  # the owner previews a page nobody else can see
    profile, _user = found
    response = current_app.make_response(
        (
            render_template(
                "directory/profile.html",
                profile=profile,
                certificate=directory.listing_certificate(profile.user_id, now),
                is_public=profile.listed_at(now),
                form=form,
                display=display,
                now=now,
            ),
            status,
        )
    )
    response.headers["Cache-Control"] = "no-store"  # a form token used once must not come back
    return response


@bp.post("/directory/<slug>")
@limiter.limit(_contact_attempts_ip)
@limiter.limit(_contact_limit_ip, deduct_when=_message_stored)
@limiter.limit(_contact_limit_profile, key_func=_profile_key, deduct_when=_message_stored)
def contact(slug: str):
    form = ContactForm(slug)
    if not form.validate_on_submit():
        return _show_profile(slug, form, 400)
    if form.looks_automated:  # a bot filled the trap: it is told what a person would be told
        return redirect(url_for("directory.contact_sent", slug=slug))
    if form.opened_seconds < current_app.config["DIRECTORY_CONTACT_MIN_SECONDS"]:
        form.form_errors.append(
            _("That was very quick: please read your message once more, then send it.")
        )
        return _show_profile(slug, form, 400)
    try:
        g.contact_stored = directory.send_message(
            slug,
            form.sender_name.data,
            form.sender_email.data,
            form.subject.data,
            form.body.data,
            form.submission_id,
            client_ip(),
            utcnow(),
        )
    except directory.ProfileRefused as error:
        if error.reason != "form_used":
            abort(404)
        form.token.data = new_contact_token(slug)
        form.form_errors.append(
            _("This form already sent another message: check this one and send it again.")
        )
        return _show_profile(slug, form, 400)
    return redirect(url_for("directory.contact_sent", slug=slug))


@bp.get("/directory/<slug>/sent")
def contact_sent(slug: str):
    if directory.public_profile(slug, utcnow()) is None:
        abort(404)
    return render_template("directory/sent.html", slug=slug)


@bp.get("/directory/photos/<name>")
def photo(name: str):
    """Only the photo of a listed profile, or your own: opting out hides the picture too."""
    viewer = current_user.id if current_user.is_authenticated else None
    if not photos.is_photo_name(name) or not directory.photo_visible(name, viewer, utcnow()):
        abort(404)
    response = send_from_directory(photos.photo_dir(), name, mimetype="image/webp", max_age=0)
    response.headers["Cache-Control"] = "no-cache"  # revalidated, so a hidden one stops showing
    return response


@bp.route("/account/profile", methods=["GET", "POST"])
@login_required
def edit():
    existing = directory.profile_of(current_user.id)
    form = ProfileForm(data=form_data(existing, current_user.name))
    if form.validate_on_submit():
        try:
            photo = photos.store_photo(form.photo.data.stream) if form.photo.data else None
            directory.save_profile(
                current_user.id, profile_data(form), photo, bool(form.remove_photo.data)
            )
        except photos.PhotoRefused as error:
            form.photo.errors.append(display.photo_message(error.reason))
        except directory.ProfileRefused:
            form.slug.errors.append(_("This address is taken: choose another one."))
        else:
            flash(_("Your profile is saved."), "success")
            return redirect(url_for("directory.edit"))
    return render_template(
        "directory/edit.html",
        form=form,
        profile=existing,
        visibility_form=VisibilityForm(),
        certified=directory.is_certified(current_user.id, utcnow()),
        display=display,
    ), 400 if form.errors else 200


@bp.post("/account/profile/visibility")
@login_required
def visibility():
    form = VisibilityForm()
    if form.validate_on_submit():
        publish = form.publish.data == "1"
        try:
            directory.set_published(current_user.id, publish)
        except directory.ProfileRefused as error:
            flash(display.visibility_message(error.reason), "error")
        else:
            flash(
                _("Your profile is in the directory.")
                if publish
                else _("Your profile is hidden from the directory."),
                "success",
            )
    return redirect(url_for("directory.edit"))


@bp.get("/account/messages")
@login_required
def messages():
    items, page, pages = directory.messages_for(
        current_user.id, request.args.get("page", 1, type=int) or 1
    )
    unread = [message.id for message in items if message.read_at is None]
    directory.mark_read(current_user.id, unread, utcnow())
    return render_template(
        "directory/messages.html",
        items=items,
        unread=set(unread),
        pages=pages,
        page=page,
    )


SITEMAP_CHUNK = 10_000


@bp.get("/robots.txt")
def robots():
    body = "User-agent: *\nDisallow: /account/\nDisallow: /studio/\nSitemap: {}\n".format(
        external_url("directory.sitemap")
    )
    return current_app.response_class(body, mimetype="text/plain")


@bp.get("/sitemap.xml")
def sitemap():
    """A sitemap index: the public pages, then the listed profiles in chunks of ids."""
    return _xml(
        "directory/sitemap_index.xml",
        chunks=range(directory.sitemap_chunks(SITEMAP_CHUNK)),
    )


@bp.get("/sitemaps/pages.xml")
def sitemap_pages():
    return _xml("directory/sitemap_pages.xml", courses=catalog.published_courses())


@bp.get("/sitemaps/profiles-<int:chunk>.xml")
def sitemap_profiles(chunk: int):
    if chunk >= directory.sitemap_chunks(SITEMAP_CHUNK):
        abort(404)
    return _xml(
        "directory/sitemap_profiles.xml",
        profiles=directory.sitemap_chunk(chunk, SITEMAP_CHUNK, utcnow()),
    )


def _xml(template: str, **context):
    response = current_app.make_response(render_template(template, **context))
    response.mimetype = "application/xml"
    return response
