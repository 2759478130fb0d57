"""`flask lms seed-scale`: a register of many made-up graduates, to try the directory at size.

Added to the `lms` group by `lms.cli`; refused in production.
"""

from __future__ import annotations

import time

import click
from flask.cli import with_appcontext

from lms.services import scale_seed


@click.command("seed-scale")
@with_appcontext
@click.option(
    "--profiles", type=click.IntRange(min=1), required=True, help="How many graduates to add."
)
@click.option("--seed", type=int, default=1, show_default=True, help="Same seed, same people.")
def seed_scale(profiles: int, seed: int) -> None:
    """Add students, each with a certificate and a directory profile (most listed)."""
    started = time.monotonic()
    try:
        summary = scale_seed.seed_directory(
            profiles, seed, progress=lambda done: click.echo(f"  {done} of {profiles}")
        )
    except scale_seed.SeedRefused as refused:
        raise click.ClickException("made-up graduates are not added in production") from refused
    hidden = ", ".join(
        f"{summary.standings.get(name, 0)} {name}"
        for name in scale_seed.STANDINGS
        if name != "listed"
    )
    click.echo(
        f"Created {summary.profiles} students with verified emails, {summary.profiles} "
        f"certificates for “{summary.course_title}” and {summary.profiles} directory profiles "
        f"in {time.monotonic() - started:.0f} s: {summary.listed} listed; not listed: {hidden}."
    )


COMMANDS = (seed_scale,)
