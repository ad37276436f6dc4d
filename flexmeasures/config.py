"""Configuration: the seed's settings with their defaults, and how they are loaded.

Precedence, from lowest to highest (a later source overrides an earlier one):

1. ``Config`` below: the defaults of the seed's Configuration chapter;
2. the environment's class (``DevelopmentConfig``, ``TestingConfig``, ``StagingConfig``,
   ``ProductionConfig``), selected by ``FLEXMEASURES_ENV`` (or ``FLASK_ENV``); the web app
   (WSGI) defaults to production, the ``flexmeasures`` CLI to development;
3. ``~/.flexmeasures.cfg`` in the user's home directory (Python syntax; ``timedelta`` and
   ``logging`` need no import);
4. ``flexmeasures.cfg`` in the app's instance folder (``FLEXMEASURES_INSTANCE_PATH``, or
   Flask's default ``instance/`` folder next to the ``flexmeasures`` package);
5. environment variables named like the setting (e.g. ``SECRET_KEY``,
   ``FLEXMEASURES_REDIS_URL``), for every setting defined by a source above;
6. in the testing environment, ``SQLALCHEMY_TEST_DATABASE_URI`` (default: the seed's
   ``flexmeasures_test`` database) replaces ``SQLALCHEMY_DATABASE_URI``, so tests never
   touch another database;
7. settings passed to ``create_app(settings=...)`` (used by tests and embedding code).

Environment variables are typed like the setting they set: booleans as ``true``/``false``
(also ``1``/``0``, ``yes``/``no``, ``on``/``off``), integers as digits, lists, dicts and
tuples as JSON (``FLEXMEASURES_PLUGIN_PATHS='["/path/to/our_client"]'``; ``CORS_ORIGINS`` and
``CORS_RESOURCES`` also take a plain string such as ``*``), durations as ISO 8601
(``PT48H``, ``P7D``) or a number of seconds, and ``LOGGING_LEVEL`` as a level name
(``INFO``, ``logging.INFO``) or number. Config files may also give durations and the
logging level as such strings. A value of the wrong type, from any source, stops start-up
with a ``ConfigurationError`` naming the setting; so do an unknown environment name and an
unknown ``FLEXMEASURES_MODE`` (valid: ``""``, ``"demo"``, ``"play"``; the seed's default
``" "`` counts as ``""``).

Departures from the seed's defaults, because they would not work on a fresh machine:

- ``FLEXMEASURES_REDIS_URL`` defaults to ``None`` (seed: ``"localhost"``): without a configured
  Redis, jobs run in-process, so that ``flexmeasures run`` works without services.
- ``FLEXMEASURES_LP_SOLVER`` defaults to ``"highs"`` (seed: ``"cbc"``): HiGHS comes from PyPI,
  CBC needs a system binary (``apt-get install coinor-cbc``).
- In development, a missing ``SQLALCHEMY_DATABASE_URI`` means a SQLite file
  (``flexmeasures.db``) in the instance folder and a missing ``SECRET_KEY`` is generated
  once and kept in the instance folder (file ``secret_key``, readable by its owner only).
  In staging and production both are required; the error says how to set them and where
  the instance folder is.
- On SQLite, the PostgreSQL-only connection option (``-c timezone=utc``) is left out of
  ``SQLALCHEMY_ENGINE_OPTIONS``.
- Flask-Security's own ``users`` and ``roles`` CLI groups are switched off
  (``SECURITY_CLI_USERS_NAME``/``SECURITY_CLI_ROLES_NAME`` are ``False``): ``flexmeasures add
  user`` and ``delete user`` also keep users' data sources right, and the command listing
  needs no app.
"""

from __future__ import annotations

import copy
import functools
import json
import logging
import os
import re
import runpy
import types
import typing
from datetime import timedelta
from pathlib import Path
from typing import Any

