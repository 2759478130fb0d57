"""Rendering one certificate PDF with WeasyPrint, in milliseconds.

The demo student of the demo course gets a certificate; its PDF is then rendered `--renders`
times after one warm-up render, which is reported apart: the first render in a process imports
WeasyPrint and loads the design's fonts. Goal: median under 150 ms with Debian's
`libharfbuzz-subset0` installed (without it WeasyPrint subsets fonts with fontTools, far slower).

    .venv/bin/python -m bench.certificate_pdf [--renders 30]
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import flask_migrate
from sqlalchemy import select

from lms import create_app
from lms.extensions import db
from lms.models import Course, Role, User
from lms.services import certificates, demo
from lms.services.certificate_pdf import render_job, render_pdf

SECRET = "bench-secret-key-that-is-long-enough-for-production"  # noqa: S105 - a throwaway bench key

os.environ["ALLOW_TEST_PAYMENTS"] = "1"  # production settings, but no Stripe account here


def harfbuzz_subset_installed() -> bool:
    try:
        status = subprocess.run(
            ["dpkg-query", "-W", "-f=${Status}", "libharfbuzz-subset0"],  # noqa: S607
            capture_output=True,
            text=True,
            check=False,
        ).stdout
    except FileNotFoundError:  # not a Debian system
        return False
    return status.strip().endswith("installed")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--renders", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.sqlite3",
                "SECRET_KEY": SECRET,
                "LMS_ENV": "production",
                "FILES_DIR": str(Path(folder) / "files"),
                "ISSUER_KEY_DIR": str(Path(folder) / "issuer-keys"),
            }
        )
        for name in ("weasyprint", "fontTools"):
            logging.getLogger(name).setLevel(logging.WARNING)
        with app.app_context():
            flask_migrate.upgrade()
            demo.load_demo()
            login = next(login for login in demo.DEMO_LOGINS if login.role == Role.STUDENT)
            student = db.session.scalar(select(User).where(User.email == login.email))
            course = db.session.scalar(select(Course).where(Course.slug == demo.DEMO_COURSE))
            certificate = certificates.issue_by_instructor(None, student, course, "bench")
            job = render_job(certificate)
            started = time.perf_counter()
            size = len(render_pdf(job))
            first_ms = (time.perf_counter() - started) * 1000
            timings = []
            for _ in range(args.renders):
                started = time.perf_counter()
                render_pdf(job)
                timings.append((time.perf_counter() - started) * 1000)
            db.engine.dispose()
    timings.sort()
    p90 = timings[min(len(timings) - 1, round(0.9 * (len(timings) - 1)))]
    harfbuzz = "installed" if harfbuzz_subset_installed() else "NOT installed"
    print(f"certificate PDF, {job.design} design, {size // 1024} KB, {args.renders} renders")
    print(f"first render (imports WeasyPrint, loads fonts): {first_ms:.0f} ms")
    print(
        f"median {statistics.median(timings):.0f} ms   p90 {p90:.0f} ms   "
        f"min {timings[0]:.0f} ms   max {timings[-1]:.0f} ms"
    )
    print(f"libharfbuzz-subset0: {harfbuzz} (goal: median under 150 ms with it installed)")


if __name__ == "__main__":
    main()
