"""Settings read from the environment, each with a default that lets `make run` work untouched.

Defaults that are not fit for production (SQLite, test payments, logged email) are reported by
`unsafe_defaults()` so the app can say so in its log at start.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

ENVIRONMENTS = ("development", "production", "testing")


class ConfigError(RuntimeError):
    """A setting is missing or wrong in a way the app must not start with."""


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _sqlite_url(instance_path: str) -> str:
    return "sqlite:///" + str(Path(instance_path) / "lms.sqlite3")


def _normalize_database_url(url: str) -> str:
    """Accept the `postgres://` and `postgresql://` forms hosting providers hand out."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def _repo_certificates_dir() -> Path:
    return Path(__file__).resolve().parent.parent / "certificates"


def load_secret_key(instance_path: str, environment: str) -> str:
    """Return SECRET_KEY from the environment, or one generated once into instance/.

    Production refuses to start without an explicit key: a key that lives only on one
    machine's disk breaks sessions across app servers and is lost with the disk.
    """
    key = os.environ.get("SECRET_KEY", "").strip()
    if key:
        if environment == "production" and len(key) < 32:
            raise ConfigError("SECRET_KEY must be at least 32 characters long in production.")
        return key
    if environment == "production":
        raise ConfigError(
            "SECRET_KEY must be set in production, e.g. to the output of "
            "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`."
        )
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        # Written to a private temporary file and linked into place: two processes starting at
        # once never see a half-written key, and the first one to link wins.
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".secret_key.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass
        finally:
            temporary.unlink()
    key = path.read_text().strip()
    if len(key) < 32:
        raise ConfigError(
            f"{path} holds a key shorter than 32 characters: delete it to make a new one."
        )
    return key