from flexmeasures.modes import VALID_MODES

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

    # Data
    FLEXMEASURES_CAPACITY_TOLERANCE: float = 0.1

    # Forecasting
    FLEXMEASURES_FORECASTING_MODELS: dict[str, str] = {}
    FLEXMEASURES_FORECASTING_SELECTION_MAX_AGE: timedelta = timedelta(days=7)
    FLEXMEASURES_WEATHER_FORECAST_URL: str = "https://api.open-meteo.com/v1/forecast"

    # Tokens
    DARK_SKY_API_KEY: str | None = None
    MAPBOX_ACCESS_TOKEN: str | None = None
    # Not in the seed: map tiles from a server of one's own (Leaflet URL template).
    FLEXMEASURES_MAP_TILE_URL: str | None = None
    FLEXMEASURES_MAP_TILE_ATTRIBUTION: str = ""
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
    # None: use MAIL_DEFAULT_SENDER (so one setting names the sender of every email).
    SECURITY_EMAIL_SENDER: str | tuple[str, str] | None = None
    SECURITY_USERNAME_ENABLE: bool = False
    SECURITY_CLI_USERS_NAME: str | bool = False
    SECURITY_CLI_ROLES_NAME: str | bool = False
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
    # Not in the seed: the Redis pub/sub channel on which the marketplace's stream messages
    # reach every server process (flexmeasures.market.fanout).
    FLEXMEASURES_MARKET_STREAMS_CHANNEL: str = "flexmeasures-market-streams"

    # Not in the seed: HTTPS for `flexmeasures run` (PEM files; --cert/--key override them).
    FLEXMEASURES_TLS_CERT_FILE: str | None = None
    FLEXMEASURES_TLS_KEY_FILE: str | None = None

    # Demonstrations
    FLEXMEASURES_PUBLIC_DEMO_CREDENTIALS: tuple[str, str] | None = None
    FLEXMEASURES_DEMO_YEAR: int | None = None
    FLEXMEASURES_LISTED_VIEWS: list[str] = [
        "dashboard",
        "analytics",
        "portfolio",
        "assets",
        "users",
    ]  # the seed's default; "upload", "control" and "tasks" are pages that can be added

    # rq-dashboard at /rq: how often it refreshes itself, in milliseconds (seed: 3000).
    RQ_DASHBOARD_POLL_INTERVAL: int = 3000

    # Requests: the largest request body accepted, in bytes (413 above it). Ten years of
    # 15-minute values (350,640 numbers) take about 7 MB as JSON.
    MAX_CONTENT_LENGTH: int = 64 * 1024 * 1024

    # Flask-WTF: forms keep CSRF protection; the token-authenticated API does not use forms.
    WTF_CSRF_ENABLED: bool = True

    # Not in the seed: the flexibility marketplace (flexmeasures.market, documentation/market.md).
    # Lifetimes of its OAuth2 access and refresh tokens, in seconds.
    FLEXMEASURES_MARKET_ACCESS_TOKEN_TTL: int = 3600
    FLEXMEASURES_MARKET_REFRESH_TOKEN_TTL: int = 86400
    # Requests per user per minute to the marketplace's REST API (429 above it; 0: no limit).
    FLEXMEASURES_MARKET_RATE_LIMIT: int = 600
    # Price levels per side in each orderbook_update stream message (0: the whole book).
    FLEXMEASURES_MARKET_ORDERBOOK_DEPTH: int = 20

    # Not in the seed: trading the platform's flexibility on a GLocalFlex-compatible
    # marketplace (flexmeasures.market.connector / trading, documentation/trading.md).
    FLEXMEASURES_TRADING_MARKET_URL: str | None = None  # e.g. https://market.example.com
    FLEXMEASURES_TRADING_USERNAME: str | None = None
    FLEXMEASURES_TRADING_PASSWORD: str | None = None
    FLEXMEASURES_TRADING_TOKEN: str | None = None  # instead of username/password
    # True (check certificates), a CA bundle path, or False (never in production).
    FLEXMEASURES_TRADING_VERIFY_TLS: bool | str = True
    FLEXMEASURES_TRADING_MAX_RETRIES: int = 4  # for 429, 5xx and connection errors
    FLEXMEASURES_TRADING_BACKOFF_SECONDS: float = 0.5  # doubled per retry, at most 8 s
    # The offer strategy's defaults (an asset's trading settings override them):
    FLEXMEASURES_TRADING_MARGIN_EUR_PER_KWH: float = 0.01
    FLEXMEASURES_TRADING_LEAD_TIME_MINUTES: int = 60  # offers expire this long before delivery
    # The market price expected for flexibility (EUR/kWh): a slot is offered when this
    # exceeds the asset's cost of deviating.
    FLEXMEASURES_TRADING_EXPECTED_PRICE_EUR_PER_KWH: float = 0.2


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
SQLITE_FILE = "flexmeasures.db"
SECRET_KEY_FILE = "secret_key"
REQUIRED_IN_PRODUCTION = ("SECRET_KEY", "SQLALCHEMY_DATABASE_URI")
# Settings that Flask-CORS also accepts as a plain string (e.g. "*").
STRING_OR_JSON_SETTINGS = ("CORS_ORIGINS", "CORS_RESOURCES")


