"""Configuration: the seed's settings with their defaults, and how they are loaded.

Precedence, from lowest to highest (a later source overrides an earlier one):

1. ``Config`` below: the defaults of the seed's Configuration chapter;
2. the environment's class (``DevelopmentConfig``, ``TestingConfig``, ``StagingConfig``,
   ``ProductionConfig``), selected by ``FLEXMEASURES_ENV`` (or ``FLASK_ENV``);
3. ``~/.flexmeasures.cfg`` in the user's home directory;
4. ``flexmeasures.cfg`` in the app's instance folder;
5. environment variables named like the setting (e.g. ``SECRET_KEY``,
   ``FLEXMEASURES_REDIS_URL``). Lists, dicts and tuples are given as JSON, booleans as
   ``true``/``false``, durations as ISO 8601 (``PT48H``) or a number of seconds.

Departures from the seed's defaults, because they would not work on a fresh machine:

- ``FLEXMEASURES_REDIS_URL`` defaults to ``None`` (seed: ``"localhost"``): without a configured
  Redis, jobs run in-process, so that ``flexmeasures run`` works without services.
- ``FLEXMEASURES_LP_SOLVER`` defaults to ``"highs"`` (seed: ``"cbc"``): HiGHS comes from PyPI,
  CBC needs a system binary (``apt-get install coinor-cbc``).
- In development, a missing ``SQLALCHEMY_DATABASE_URI`` means a SQLite file in the instance
  folder and a missing ``SECRET_KEY`` is generated once and kept in the instance folder.
  In staging and production both are required.
"""

from __future__ import annotations

import json
import logging
import os
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

ENVIRONMENTS = ("development", "testing", "staging", "production")
DEFAULT_WSGI_ENVIRONMENT = "production"


class ConfigurationError(Exception):
    """A setting is missing or invalid; the message says how to fix it."""


class Config:
    """Defaults of every setting, as the seed's Configuration chapter lists them."""

    # Basic functionality
    LOGGING_LEVEL: int = logging.WARNING
    FLEXMEASURES_MODE: str = ""
    FLEXMEASURES_LP_SOLVER: str = "highs"
    FLEXMEASURES_HOSTS_AND_AUTH_START: dict[str, str] = {"flexmeasures.io": "2021-01"}
    FLEXMEASURES_PLUGIN_PATHS: list[str] = []
    FLEXMEASURES_DB_BACKUP_PATH: str = "migrations/dumps"
    FLEXMEASURES_PROFILE_REQUESTS: bool = False

    # UI
    FLEXMEASURES_PLATFORM_NAME: str = "FlexMeasures"
    FLEXMEASURES_HIDE_NAN_IN_UI: bool = False
    RQ_DASHBOARD_POLL_INTERVAL: int = 3000

    # Timing
    FLEXMEASURES_TIMEZONE: str = "Asia/Seoul"
    FLEXMEASURES_PLANNING_TTL: timedelta = timedelta(days=7)
    FLEXMEASURES_PLANNING_HORIZON: timedelta = timedelta(hours=2 * 24)

    # Tokens
    DARK_SKY_API_KEY: str | None = None
    MAPBOX_ACCESS_TOKEN: str | None = None
    FLEXMEASURES_TASK_CHECK_AUTH_TOKEN: str | None = None

    # SQLAlchemy
    SQLALCHEMY_DATABASE_URI: str | None = None
    SQLALCHEMY_ENGINE_OPTIONS: dict[str, Any] = {
        "pool_recycle": 299,
        "pool_pre_ping": True,
        "connect_args": {"options": "-c timezone=utc"},
    }
    SQLALCHEMY_TRACK_MODIFICATIONS: bool = False

    # Security
    SECRET_KEY: str | None = None
    SECURITY_PASSWORD_SALT: str | None = None
    SECURITY_TOKEN_AUTHENTICATION_HEADER: str = "Authorization"
    SECURITY_TOKEN_MAX_AGE: int = 60 * 60 * 6
    SECURITY_TRACKABLE: bool = False
    SECURITY_PASSWORD_HASH: str = "bcrypt"
    SECURITY_RECOVERABLE: bool = True
    SECURITY_CHANGEABLE: bool = True
    SECURITY_REGISTERABLE: bool = False
    SECURITY_EMAIL_SENDER: str = "no-reply@example.com"
    SECURITY_USERNAME_ENABLE: bool = False
    CORS_ORIGINS: list[str] = []
    CORS_RESOURCES: list[str] = [r"/api/*"]
    CORS_SUPPORTS_CREDENTIALS: bool = True

    # Mail
    MAIL_SERVER: str = "localhost"
    MAIL_PORT: int = 25
    MAIL_USE_TLS: bool = False
    MAIL_USE_SSL: bool = False
    MAIL_USERNAME: str | None = None
    MAIL_DEFAULT_SENDER: tuple[str, str] = ("FlexMeasures", "no-reply@example.com")
    MAIL_PASSWORD: str | None = None

    # Redis
    FLEXMEASURES_REDIS_URL: str | None = None
    FLEXMEASURES_REDIS_PORT: int = 6379
    FLEXMEASURES_REDIS_DB_NR: int = 0
    FLEXMEASURES_REDIS_PASSWORD: str | None = None

    # Demonstrations
    FLEXMEASURES_PUBLIC_DEMO_CREDENTIALS: tuple[str, str] | None = None
    FLEXMEASURES_DEMO_YEAR: int | None = None
    FLEXMEASURES_LISTED_VIEWS: list[str] = ["dashboard", "analytics", "portfolio", "assets", "users"]

    # Requests: the largest request body accepted, in bytes (413 above it). Ten years of
    # 15-minute values (350,640 numbers) take about 7 MB as JSON.
    MAX_CONTENT_LENGTH: int = 64 * 1024 * 1024

    # Flask-WTF: forms keep CSRF protection; the token-authenticated API does not use forms.
    WTF_CSRF_ENABLED: bool = True


