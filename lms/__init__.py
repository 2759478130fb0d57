"""The application factory."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import Flask

from lms import cli, i18n
from lms.blueprints.auth.routes import bp as auth_bp
from lms.blueprints.authoring.lessons import bp as lessons_bp
from lms.blueprints.authoring.routes import bp as authoring_bp
from lms.blueprints.catalog.routes import bp as catalog_bp
from lms.blueprints.certificates.routes import bp as certificates_bp
from lms.blueprints.community.routes import bp as community_bp
from lms.blueprints.course_archive.routes import bp as course_archive_bp
from lms.blueprints.dashboard.routes import bp as dashboard_bp
from lms.blueprints.directory.routes import bp as directory_bp
from lms.blueprints.errors.handlers import register_error_handlers
from lms.blueprints.exam.routes import bp as exam_bp
from lms.blueprints.learn.routes import bp as learn_bp
from lms.blueprints.main.routes import bp as main_bp
from lms.blueprints.payments.routes import bp as payments_bp
from lms.blueprints.question_bank.routes import bp as question_bank_bp
from lms.blueprints.roster.routes import bp as roster_bp
from lms.blueprints.studio.routes import bp as studio_bp
from lms.blueprints.verify.routes import bp as verify_bp
from lms.config import build_config, unsafe_defaults
from lms.extensions import babel, csrf, db, enable_sqlite_pragmas, login_manager, migrate
from lms.security import init_security
from lms.services.links import external_url
from lms.services.markdown import render_inline_markdown, render_markdown

BLUEPRINTS = (
    main_bp,
    auth_bp,
    catalog_bp,
    learn_bp,
    exam_bp,
    payments_bp,
    studio_bp,
    authoring_bp,
    lessons_bp,
    question_bank_bp,
    roster_bp,
    dashboard_bp,
    course_archive_bp,
    verify_bp,
    certificates_bp,
    directory_bp,
    community_bp,
)

log = logging.getLogger("lms")


def create_app(config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(build_config(app.instance_path, config))
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )

    db.init_app(app)
    with app.app_context():
        enable_sqlite_pragmas(db.engine)
    migrate.init_app(
        app, db, directory=str(_migrations_dir()), render_as_batch=True, compare_type=True
    )
    login_manager.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale)
    i18n.install_template_gettext(app)
    init_security(app)

    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    register_error_handlers(app)
    cli.register(app)

    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.filters["money"] = i18n.format_money
    app.jinja_env.filters["markdown"] = render_markdown
    app.jinja_env.filters["inline_markdown"] = render_inline_markdown
    app.jinja_env.globals.update(
        html_lang=i18n.html_lang,
        public_url=external_url,
        language_names=i18n.LANGUAGE_NAMES,
        site_name=app.config["SITE_NAME"],
    )

    if not app.config["TESTING"]:
        for warning in unsafe_defaults(app.config):
            log.warning("default not fit for production: %s", warning)
    return app


def _migrations_dir() -> Path:
    return Path(__file__).resolve().parent.parent / "migrations"