def check_environment(name: str) -> str:
    """Return the normalised environment name, or raise ConfigurationError listing valid ones."""
    env = name.strip().lower()
    if env not in ENVIRONMENTS:
        raise ConfigurationError(
            f"Unknown environment '{name}' (from FLEXMEASURES_ENV/FLASK_ENV); "
            f"choose one of: {', '.join(ENVIRONMENTS)}."
        )
    return env


def get_environment(default: str = DEFAULT_WSGI_ENVIRONMENT) -> str:
    """Return the environment name from ``FLEXMEASURES_ENV`` or ``FLASK_ENV`` (or ``default``).

    Raises ConfigurationError for a name that is not one of ENVIRONMENTS.
    """
    return check_environment(
        os.environ.get("FLEXMEASURES_ENV") or os.environ.get("FLASK_ENV") or default
    )


def resolve_instance_path(instance_path: str | os.PathLike | None = None) -> Path:
    """Return the absolute instance folder: the argument, else ``FLEXMEASURES_INSTANCE_PATH``,
    else Flask's default for the ``flexmeasures`` package (``instance/`` next to the package
    in a source checkout, ``<prefix>/var/flexmeasures-instance`` when installed).
    """
    instance_path = instance_path or os.environ.get("FLEXMEASURES_INSTANCE_PATH")
    if instance_path:
        return Path(instance_path).expanduser().resolve()
    from flask.sansio.scaffold import find_package

    prefix, package_path = find_package("flexmeasures")
    if prefix is None:
        return Path(package_path) / "instance"
    return Path(prefix) / "var" / "flexmeasures-instance"


def default_settings(environment: str) -> dict[str, Any]:
    """Return (a copy of) the settings of the environment's config class: name → value."""
    cls = CONFIG_CLASSES[check_environment(environment)]
    return {name: copy.deepcopy(getattr(cls, name)) for name in dir(cls) if name.isupper()}


def read_config_file(path: Path) -> dict[str, Any]:
    """Execute a Python-syntax config file and return the upper-case names it defines.

    Returns an empty dict if the file does not exist. Raises ConfigurationError (naming
    the file and line) when it cannot be executed.
    """
    if not path.is_file():
        return {}
    predefined = {"timedelta": timedelta, "logging": logging}
    try:
        namespace = runpy.run_path(str(path), init_globals=predefined)
    except Exception as exc:  # any error in a user's file must become a clear message
        raise ConfigurationError(f"Could not read config file {path}: {exc!r}") from exc
    return {name: value for name, value in namespace.items() if name.isupper()}


@functools.cache
def declared_types() -> dict[str, tuple[type | None, bool]]:
    """The type of every setting declared on ``Config`` (None if several) and if None is allowed."""
    declared = {}
    for name, hint in typing.get_type_hints(Config).items():
        is_union = typing.get_origin(hint) in (typing.Union, types.UnionType)
        options = typing.get_args(hint) if is_union else (hint,)
        concrete = [option for option in options if option is not type(None)]
        kind = (typing.get_origin(concrete[0]) or concrete[0]) if len(concrete) == 1 else None
        declared[name] = (kind, len(concrete) < len(options))
    return declared


def setting_type(name: str, default: Any) -> type | None:
    """The type a setting's value must have: declared on ``Config``, else its default's type."""
    if name in declared_types():
        return declared_types()[name][0]
    return None if default is None else type(default)


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
    if not match or text.upper().rstrip("T").lstrip("-") == "P":
        raise ValueError(f"'{text}' is not an ISO 8601 duration (e.g. PT48H) nor seconds")
    parts = {k: float(v) for k, v in match.groupdict().items() if v and k != "sign"}
    duration = timedelta(**parts)
    return -duration if match.group("sign") else duration