class DevelopmentConfig(Config):
    """Local development: SQLite and a generated secret key when none are configured."""

    LOGGING_LEVEL = logging.INFO
    FLEXMEASURES_PROFILE_REQUESTS = False


class TestingConfig(Config):
    """The test suite: PostgreSQL from ``SQLALCHEMY_TEST_DATABASE_URI``, fast hashing."""

    TESTING = True
    LOGGING_LEVEL = logging.INFO
    SECRET_KEY = "testing-secret-key-not-for-production"
    SECURITY_PASSWORD_SALT = "testing-salt"
    SECURITY_PASSWORD_HASH_OPTIONS = {"bcrypt": {"rounds": 4}}
    WTF_CSRF_ENABLED = False
    MAIL_SUPPRESS_SEND = True
    FLEXMEASURES_HOSTS_AND_AUTH_START = {"flexmeasures.io": "2021-01", "localhost": "2018-06"}


class StagingConfig(Config):
    """A staging server: like production, but logging more."""

    LOGGING_LEVEL = logging.INFO


class ProductionConfig(Config):
    """A production server: ``SECRET_KEY`` and ``SQLALCHEMY_DATABASE_URI`` are required."""


CONFIG_CLASSES: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "staging": StagingConfig,
    "production": ProductionConfig,
}

DEFAULT_TEST_DATABASE_URI = (
    "postgresql://flexmeasures_test:flexmeasures_test@127.0.0.1/flexmeasures_test"
)
HOME_CONFIG_FILE = ".flexmeasures.cfg"
INSTANCE_CONFIG_FILE = "flexmeasures.cfg"
REQUIRED_IN_PRODUCTION = ("SECRET_KEY", "SQLALCHEMY_DATABASE_URI")


def get_environment(default: str = DEFAULT_WSGI_ENVIRONMENT) -> str:
    """Return the environment name from ``FLEXMEASURES_ENV`` or ``FLASK_ENV`` (or ``default``).

    Raises ConfigurationError for a name that is not one of ENVIRONMENTS.
    """
    env = os.environ.get("FLEXMEASURES_ENV") or os.environ.get("FLASK_ENV") or default
    env = env.strip().lower()
    if env not in ENVIRONMENTS:
        raise ConfigurationError(
            f"Unknown environment '{env}' (from FLEXMEASURES_ENV/FLASK_ENV); "
            f"choose one of: {', '.join(ENVIRONMENTS)}."
        )
    return env


def default_settings(environment: str) -> dict[str, Any]:
    """Return the settings of the environment's config class as a dict (name → value)."""
    cls = CONFIG_CLASSES[environment]
    return {name: getattr(cls, name) for name in dir(cls) if name.isupper()}


def read_config_file(path: Path) -> dict[str, Any]:
    """Execute a Python-syntax config file and return the upper-case names it defines.

    Returns an empty dict if the file does not exist. Raises ConfigurationError (naming
    the file and line) when it cannot be executed.
    """
    if not path.is_file():
        return {}
    namespace: dict[str, Any] = {"timedelta": timedelta, "logging": logging}
    try:
        exec(compile(path.read_text(), str(path), "exec"), namespace)  # noqa: S102
    except Exception as exc:  # any error in a user's file must become a clear message
        raise ConfigurationError(f"Could not read config file {path}: {exc}") from exc
    return {name: value for name, value in namespace.items() if name.isupper()}


_ISO_DURATION = re.compile(
    r"^(?P<sign>-)?P(?:(?P<days>\d+(?:\.\d+)?)D)?"
    r"(?:T(?:(?P<hours>\d+(?:\.\d+)?)H)?(?:(?P<minutes>\d+(?:\.\d+)?)M)?"
    r"(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?$"
)


