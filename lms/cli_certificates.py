"""`flask lms ...` commands for certificates, signing keys and status lists.

Added to the `lms` group by `lms.cli`; each runs inside the application context.
"""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from lms.models import Certificate
from lms.services import (
    accounts,
    catalog,
    certificate_pdf,
    certificates,
    issuer_keys,
    status_lists,
)


def _certificate(code: str) -> Certificate:
    found = certificates.find_by_code(code)
    if found is None:
        raise click.ClickException(f"no certificate has the code {code}")
    return found


@click.command("issue-certificate")
@with_appcontext
@click.option("--email", required=True, help="The student's account email.")
@click.option("--course", "course_slug", required=True, help="The course slug.")
@click.option("--reason", required=True, help="Why it is issued by hand (audited).")
def issue_certificate(email: str, course_slug: str, reason: str) -> None:
    """Issue a certificate by hand (same rules as an exam pass: an existing valid one is kept)."""
    user = accounts.find_user_by_email(email)
    course = catalog.find_course(course_slug, include_drafts=True)
    if user is None or course is None:
        raise click.ClickException("no such student or course")
    try:
        certificate = certificates.issue_by_instructor(None, user, course, reason)
    except certificates.CertificateRefused as refused:
        raise click.ClickException(
            "this student's certificate is revoked: reinstate it instead"
        ) from refused
    click.echo(f"Certificate {certificate.display_code} (edition {certificate.edition}).")


def _status_command(name: str, action: certificates.Action, help_text: str) -> click.Command:
    @click.command(name, help=help_text)
    @with_appcontext
    @click.argument("code")
    @click.option("--reason", required=True, help="Shown on the verification page (audited).")
    def command(code: str, reason: str) -> None:
        certificate = certificates.change_status(None, _certificate(code).id, action, reason, None)
        click.echo(f"{certificate.display_code}: {action.value} done.")

    return command


@click.command("render-certificates")
@with_appcontext
def render_certificates() -> None:
    """Render the PDF of every certificate that has none yet."""
    rendered, failed = certificate_pdf.render_missing()
    click.echo(f"{rendered} PDF rendered")
    if failed:
        raise click.ClickException(f"not rendered (see the log): {', '.join(failed)}")


@click.command("rotate-issuer-key")
@with_appcontext
@click.option("--retire", help="Also stop publishing this old key (e.g. key-1) and re-sign.")
def rotate_issuer_key(retire: str | None) -> None:
    """Sign from now on with a new key; old keys stay published unless retired."""
    key = issuer_keys.rotate()
    click.echo(f"Signing key is now {key.fragment}.")
    if retire:
        try:
            issuer_keys.check_retirable(retire)
        except (LookupError, ValueError) as error:
            raise click.ClickException(f"cannot retire {retire}: {error}") from error
        # Re-sign first: until then, the old key must still be published to verify them.
        click.echo(f"{certificates.resign_credentials_of(retire)} credentials re-signed.")
        issuer_keys.retire(retire)
    click.echo(f"{status_lists.resign_all()} status lists re-signed.")


@click.command("refresh-status-lists")
@with_appcontext
def refresh_status_lists() -> None:
    """Re-sign every status list (daily from cron: each one is valid for a few days only)."""
    click.echo(f"{status_lists.resign_all()} status lists re-signed.")


@click.command("set-certificate-signature")
@with_appcontext
@click.option("--course", "course_slug", required=True)
@click.argument("image", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def set_certificate_signature(course_slug: str, image: Path) -> None:
    """Store the signature image printed on the course's certificates (PNG or JPEG, re-encoded)."""
    course = catalog.find_course(course_slug, include_drafts=True)
    if course is None:
        raise click.ClickException(f"no course with slug {course_slug}")
    try:
        certificate_pdf.store_signature(course.id, image.read_bytes())
    except ValueError as error:
        raise click.ClickException(f"not a usable image: {error}") from error
    click.echo(f"Signature stored for {course.slug}.")


COMMANDS = (
    issue_certificate,
    _status_command("revoke-certificate", certificates.Action.REVOKE, "Revoke a certificate."),
    _status_command(
        "suspend-certificate", certificates.Action.SUSPEND, "Suspend a certificate for a time."
    ),
    _status_command("reinstate-certificate", certificates.Action.REINSTATE, "Undo a revocation."),
    _status_command("unsuspend-certificate", certificates.Action.UNSUSPEND, "Lift a suspension."),
    render_certificates,
    rotate_issuer_key,
    refresh_status_lists,
    set_certificate_signature,
)
