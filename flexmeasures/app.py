"""The application factory: configuration, extensions, blueprints and plugins."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from flask import Flask

from flexmeasures.config import (
    ConfigurationError,
    get_environment,
    load_settings,
    resolve_instance_path,
)
from flexmeasures.utils.json_provider import NestingSafeJSONProvider

# The Alembic scripts ship inside the package, so an installed wheel can migrate its database.
MIGRATIONS_DIRECTORY = Path(__file__).resolve().parent / "migrations"


def create_app(
    environment: str | None = None,
    settings: dict[str, Any] | None = None,
    instance_path: str | os.PathLike | None = None,
) -> Flask:
    """Create the FlexMeasures web app.

    ``environment`` is one of development|testing|staging|production; without it,
    ``FLEXMEASURES_ENV``/``FLASK_ENV`` decide, and production is the default (the CLI
    defaults to development). ``settings`` override every other source of configuration.
    ``instance_path`` defaults to ``FLEXMEASURES_INSTANCE_PATH`` or Flask's instance folder
    (see ``flexmeasures.config.resolve_instance_path``).
    Raises ``ConfigurationError`` with a how-to-fix message when settings are missing.
    """
    environment = environment or get_environment()
    instance_folder = resolve_instance_path(instance_path)
    app = Flask("flexmeasures", instance_path=str(instance_folder), instance_relative_config=True)
    app.json_provider_class = NestingSafeJSONProvider  # extensions may subclass it further
    app.json = NestingSafeJSONProvider(app)
    app.config.from_mapping(load_settings(environment, instance_folder, overrides=settings))
    _configure_logging(app)
    _register_extensions(app)
    _register_blueprints(app)
    from flexmeasures.modes import show_demo_credentials_on_login
    from flexmeasures.plugins import register_plugins
    from flexmeasures.shell import shell_context

    app.shell_context_processor(shell_context)
    show_demo_credentials_on_login(app)
    register_plugins(app)
    return app


def _configure_logging(app: Flask) -> None:
    """Log at LOGGING_LEVEL."""
    app.logger.setLevel(app.config["LOGGING_LEVEL"])
    logging.getLogger("flexmeasures").setLevel(app.config["LOGGING_LEVEL"])


def _init_database(app: Flask, db: Any) -> None:
    """Bind the database; an unusable SQLALCHEMY_DATABASE_URI is a ConfigurationError."""
    from sqlalchemy.exc import ArgumentError

    try:
        db.init_app(app)
    except ArgumentError as exc:
        raise ConfigurationError(
            f"SQLALCHEMY_DATABASE_URI is not a database URL that can be used ({exc}); "
            'expected e.g. "postgresql://<user>:<password>@<host-address>[:<port>]/<db>".'
        ) from exc


def _register_extensions(app: Flask) -> None:
    """Set up the database, migrations, security, mail and CORS."""
    from flask_cors import CORS
    from flask_mail import Mail
    from flask_migrate import Migrate

    from flexmeasures.data import db
    from flexmeasures.jobs import init_queues
    from flexmeasures.security import init_security

    _init_database(app, db)
    Migrate(app, db, directory=str(MIGRATIONS_DIRECTORY), render_as_batch=True)
    Mail(app)
    CORS(
        app,
        origins=app.config["CORS_ORIGINS"],
        resources=app.config["CORS_RESOURCES"],
        supports_credentials=app.config["CORS_SUPPORTS_CREDENTIALS"],
    )
    init_security(app)
    init_queues(app)


def _register_blueprints(app: Flask) -> None:
    """Register the API and UI blueprints."""
    from flexmeasures.api import register_api_at
    from flexmeasures.ui import register_ui_at

    register_api_at(app)
    from flexmeasures.api.versions import register_versions

    register_versions(app)
    register_ui_at(app)
    from flexmeasures.market.api import register_market_at

    register_market_at(app)
    from flexmeasures.market.streams import register_streams_at

    register_streams_at(app)