def parse_duration(text: str) -> timedelta:
    """Parse an ISO 8601 duration (``PT48H``, ``P7D``, ``-PT1H``) or a number of seconds."""
    text = text.strip()
    try:
        return timedelta(seconds=float(text))
    except ValueError:
        pass
    match = _ISO_DURATION.match(text.upper())
    if not match or text.upper() in ("P", "PT", "-P", "-PT"):
        raise ValueError(f"'{text}' is not an ISO 8601 duration (e.g. PT48H) nor seconds")
    parts = {k: float(v) for k, v in match.groupdict().items() if v and k != "sign"}
    duration = timedelta(**parts)
    return -duration if match.group("sign") else duration


_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off", "")


def parse_env_value(name: str, text: str, default: Any) -> Any:
    """Convert an environment variable's text to the type of the setting's default."""
    if isinstance(default, bool):
        if text.strip().lower() not in _TRUE + _FALSE:
            raise ConfigurationError(f"{name} must be true or false, not '{text}'.")
        return text.strip().lower() in _TRUE
    try:
        if isinstance(default, int):
            return _parse_int_or_level(text)
        if isinstance(default, float):
            return float(text)
        if isinstance(default, timedelta):
            return parse_duration(text)
        if isinstance(default, (list, dict, tuple)):
            value = json.loads(text)
            return tuple(value) if isinstance(default, tuple) else value
    except (ValueError, json.JSONDecodeError) as exc:
        raise ConfigurationError(f"Environment variable {name}='{text}' is invalid: {exc}") from exc
    return text


def _parse_int_or_level(text: str) -> int:
    """Parse an int, also accepting logging level names like ``INFO`` or ``logging.INFO``."""
    level_name = text.strip().upper().removeprefix("LOGGING.")
    level = logging.getLevelName(level_name)
    return level if isinstance(level, int) else int(text)


def read_environment_variables(defaults: dict[str, Any]) -> dict[str, Any]:
    """Return the settings given as environment variables, typed like their defaults."""
    return {
        name: parse_env_value(name, os.environ[name], default)
        for name, default in defaults.items()
        if name in os.environ
    }


def load_settings(environment: str, instance_path: Path) -> dict[str, Any]:
    """Collect all settings for an environment, in the precedence the module doc describes."""
    settings = default_settings(environment)
    settings.update(read_config_file(Path.home() / HOME_CONFIG_FILE))
    settings.update(read_config_file(instance_path / INSTANCE_CONFIG_FILE))
    settings.update(read_environment_variables(settings))
    if environment == "testing":
        settings["SQLALCHEMY_DATABASE_URI"] = os.environ.get(
            "SQLALCHEMY_TEST_DATABASE_URI", DEFAULT_TEST_DATABASE_URI
        )
    _fill_in_embedded_defaults(settings, environment, instance_path)
    _check_required(settings, environment)
    _adapt_engine_options(settings)
    if settings.get("SECURITY_PASSWORD_SALT") is None:
        settings["SECURITY_PASSWORD_SALT"] = settings["SECRET_KEY"]
    return settings


def _fill_in_embedded_defaults(
    settings: dict[str, Any], environment: str, instance_path: Path
) -> None:
    """In development, fall back to a SQLite file and a kept secret key in the instance folder."""
    if environment != "development":
        return
    if not settings.get("SQLALCHEMY_DATABASE_URI"):
        instance_path.mkdir(parents=True, exist_ok=True)
        settings["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{instance_path / 'flexmeasures.db'}"
    if not settings.get("SECRET_KEY"):
        settings["SECRET_KEY"] = _instance_secret_key(instance_path)


def _instance_secret_key(instance_path: Path) -> str:
    """Read the secret key kept in the instance folder, creating it on first use."""
    import secrets

    key_file = instance_path / "secret_key"
    if not key_file.is_file():
        instance_path.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_urlsafe(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def _check_required(settings: dict[str, Any], environment: str) -> None:
    """Stop start-up when a required setting is missing, saying how to set it."""
    missing = [name for name in REQUIRED_IN_PRODUCTION if not settings.get(name)]
    if not missing:
        return
    hints = {
        "SECRET_KEY": "export SECRET_KEY=$(python -c 'import secrets; "
        "print(secrets.token_urlsafe())')",
        "SQLALCHEMY_DATABASE_URI": 'export SQLALCHEMY_DATABASE_URI="postgresql://'
        '<user>:<password>@<host-address>[:<port>]/<db>"',
    }
    how = "; ".join(hints[name] for name in missing)
    raise ConfigurationError(
        f"{' and '.join(missing)} not set (environment: {environment}). Set "
        f"{'them' if len(missing) > 1 else 'it'} as environment variable or in "
        f"~/{HOME_CONFIG_FILE}, e.g.: {how}. "
        "For a local try-out, use FLEXMEASURES_ENV=development (SQLite, generated key)."
    )


def _adapt_engine_options(settings: dict[str, Any]) -> None:
    """Drop PostgreSQL-only engine options when the database is SQLite."""
    uri = settings.get("SQLALCHEMY_DATABASE_URI") or ""
    if uri.startswith("sqlite"):
        options = dict(settings.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
        options.pop("connect_args", None)
        options.pop("pool_recycle", None)
        settings["SQLALCHEMY_ENGINE_OPTIONS"] = options
