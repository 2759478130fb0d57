"""A whole course as one ZIP, out of this installation and into another."""

from __future__ import annotations

from io import BytesIO

from flask import abort, current_app, flash, redirect, render_template, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from lms.blueprints.course_archive.forms import ImportForm
from lms.blueprints.studio.access import studio_blueprint
from lms.extensions import client_ip
from lms.services import catalog, course_archive, photos
from lms.services import course_archive_format as archive_format
from lms.services.course_archive_format import ArchiveRefused

bp = studio_blueprint("course_archive", __name__)

MEGABYTE = 1024 * 1024

# Why an archive was refused, keyed by the reason's code; each gets the refusal's detail.
REFUSALS = {
    "not_a_zip": lambda _d: _("This file is not a ZIP archive, or it is damaged."),
    "encrypted": lambda _d: _("The ZIP is protected by a password: export the course again."),
    "too_large": lambda _d: _(
        "The archive is too large once unpacked: at most %(file)d MB a file, %(total)d MB in all.",
        file=archive_format.MAX_FILE_BYTES // MEGABYTE,
        total=archive_format.MAX_TOTAL_BYTES // MEGABYTE,
    ),
    "too_many_files": lambda _d: _(
        "The archive holds too many files (at most %(num)d).", num=archive_format.MAX_ENTRIES
    ),
    "unsafe_path": lambda d: _("The archive holds a file with an unsafe name: %(name)s.", name=d),
    "duplicate_name": lambda d: _("The archive holds the name %(name)s twice.", name=d),
    "no_manifest": lambda _d: _("The ZIP has no manifest.json: it is not a course export."),
    "unsupported_format": lambda _d: _("The ZIP's manifest.json is not a course archive's."),
    "unsupported_version": lambda d: _(
        "This archive has version %(version)s; this site reads version 1.", version=d
    ),
    "bad_manifest": lambda d: _("The manifest is not valid at %(where)s.", where=d),
    "missing_file": lambda d: _("The manifest names a file the ZIP lacks: %(path)s.", path=d),
    "damaged_file": lambda d: _("A file in the ZIP is damaged: %(path)s.", path=d),
    "not_utf8": lambda d: _("%(path)s is not UTF-8 text.", path=d),
    "bad_cover": lambda _d: _(
        "The cover must be a JPEG, PNG or WebP picture of at least 320 pixels on its short "
        "side, up to %(size)d MB.",
        size=photos.MAX_BYTES // MEGABYTE,
    ),
}


def _upload_limit() -> int:
    """The largest archive the page takes: the service's limit, or the site's upload limit."""
    site_limit = current_app.config.get("MAX_CONTENT_LENGTH") or archive_format.MAX_ARCHIVE_BYTES
    return min(archive_format.MAX_ARCHIVE_BYTES, site_limit)


@bp.route("/import", methods=["GET", "POST"])
def import_page():
    form = ImportForm()
    form.archive.description = _(
        "A ZIP exported from a course, up to %(size)d MB (the operator can import a larger one "
        "with “flask lms import-course”).",
        size=_upload_limit() // MEGABYTE,
    )
    if form.validate_on_submit():
        try:
            course = course_archive.import_course(
                form.archive.data.stream, current_user, client_ip(), slug=form.slug.data or None
            )
        except ArchiveRefused as refused:
            _show_refusal(form, refused)
        else:
            flash(
                _(
                    "Course “%(title)s” imported as %(slug)s, as a draft: publish it when it is "
                    "ready.",
                    title=course.title,
                    slug=course.slug,
                ),
                "success",
            )
            return redirect(url_for("authoring.content", slug=course.slug))
    status = 400 if form.errors else 200
    return render_template("course_archive/index.html", form=form), status


def _show_refusal(form: ImportForm, refused: ArchiveRefused) -> None:
    """Put the reason beside the field it is about; offer a free slug when the slug is taken."""
    if refused.code == "slug_taken":
        if not form.slug.data:
            form.slug.data = refused.suggestion
        form.slug.errors = [
            _(
                "A course here already has this slug. Choose another, like %(slug)s, "
                "and choose the file again.",
                slug=refused.suggestion,
            )
        ]
    elif refused.code == "bad_slug":
        form.slug.errors = [_("Use lower-case letters, digits and dashes, like my-course.")]
    else:
        message = REFUSALS.get(refused.code)
        form.archive.errors = [
            message(refused.detail)
            if message
            else _("The archive was refused (%(reason)s).", reason=refused.reason)
        ]


@bp.get("/courses/<slug>/export.zip")
def export(slug: str):
    course = catalog.find_course(slug, include_drafts=True)
    if course is None:
        abort(404)
    try:
        data = course_archive.export_course(course.id, actor=current_user, ip=client_ip())
    except ArchiveRefused as refused:
        flash(
            _("Not exported: the file %(name)s is missing on the server.", name=refused.detail),
            "error",
        )
        return redirect(url_for("course_archive.import_page"))
    return send_file(
        BytesIO(data),
        mimetype="application/zip",
        as_attachment=True,
        download_name=f"{course.slug}.zip",
        max_age=0,
    )