def parse_logging_level(value: int | str) -> int:
    """Return a logging level number from a number or a name (``INFO``, ``logging.INFO``)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = str(value).strip()
    level = logging.getLevelNamesMapping().get(text.upper().removeprefix("LOGGING."))
    if level is not None:
        return level
    try:
        return int(text)
    except ValueError:
        names = ", ".join(sorted(logging.getLevelNamesMapping(), key=logging.getLevelName))
        raise ValueError(
            f"'{value}' is not a logging level; use a number or one of {names}"
        ) from None


_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off", "")
_TYPE_NAMES = {list: "a JSON list", dict: "a JSON object", tuple: "a JSON list"}


def parse_env_value(name: str, text: str, kind: type | None) -> Any:
    """Convert an environment variable's text to the setting's type (``kind``).

    Raises ConfigurationError naming the variable when the text does not fit the type.
    """
    try:
        if name == "LOGGING_LEVEL":
            return parse_logging_level(text)
        if kind is bool:
            if text.strip().lower() not in _TRUE + _FALSE:
                raise ValueError("use true or false")
            return text.strip().lower() in _TRUE
        if kind in (int, float):
            return kind(text)
        if kind is timedelta:
            return parse_duration(text)
        if kind in (list, dict, tuple):
            return _parse_json_setting(name, text, kind)
    except ValueError as exc:
        raise ConfigurationError(f"Environment variable {name}='{text}' is invalid: {exc}") from exc
    return text


def _parse_json_setting(name: str, text: str, kind: type) -> Any:
    """Parse a list/dict/tuple setting given as JSON (some CORS settings also as plain text)."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        if name in STRING_OR_JSON_SETTINGS:
            return text
        example = _json_example(kind)
        raise ValueError(f"expected {_TYPE_NAMES[kind]}, e.g. {example} ({exc})") from None
    if name in STRING_OR_JSON_SETTINGS:
        return value
    if not isinstance(value, list if kind is tuple else kind):
        raise ValueError(f"expected {_TYPE_NAMES[kind]}, e.g. {_json_example(kind)}")
    return tuple(value) if kind is tuple else value


def _json_example(kind: type) -> str:
    """A JSON example of a value of this kind, for error messages."""
    return '{"key": "value"}' if kind is dict else '["first", "second"]'


def read_environment_variables(defaults: dict[str, Any]) -> dict[str, Any]:
    """Return the settings given as environment variables, typed like their settings."""
    return {
        name: parse_env_value(name, os.environ[name], setting_type(name, default))
        for name, default in defaults.items()
        if name in os.environ
    }


def collect_settings(environment: str, instance_path: Path) -> dict[str, Any]:
    """Gather the settings from every source, in the precedence the module doc describes.

    Reads but does not check or complete them, and writes nothing (see ``load_settings``).
    """
    settings = default_settings(environment)
    settings.update(read_config_file(Path.home() / HOME_CONFIG_FILE))
    settings.update(read_config_file(instance_path / INSTANCE_CONFIG_FILE))
    settings.update(read_environment_variables(settings))
    if environment == "testing":
        settings["SQLALCHEMY_DATABASE_URI"] = os.environ.get(
            "SQLALCHEMY_TEST_DATABASE_URI", DEFAULT_TEST_DATABASE_URI
        )
    return settings


