"""Public certificate verification page under load, beside the floor measured in the same run.

Anyone (no login) opens `/verify/<code>` for one of 100,000 issued certificates: the page looks the
code up and checks the stored credential's Ed25519 signature. Served by gunicorn (2 sync workers)
on loopback and loaded by wrk, which picks each request's code at random among 2,000 sampled ones.
The floor is the same base layout with no database, same gunicorn settings. Goal: the verification
page at >= 60% of the floor.

    .venv/bin/python -m bench.verify_page [--seconds 10] [--rounds 3] [--database-url postgresql+psycopg://...]
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import os
import random
import re
import tempfile
from datetime import timedelta
from pathlib import Path

import flask_migrate
from sqlalchemy import insert, select, text

from bench.http_load import Target, alternate, gunicorn, random_paths_script, report
from lms import create_app
from lms.extensions import db
from lms.models import Certificate, CertificateDocument, Course, StatusSlot, User, utcnow
from lms.services import certificates, credentials
from lms.services.scale_seed import PASSWORD_HASH, status_slots, unique_codes

SECRET = "bench-secret-key-that-is-long-enough-for-production"  # noqa: S105 - a throwaway bench key
BASE_URL = "http://127.0.0.1"  # the seed and the server must agree: it names the issuer's did:web
SAMPLED_CODES = 2_000


os.environ["ALLOW_TEST_PAYMENTS"] = "1"  # production settings, but no Stripe account here


def seed(database_url: str, key_dir: str, count: int) -> list[str]:
    """`count` students, each holding a certificate of one course (with its status slot);
    return a sample of the codes."""
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": SECRET,
            "LMS_ENV": "production",
            "PUBLIC_BASE_URL": BASE_URL,
            "ISSUER_KEY_DIR": key_dir,
        }
    )
    with app.app_context():
        if database_url.startswith("postgresql"):
            db.session.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            db.session.commit()
        flask_migrate.upgrade()
        course = Course(
            slug="bench", title="Corso di prova", price_cents=29700, hours=40, is_published=True
        )
        db.session.add(course)
        db.session.flush()
        now = utcnow()
        db.session.execute(
            insert(User),
            [
                {
                    "email": f"s{i}@example.org",
                    "name": f"Studente {i}",
                    "password_hash": PASSWORD_HASH,
                    "role": "student",
                    "locale": "it",
                    "created_at": now,
                    "email_verified_at": now,
                }
                for i in range(count)
            ],
        )
        user_ids = db.session.scalars(select(User.id).order_by(User.id)).all()
        codes = unique_codes(count)
        issuer = app.config["ISSUER_NAME"]
        # One real credential, signed by the issuer key the server will load, is stored on every
        # row: the page checks its Ed25519 signature as it would any other. Its payload names the
        # first certificate's code, not each row's: the page checks only the signature.
        template = Certificate(
            code=codes[0],
            course_title=course.title,
            course_hours=course.hours,
            holder_name="Studente 0",
            issuer_name=issuer,
            issued_at=now,
            expires_at=None,
            status_list=1,
            status_index=0,
        )
        token = credentials.sign_credential(template, course.slug)
        rows = []
        for i, (code, user_id, (list_number, index)) in enumerate(
            zip(codes, user_ids, status_slots(count, app.config["STATUS_LIST_BITS"]), strict=True)
        ):
            issued_at = now - timedelta(minutes=i)
            rows.append(
                {
                    "code": code,
                    "user_id": user_id,
                    "course_id": course.id,
                    "holder_name": f"Studente {i}",
                    "course_title": course.title,
                    "course_hours": course.hours,
                    "issuer_name": issuer,
                    "signer_name": "Giulia Ferraris",
                    "signer_title": "Direttrice del corso",
                    "locale": "it",
                    "design": "classic",
                    "edition": 1,
                    "issued_at": issued_at,
                    "status_list": list_number,
                    "status_index": index,
                    "credential_jwt": token,
                    "created_at": issued_at,
                    "updated_at": issued_at,
                }
            )
        db.session.execute(insert(Certificate), rows)
        # Every certificate has had its PDF rendered, as in a live register: the page then shows
        # the fingerprint check too, read through the join on certificate_documents.
        db.session.execute(
            insert(CertificateDocument),
            [
                {
                    "certificate_id": cid,
                    "edition": 1,
                    "sha256": hashlib.sha256(code.encode()).hexdigest(),
                    "file_name": f"certificate-{code}.pdf",
                    "size_bytes": 60_000,
                    "created_at": now,
                }
                for cid, code in db.session.execute(select(Certificate.id, Certificate.code))
            ],
        )
        db.session.execute(
            insert(StatusSlot),
            [
                {"status_list": list_number, "status_index": index, "certificate_id": cid}
                for cid, list_number, index in db.session.execute(
                    select(Certificate.id, Certificate.status_list, Certificate.status_index)
                )
            ],
        )
        db.session.commit()
        db.engine.dispose()
    return random.sample(codes, min(SAMPLED_CODES, count))


def get(port: int, path: str) -> tuple[int, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", path)
    response = connection.getresponse()
    return response.status, response.read().decode()


def check_page(port: int, code: str) -> None:
    """One request before the load: the benchmark must never measure an error page."""
    path = f"/verify/{certificates.display_code(code)}"
    status, page = get(port, path)
    if status != 200:
        raise SystemExit(f"{path} answered {status}:\n{page[:2000]}")
    # "Valido" in Italian, the default locale; "Valid" while the catalog lacks the word.
    if not re.search(r'class="status-word">\s*(Valido|Valid)\s*<', page):
        raise SystemExit(f"{path} does not say the certificate is valid")
    # A signature the page cannot check (wrong key folder or base URL) would skip the work.
    if '<li class="failed">' in page:
        raise SystemExit(f"{path} shows a failed check (is the signature checked?)")
    if 'class="hash"' not in page:
        raise SystemExit(f"{path} does not show the PDF's fingerprint")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--certificates", type=int, default=100_000)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        database_url = args.database_url or f"sqlite:///{folder}/bench.sqlite3"
        key_dir = str(Path(folder) / "issuer-keys")
        sample = seed(database_url, key_dir, args.certificates)
        # The floor is loaded through the same Lua script shape (a random path of as many), so
        # wrk spends the same client CPU on both: on 2 cores it competes with the server.
        codes = [certificates.display_code(code) for code in sample]
        script = random_paths_script(
            Path(folder) / "verify_paths.lua", [f"/verify/{code}" for code in codes]
        )
        floor_script = random_paths_script(
            Path(folder) / "floor_paths.lua", [f"/_floor?code={code}" for code in codes]
        )
        env = {
            "DATABASE_URL": database_url,
            "SECRET_KEY": SECRET,
            "LMS_ENV": "production",
            "ALLOW_TEST_PAYMENTS": "1",
            "PUBLIC_BASE_URL": BASE_URL,
            "ISSUER_KEY_DIR": key_dir,
            # The verify pages allow 120 lookups a minute per IP: from one machine, every request
            # past those would be a 429. The limit is the limiter's cost, not the page's.
            "RATELIMIT_ENABLED": "0",
        }
        with gunicorn("floor_app()", env) as floor_port, gunicorn("app()", env) as port:
            get(floor_port, "/_floor")  # waits for the workers to load the app
            check_page(port, sample[0])
            rounds = alternate(
                Target(f"http://127.0.0.1:{floor_port}", script=floor_script),
                Target(f"http://127.0.0.1:{port}", script=script),
                args.seconds,
                args.rounds,
            )
    backend = "PostgreSQL" if database_url.startswith("postgresql") else "SQLite"
    print(
        f"verification page, {args.certificates} certificates, {len(sample)} codes at random, "
        f"{backend}, gunicorn 2 sync workers, wrk -c16"
    )
    report(rounds, "verify page (anonymous)", goal=0.6)


if __name__ == "__main__":
    main()
