"""`flask lms ...`: the operator's commands."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from lms.cli_certificates import COMMANDS as CERTIFICATE_COMMANDS
from lms.cli_scale import COMMANDS as SCALE_COMMANDS
from lms.models import Role
from lms.services import accounts, catalog, coupons, course_archive, demo, mail, orders
from lms.services.errors import DomainError
from lms.services.passwords import password_problem

lms_cli = AppGroup("lms", help="Course platform commands.")
log = logging.getLogger(__name__)


def register(app: Flask) -> None:
    for command in (*CERTIFICATE_COMMANDS, *SCALE_COMMANDS):
        lms_cli.add_command(command)
    app.cli.add_command(lms_cli)


def _print_demo_logins() -> None:
    working = demo.working_demo_logins()
    if not working:
        return
    click.echo("\nDemo logins (change these passwords on a real installation):")
    for login in working:
        click.echo(f"  {login.role.value:<10} {login.email:<24} {login.password}")
    click.echo("")


@lms_cli.command("seed-demo")
@click.option("--if-empty", is_flag=True, help="Only when the database has no user yet.")
def seed_demo(if_empty: bool) -> None:
    """Load the demo course and the demo accounts (running it twice changes nothing)."""
    if current_app.config["LMS_ENV"] == "production":
        raise click.ClickException(
            "the demo accounts have published passwords: not loaded in production"
        )
    if if_empty and not demo.database_is_empty():
        click.echo("Database already has data: demo not loaded.")
    else:
        created = demo.load_demo()
        click.echo(
            f"Demo loaded: {created['users']} accounts, {created['courses']} course, "
            f"{created['enrollments']} enrollment, {created['threads']} community threads created."
        )
    _print_demo_logins()


@lms_cli.command("create-user")
@click.option("--email", prompt=True)
@click.option("--name", prompt=True)
@click.option(
    "--role",
    type=click.Choice([role.value for role in Role]),
    default=Role.STUDENT.value,
    show_default=True,
)
@click.option("--locale", type=click.Choice(["it", "en"]), default="it", show_default=True)
@click.password_option(help="Prompted for (twice) when not given.")
def create_user(email: str, name: str, role: str, locale: str, password: str) -> None:
    """Create an account with a verified email, e.g. the first instructor."""
    problem = password_problem(password, email=email, name=name)
    if problem:
        raise click.ClickException(f"password refused: {problem.replace('_', ' ')}")
    try:
        user = accounts.create_user(email, name, password, Role(role), locale=locale)
    except DomainError as error:
        raise click.ClickException(f"an account with the email {email} already exists") from error
    click.echo(f"Created {user.role} {user.email} (id {user.id}).")


@lms_cli.command("outbox")
@click.option("--watch", is_flag=True, help="Keep running and send new mail as it arrives.")
@click.option(
    "--interval", default=5.0, show_default=True, help="Seconds between polls with --watch."
)
@click.option("--batch", default=50, show_default=True)
def outbox(watch: bool, interval: float, batch: int) -> None:
    """Send pending email (over MAIL_URL, or to the log when it is not set)."""
    while True:
        try:
            sent, failed = mail.deliver_pending(batch)
        except Exception:
            if not watch:
                raise
            log.exception("outbox: delivery round failed; trying again in %s s", interval)
            time.sleep(interval)
            continue
        if sent or failed or not watch:
            click.echo(f"outbox: {sent} sent, {failed} failed, {mail.pending_count()} pending")
        if not watch:
            return
        if not sent and not failed:
            time.sleep(interval)


@lms_cli.command("stripe-reconcile")
@click.option("--days", default=30, show_default=True, help="How far back to look.")
def stripe_reconcile(days: int) -> None:
    """Fetch Stripe's events of the last days and apply any the webhook missed."""
    counts = orders.reconcile(days)
    applied = sum(n for outcome, n in counts.items() if outcome != "duplicate")
    click.echo(
        f"{sum(counts.values())} events read, {applied} applied, "
        f"{counts.get('duplicate', 0)} already applied"
    )
    for outcome, number in sorted(counts.items()):
        click.echo(f"  {outcome}: {number}")


@lms_cli.command("create-coupon")
@click.argument("code")
@click.option("--percent", type=click.IntRange(1, 100), help="Percent off.")
@click.option("--amount", type=click.FloatRange(0.01), help="Euro off.")
@click.option("--course", "course_slug", help="Only for this course (slug).")
@click.option("--expires", type=click.DateTime(formats=["%Y-%m-%d"]), help="Last valid day (UTC).")
@click.option("--max-redemptions", type=click.IntRange(1), help="How many paid orders may use it.")
def create_coupon(code, percent, amount, course_slug, expires, max_redemptions) -> None:
    """Create a coupon code, e.g. `create-coupon LANCIO --percent 20 --max-redemptions 50`."""
    from datetime import UTC, timedelta

    from lms.services import catalog

    course = catalog.find_course(course_slug, include_drafts=True) if course_slug else None
    if course_slug and course is None:
        raise click.ClickException(f"no course with slug {course_slug}")
    try:
        coupon = coupons.create_coupon(
            code,
            percent_off=percent,
            amount_off_cents=round(amount * 100) if amount else None,
            course_id=course.id if course else None,
            expires_at=(expires.replace(tzinfo=UTC) + timedelta(days=1)) if expires else None,
            max_redemptions=max_redemptions,
        )
    except DomainError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Coupon {coupon.code} created.")


@lms_cli.command("close-expired-attempts")
def close_expired_attempts() -> None:
    """Close exam attempts left open past their deadline (run it from cron every few minutes)."""
    from lms.services import exams

    closed = exams.close_expired_attempts()
    click.echo(f"{closed} attempt{'s' if closed != 1 else ''} closed")


@lms_cli.command("export-course")
@click.argument("slug")
@click.argument("target", type=click.Path(dir_okay=False, writable=True, path_type=Path))
def export_course(slug: str, target: Path) -> None:
    """Write the course SLUG, content and files, as one ZIP (audited)."""
    course = catalog.find_course(slug, include_drafts=True)
    if course is None:
        raise click.ClickException(f"no course with slug {slug}")
    try:
        data = course_archive.export_course(course.id)
    except course_archive.ArchiveRefused as refused:
        raise click.ClickException(f"not exported: {refused.reason}") from refused
    target.write_bytes(data)
    click.echo(f"Course {slug} exported to {target} ({len(data)} bytes).")


@lms_cli.command("import-course")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--slug", "new_slug", help="A new slug, when the archive's is already used here.")
def import_course(source: Path, new_slug: str | None) -> None:
    """Create a course, as a draft, from a ZIP made by export-course (audited)."""
    try:
        with source.open("rb") as handle:
            course = course_archive.import_course(handle, None, None, slug=new_slug)
    except course_archive.ArchiveRefused as refused:
        hint = (
            f"; choose another with --slug, e.g. {refused.suggestion}" if refused.suggestion else ""
        )
        raise click.ClickException(f"archive refused: {refused.reason}{hint}") from refused
    counts = course_archive.counts_of(course.id)
    click.echo(
        f"Course {course.slug} imported (modules: {counts['modules']}, "
        f"lessons: {counts['lessons']}, attachments: {counts['attachments']}, "
        f"quizzes: {counts['quizzes']}, exam questions: {counts['exam_questions']}). "
        "It is a draft: publish it from the studio when it is ready."
    )