def load_settings(
    environment: str, instance_path: Path, overrides: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Return the complete, checked settings for an environment and instance folder.

    ``overrides`` take precedence over every other source. In development, fills in the
    embedded defaults (which may create the instance folder and its secret key file).
    Raises ConfigurationError with a how-to-fix message for a missing or invalid setting.
    """
    environment = check_environment(environment)
    settings = collect_settings(environment, instance_path)
    settings.update(overrides or {})
    settings["FLEXMEASURES_ENV"] = environment
    _normalise(settings)
    _fill_in_embedded_defaults(settings, environment, instance_path)
    _check_required(settings, environment, instance_path)
    _adapt_engine_options(settings)
    if settings.get("SECURITY_PASSWORD_SALT") is None:
        settings["SECURITY_PASSWORD_SALT"] = settings["SECRET_KEY"]
    if settings.get("SECURITY_EMAIL_SENDER") is None:
        settings["SECURITY_EMAIL_SENDER"] = settings.get("MAIL_DEFAULT_SENDER")
    return settings


def _normalise(settings: dict[str, Any]) -> None:
    """Convert durations, the logging level and the mode to their types; check all types."""
    try:
        settings["LOGGING_LEVEL"] = parse_logging_level(settings["LOGGING_LEVEL"])
    except ValueError as exc:
        raise ConfigurationError(f"LOGGING_LEVEL is invalid: {exc}") from exc
    settings["FLEXMEASURES_MODE"] = _valid_mode(settings.get("FLEXMEASURES_MODE"))
    _check_demo_credentials(settings.get("FLEXMEASURES_PUBLIC_DEMO_CREDENTIALS"))
    for name, value in settings.items():
        kind, optional = declared_types().get(name, (None, True))
        if value is None and optional or kind is None or name in STRING_OR_JSON_SETTINGS:
            continue
        settings[name] = _typed(name, value, kind)
    if settings.get("FLEXMEASURES_CAPACITY_TOLERANCE", 0) < 0:
        raise ConfigurationError(
            "FLEXMEASURES_CAPACITY_TOLERANCE must be zero or more (a fraction of the capacity)."
        )


def _typed(name: str, value: Any, kind: type) -> Any:
    """Return the value as the setting's type (durations and tuples converted), or raise."""
    if kind is timedelta and isinstance(value, str | int | float) and not isinstance(value, bool):
        try:
            return parse_duration(str(value))
        except ValueError as exc:
            raise ConfigurationError(f"{name} is invalid: {exc}") from exc
    if kind is tuple and isinstance(value, list):
        return tuple(value)
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if kind is int and isinstance(value, bool) or not isinstance(value, kind):
        raise ConfigurationError(
            f"{name} must be of type {kind.__name__}, not {type(value).__name__} ({value!r})."
        )
    return value


def _valid_mode(mode: Any) -> str:
    """Return the normalised FLEXMEASURES_MODE, or raise ConfigurationError naming valid ones."""
    normalised = (mode or "").strip().lower() if isinstance(mode, str | None) else mode
    if normalised not in VALID_MODES:
        valid = ", ".join(f'"{name}"' for name in VALID_MODES)
        raise ConfigurationError(f"Unknown FLEXMEASURES_MODE {mode!r}; choose one of: {valid}.")
    return normalised


def _check_demo_credentials(credentials: Any) -> None:
    """Raise ConfigurationError unless the public demo credentials are None or two strings."""
    if credentials is None:
        return
    if not isinstance(credentials, list | tuple) or len(credentials) != 2:
        credentials = [None]
    if not all(isinstance(part, str) for part in credentials):
        raise ConfigurationError(
            "FLEXMEASURES_PUBLIC_DEMO_CREDENTIALS must be an (email, password) pair, e.g. "
            '("demo@seita.nl", "flexdemo"); as environment variable: ["demo@seita.nl", "flexdemo"].'
        )


def _fill_in_embedded_defaults(
    settings: dict[str, Any], environment: str, instance_path: Path
) -> None:
    """In development, fall back to a SQLite file and a kept secret key in the instance folder."""
    if environment != "development":
        return
    if not settings.get("SQLALCHEMY_DATABASE_URI"):
        instance_path.mkdir(parents=True, exist_ok=True)
        settings["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{instance_path / SQLITE_FILE}"
    if not settings.get("SECRET_KEY"):
        settings["SECRET_KEY"] = _instance_secret_key(instance_path)


def _instance_secret_key(instance_path: Path) -> str:
    """Read the secret key kept in the instance folder, creating it (owner-only) on first use."""
    import secrets

    key_file = instance_path / SECRET_KEY_FILE
    instance_path.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return key_file.read_text().strip()
    with os.fdopen(descriptor, "w") as file:
        file.write(secrets.token_urlsafe(32))
    return key_file.read_text().strip()


def _check_required(settings: dict[str, Any], environment: str, instance_path: Path) -> None:
    """Stop start-up when a required setting is missing, saying how and where to set it."""
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
        f"~/{HOME_CONFIG_FILE} or {instance_path / INSTANCE_CONFIG_FILE}, e.g.: {how}. "
        "For a local try-out, use FLEXMEASURES_ENV=development (SQLite, generated key)."
    )


def _adapt_engine_options(settings: dict[str, Any]) -> None:
    """Drop the PostgreSQL-only connection option when the database is SQLite."""
    uri = settings.get("SQLALCHEMY_DATABASE_URI") or ""
    if not uri.startswith("sqlite"):
        return
    options = dict(settings.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    connect_args = dict(options.pop("connect_args", None) or {})
    connect_args.pop("options", None)
    if connect_args:
        options["connect_args"] = connect_args
    settings["SQLALCHEMY_ENGINE_OPTIONS"] = options