def build_config(instance_path: str, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Collect every setting into one dict, environment first, then `overrides` (tests)."""
    overrides = overrides or {}
    environment = overrides.get("LMS_ENV") or os.environ.get("LMS_ENV", "development")
    if environment not in ENVIRONMENTS:
        raise ConfigError(f"LMS_ENV must be one of {', '.join(ENVIRONMENTS)}, not {environment!r}.")
    base_url = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000").rstrip("/")
    base_url = overrides.get("PUBLIC_BASE_URL", base_url)
    https = base_url.startswith("https://")
    database_url = _normalize_database_url(
        os.environ.get("DATABASE_URL", "") or _sqlite_url(instance_path)
    )
    redis_url = os.environ.get("REDIS_URL", "")
    config: dict[str, Any] = {
        "LMS_ENV": environment,
        "TESTING": environment == "testing",
        "PUBLIC_BASE_URL": base_url,
        "PREFERRED_URL_SCHEME": "https" if https else "http",
        "SQLALCHEMY_DATABASE_URI": database_url,
        # A ping per checkout guards against dropped server connections; SQLite has none to drop.
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": not database_url.startswith("sqlite")},
        "REDIS_URL": redis_url,
        "MAIL_URL": os.environ.get("MAIL_URL", ""),
        "MAIL_FROM": os.environ.get("MAIL_FROM", "Corso LMS <noreply@localhost>"),
        "STRIPE_SECRET_KEY": os.environ.get("STRIPE_SECRET_KEY", ""),
        "STRIPE_WEBHOOK_SECRET": os.environ.get("STRIPE_WEBHOOK_SECRET", ""),
        "SITE_NAME": os.environ.get("SITE_NAME", "Accademia Assistenti Virtuali"),
        # Sessions: a permanent cookie that the server can still end (see services.auth).
        "SESSION_COOKIE_NAME": "__Host-lms_session" if https else "lms_session",
        "SESSION_COOKIE_SECURE": https,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "PERMANENT_SESSION_LIFETIME": timedelta(days=14),
        "REMEMBER_COOKIE_SECURE": https,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "MAX_CONTENT_LENGTH": int(os.environ.get("MAX_CONTENT_LENGTH", str(16 * 1024 * 1024))),
        "WTF_CSRF_TIME_LIMIT": 8 * 3600,
        "BABEL_DEFAULT_LOCALE": "it",
        "BABEL_DEFAULT_TIMEZONE": os.environ.get("TIMEZONE", "Europe/Rome"),
        "LANGUAGES": ("it", "en"),
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        "RATELIMIT_ENABLED": _env_bool("RATELIMIT_ENABLED", True),
        "RATELIMIT_HEADERS_ENABLED": True,
        # Every attempt counts (success too), before any password is hashed.
        "LOGIN_LIMIT_PER_IP": os.environ.get("LOGIN_LIMIT_PER_IP", "30 per 10 minutes"),
        "LOGIN_LIMIT_PER_ACCOUNT": os.environ.get("LOGIN_LIMIT_PER_ACCOUNT", "8 per 10 minutes"),
        "EMAIL_LIMIT_PER_IP": os.environ.get("EMAIL_LIMIT_PER_IP", "10 per hour"),
        "EMAIL_LIMIT_PER_ADDRESS": os.environ.get("EMAIL_LIMIT_PER_ADDRESS", "3 per hour"),
        # argon2id parameters (RFC 9106 second recommendation); tests lower them for speed.
        "PASSWORD_HASH_TIME_COST": 3,
        "PASSWORD_HASH_MEMORY_COST": 65536,
        "PROXY_FIX_HOPS": int(os.environ.get("PROXY_FIX_HOPS", "0")),
        "FILES_DIR": os.environ.get("FILES_DIR", str(Path(instance_path) / "files")),
        # Certificates: designs shipped in the repo, the issuer's signing keys kept in instance/.
        "CERTIFICATE_DIR": os.environ.get("CERTIFICATE_DIR", str(_repo_certificates_dir())),
        "ISSUER_NAME": os.environ.get("ISSUER_NAME", ""),
        "ISSUER_KEY_DIR": os.environ.get(
            "ISSUER_KEY_DIR", str(Path(instance_path) / "issuer-keys")
        ),
        "CERTIFICATE_RENEWAL_DAYS": int(os.environ.get("CERTIFICATE_RENEWAL_DAYS", "90")),
        "STATUS_LIST_VALID_DAYS": int(os.environ.get("STATUS_LIST_VALID_DAYS", "7")),
        "STATUS_LIST_BITS": 131072,
        "VERIFY_LIMIT_PER_IP": os.environ.get("VERIFY_LIMIT_PER_IP", "120 per minute"),
        "VERIFY_UPLOAD_LIMIT_PER_IP": os.environ.get("VERIFY_UPLOAD_LIMIT_PER_IP", "20 per hour"),
        "DIRECTORY_SEARCH_LIMIT_PER_IP": os.environ.get(
            "DIRECTORY_SEARCH_LIMIT_PER_IP", "120 per minute"
        ),
        # Messages stored, per IP and per profile; attempts of any kind, per IP.
        "DIRECTORY_CONTACT_LIMIT_PER_IP": os.environ.get(
            "DIRECTORY_CONTACT_LIMIT_PER_IP", "5 per hour"
        ),
        "DIRECTORY_CONTACT_ATTEMPTS_PER_IP": os.environ.get(
            "DIRECTORY_CONTACT_ATTEMPTS_PER_IP", "30 per hour"
        ),
        "DIRECTORY_CONTACT_LIMIT_PER_PROFILE": os.environ.get(
            "DIRECTORY_CONTACT_LIMIT_PER_PROFILE", "20 per day"
        ),
        # A person takes longer than this to write to someone; a script does not.
        "DIRECTORY_CONTACT_MIN_SECONDS": 4,
        # Results regions of the listing kept per process, each for one state of the listing.
        "DIRECTORY_PAGES_KEPT": int(os.environ.get("DIRECTORY_PAGES_KEPT", 512)),
    }
    config.update(overrides)
    config["ISSUER_NAME"] = config["ISSUER_NAME"] or config["SITE_NAME"]
    if "SECRET_KEY" not in config:
        config["SECRET_KEY"] = load_secret_key(instance_path, environment)
    if environment == "production":
        check_payment_settings(config)
    return config


def check_payment_settings(config: dict[str, Any]) -> None:
    """In production, test payments would hand out paid courses for a test card number, and a
    live key without its webhook secret would refuse every real event: both stop the start."""
    if not config["STRIPE_SECRET_KEY"] and not _env_bool("ALLOW_TEST_PAYMENTS", False):
        raise ConfigError(
            "STRIPE_SECRET_KEY is not set: payments would run in test mode, where a test card buys "
            "any course. Set it, or set ALLOW_TEST_PAYMENTS=1 for a staging site."
        )
    if config["STRIPE_SECRET_KEY"] and not config["STRIPE_WEBHOOK_SECRET"]:
        raise ConfigError(
            "STRIPE_WEBHOOK_SECRET must be set with STRIPE_SECRET_KEY "
            "(the signing secret of the /stripe/webhook endpoint)."
        )


def unsafe_defaults(config: dict[str, Any]) -> list[str]:
    """Name each embedded default that is fine on a laptop but not in production."""
    warnings = []
    if config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        warnings.append("database: embedded SQLite file; set DATABASE_URL for PostgreSQL")
    if not config["STRIPE_SECRET_KEY"]:
        warnings.append("payments: test mode (no STRIPE_SECRET_KEY); nobody is charged")
    if not config["MAIL_URL"]:
        warnings.append("email: written to the log (no MAIL_URL)")
    if not config["REDIS_URL"]:
        warnings.append(
            "rate limits: in-process memory (no REDIS_URL); not shared between processes"
        )
    if not config["PUBLIC_BASE_URL"].startswith("https://"):
        warnings.append("PUBLIC_BASE_URL is not https: cookies are not marked Secure")
    elif not config["PROXY_FIX_HOPS"]:
        warnings.append(
            "PUBLIC_BASE_URL is https but PROXY_FIX_HOPS is 0: behind a TLS proxy, requests look "
            "like plain HTTP (no HSTS); set it to the number of proxies in front"
        )
    return warnings
