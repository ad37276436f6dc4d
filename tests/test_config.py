"""Configuration: where settings come from, how they are typed, and what stops start-up."""

from __future__ import annotations

import json
import logging
import os
import shutil
import stat
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from flexmeasures.config import (
    ENVIRONMENTS,
    ConfigurationError,
    default_settings,
    get_environment,
    load_settings,
    resolve_instance_path,
)

SETTING_NAMES = {name for env in ENVIRONMENTS for name in default_settings(env)}
SQLITE_PREFIX = "sqlite:///"


@pytest.fixture
def clean_env(monkeypatch, tmp_path) -> Path:
    """No FlexMeasures settings in the environment, HOME in tmp_path; returns tmp_path."""
    for name in list(os.environ):
        if name in SETTING_NAMES or name.startswith(("FLEXMEASURES_", "SQLALCHEMY_", "FLASK_")):
            monkeypatch.delenv(name)
    (tmp_path / "home").mkdir()
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return tmp_path


@pytest.fixture
def instance(clean_env) -> Path:
    """An (empty) instance folder."""
    folder = clean_env / "instance"
    folder.mkdir()
    return folder


def write_home_config(clean_env: Path, text: str) -> None:
    (clean_env / "home" / ".flexmeasures.cfg").write_text(text)


def write_instance_config(instance: Path, text: str) -> None:
    (instance / "flexmeasures.cfg").write_text(text)


# Precedence


def test_each_source_overrides_the_ones_before(instance, clean_env, monkeypatch):
    settings = load_settings("development", instance)
    assert settings["FLEXMEASURES_PLATFORM_NAME"] == "FlexMeasures"  # seed default
    assert settings["LOGGING_LEVEL"] == logging.INFO  # development beats the seed's WARNING

    write_home_config(clean_env, 'FLEXMEASURES_PLATFORM_NAME = "Home"\nMAIL_PORT = 2525\n')
    settings = load_settings("development", instance)
    assert settings["FLEXMEASURES_PLATFORM_NAME"] == "Home"
    assert settings["MAIL_PORT"] == 2525

    write_instance_config(instance, 'FLEXMEASURES_PLATFORM_NAME = "Instance"\n')
    settings = load_settings("development", instance)
    assert settings["FLEXMEASURES_PLATFORM_NAME"] == "Instance"
    assert settings["MAIL_PORT"] == 2525  # what the instance file does not set stays

    monkeypatch.setenv("FLEXMEASURES_PLATFORM_NAME", "Environment")
    settings = load_settings("development", instance)
    assert settings["FLEXMEASURES_PLATFORM_NAME"] == "Environment"

    overrides = {"FLEXMEASURES_PLATFORM_NAME": "Override"}
    settings = load_settings("development", instance, overrides=overrides)
    assert settings["FLEXMEASURES_PLATFORM_NAME"] == "Override"


def test_config_file_beats_the_environment_class(instance, clean_env):
    write_home_config(clean_env, "LOGGING_LEVEL = logging.ERROR\n")
    assert load_settings("development", instance)["LOGGING_LEVEL"] == logging.ERROR


def test_environment_variable_sets_a_setting_only_a_config_file_defines(instance, monkeypatch):
    write_instance_config(instance, 'SERVER_NAME = "from-file.example.com"\n')
    monkeypatch.setenv("SERVER_NAME", "from-env.example.com")
    assert load_settings("development", instance)["SERVER_NAME"] == "from-env.example.com"


def test_testing_environment_always_uses_the_test_database(instance, monkeypatch):
    monkeypatch.setenv("SQLALCHEMY_DATABASE_URI", "postgresql://u:p@production-host/db")
    monkeypatch.setenv("SQLALCHEMY_TEST_DATABASE_URI", "postgresql://u:p@localhost/x_test")
    settings = load_settings("testing", instance)
    assert settings["SQLALCHEMY_DATABASE_URI"] == "postgresql://u:p@localhost/x_test"


def test_defaults_are_copies(instance):
    load_settings("development", instance)["FLEXMEASURES_LISTED_VIEWS"].append("metrics")
    assert "metrics" not in load_settings("development", instance)["FLEXMEASURES_LISTED_VIEWS"]


# Typed environment variables


@pytest.mark.parametrize(
    "name, text, expected",
    [
        ("FLEXMEASURES_PROFILE_REQUESTS", "true", True),
        ("FLEXMEASURES_PROFILE_REQUESTS", "On", True),
        ("FLEXMEASURES_PROFILE_REQUESTS", "0", False),
        ("MAIL_USE_TLS", "false", False),
        ("MAIL_PORT", "587", 587),
        ("SECURITY_TOKEN_MAX_AGE", "3600", 3600),
        ("FLEXMEASURES_PLUGIN_PATHS", '["/opt/a", "/opt/b"]', ["/opt/a", "/opt/b"]),
        ("FLEXMEASURES_HOSTS_AND_AUTH_START", '{"x.org": "2020-01"}', {"x.org": "2020-01"}),
        ("MAIL_DEFAULT_SENDER", '["Me", "me@x.org"]', ("Me", "me@x.org")),
        ("FLEXMEASURES_PLANNING_HORIZON", "PT48H", timedelta(hours=48)),
        ("FLEXMEASURES_PLANNING_HORIZON", "P1DT1H30M", timedelta(days=1, hours=1, minutes=30)),
        ("FLEXMEASURES_PLANNING_HORIZON", "5400", timedelta(minutes=90)),
        ("FLEXMEASURES_PLANNING_TTL", "P7D", timedelta(days=7)),
        ("FLEXMEASURES_PLANNING_TTL", "-PT1S", timedelta(seconds=-1)),  # persist forever
        ("LOGGING_LEVEL", "DEBUG", logging.DEBUG),
        ("LOGGING_LEVEL", "logging.ERROR", logging.ERROR),
        ("LOGGING_LEVEL", "15", 15),
        ("FLEXMEASURES_DEMO_YEAR", "2015", 2015),
        (
            "FLEXMEASURES_PUBLIC_DEMO_CREDENTIALS",
            '["demo@x.org", "flexdemo"]',
            ("demo@x.org", "flexdemo"),
        ),
        ("FLEXMEASURES_REDIS_URL", "redis.example.com", "redis.example.com"),
        ("CORS_ORIGINS", "*", "*"),
        ("CORS_ORIGINS", '["http://localhost:3000"]', ["http://localhost:3000"]),
        ("FLEXMEASURES_MODE", "Play", "play"),
    ],
)
def test_environment_variables_are_typed_like_their_setting(
    instance, monkeypatch, name, text, expected
):
    monkeypatch.setenv(name, text)
    value = load_settings("development", instance)[name]
    assert value == expected
    assert type(value) is type(expected)


@pytest.mark.parametrize(
    "name, text, hint",
    [
        ("MAIL_PORT", "twenty-five", "invalid literal"),
        ("FLEXMEASURES_PROFILE_REQUESTS", "maybe", "true or false"),
        ("FLEXMEASURES_PLANNING_HORIZON", "48 hours", "ISO 8601"),
        ("FLEXMEASURES_PLANNING_TTL", "P", "ISO 8601"),
        ("FLEXMEASURES_PLUGIN_PATHS", "/opt/our_client", "JSON list"),
        ("FLEXMEASURES_PLUGIN_PATHS", '"/opt/our_client"', "JSON list"),
        ("FLEXMEASURES_HOSTS_AND_AUTH_START", '["flexmeasures.io"]', "JSON object"),
        ("LOGGING_LEVEL", "LOUD", "not a logging level"),
        ("FLEXMEASURES_DEMO_YEAR", "soon", "invalid literal"),
    ],
)
def test_a_bad_environment_variable_is_named_in_the_error(instance, monkeypatch, name, text, hint):
    monkeypatch.setenv(name, text)
    with pytest.raises(ConfigurationError, match=f"{name}=") as error:
        load_settings("development", instance)
    assert hint in str(error.value)


def test_config_files_may_give_durations_and_levels_as_text(instance):
    write_instance_config(
        instance, 'FLEXMEASURES_PLANNING_HORIZON = "PT12H"\nLOGGING_LEVEL = "WARNING"\n'
    )
    settings = load_settings("development", instance)
    assert settings["FLEXMEASURES_PLANNING_HORIZON"] == timedelta(hours=12)
    assert settings["LOGGING_LEVEL"] == logging.WARNING


@pytest.mark.parametrize(
    "line, message",
    [
        ('FLEXMEASURES_PLUGIN_PATHS = "/opt/our_client"', "FLEXMEASURES_PLUGIN_PATHS must be"),
        ('MAIL_USE_SSL = "yes"', "MAIL_USE_SSL must be of type bool"),
        ('FLEXMEASURES_PLANNING_TTL = "a week"', "FLEXMEASURES_PLANNING_TTL is invalid"),
        ('FLEXMEASURES_PUBLIC_DEMO_CREDENTIALS = ("demo@x.org",)', "an (email, password) pair"),
        ("MAIL_PORT = ", "Could not read config file"),
    ],
)
def test_a_bad_value_in_a_config_file_is_named_in_the_error(instance, line, message):
    write_instance_config(instance, line + "\n")
    with pytest.raises(ConfigurationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_settings("development", instance)


@pytest.mark.parametrize("uri", ["foo://x", "not a url"])
def test_an_unusable_database_url_is_a_configuration_error(instance, uri):
    from flexmeasures.app import create_app

    with pytest.raises(ConfigurationError, match="SQLALCHEMY_DATABASE_URI is not a database URL"):
        create_app("development", settings={"SQLALCHEMY_DATABASE_URI": uri}, instance_path=instance)


# Environments and modes


def test_environment_comes_from_flexmeasures_env_before_flask_env(clean_env, monkeypatch):
    assert get_environment() == "production"
    assert get_environment(default="development") == "development"
    monkeypatch.setenv("FLASK_ENV", "staging")
    assert get_environment() == "staging"
    monkeypatch.setenv("FLEXMEASURES_ENV", "Testing")
    assert get_environment() == "testing"


def test_an_unknown_environment_lists_the_valid_ones(instance, monkeypatch):
    monkeypatch.setenv("FLEXMEASURES_ENV", "prod")
    with pytest.raises(ConfigurationError, match="Unknown environment 'prod'") as error:
        get_environment()
    assert "development, testing, staging, production" in str(error.value)
    with pytest.raises(ConfigurationError, match="Unknown environment 'live'"):
        load_settings("live", instance)


@pytest.mark.parametrize(
    "mode, expected", [("", ""), (" ", ""), ("demo", "demo"), ("PLAY", "play")]
)
def test_valid_modes_are_normalised(instance, mode, expected):
    settings = load_settings("development", instance, overrides={"FLEXMEASURES_MODE": mode})
    assert settings["FLEXMEASURES_MODE"] == expected


def test_an_unknown_mode_lists_the_valid_ones(instance, monkeypatch):
    monkeypatch.setenv("FLEXMEASURES_MODE", "party")
    with pytest.raises(ConfigurationError, match="Unknown FLEXMEASURES_MODE 'party'") as error:
        load_settings("development", instance)
    assert '"", "demo", "play"' in str(error.value)


# Production requirements


@pytest.mark.parametrize("environment", ["production", "staging"])
def test_production_without_secret_key_and_database_says_how_to_fix(instance, environment):
    with pytest.raises(ConfigurationError) as error:
        load_settings(environment, instance)
    message = str(error.value)
    assert message.startswith("SECRET_KEY and SQLALCHEMY_DATABASE_URI not set")
    assert "export SECRET_KEY=" in message
    assert 'export SQLALCHEMY_DATABASE_URI="postgresql://' in message
    assert str(instance / "flexmeasures.cfg") in message  # where the instance folder is
    assert "FLEXMEASURES_ENV=development" in message
    assert not (instance / "secret_key").exists()  # nothing generated outside development


def test_production_names_only_what_is_missing(instance, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "a-long-secret")
    with pytest.raises(ConfigurationError) as error:
        load_settings("production", instance)
    assert str(error.value).startswith("SQLALCHEMY_DATABASE_URI not set (environment: production)")


def test_production_with_required_settings_keeps_pg_options(instance, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "a-long-secret")
    monkeypatch.setenv("SQLALCHEMY_DATABASE_URI", "postgresql://fm:fm@db.example.com/fm")
    settings = load_settings("production", instance)
    assert settings["SECURITY_PASSWORD_SALT"] == "a-long-secret"  # the seed's fallback
    options = settings["SQLALCHEMY_ENGINE_OPTIONS"]
    assert options["connect_args"] == {"options": "-c timezone=utc"}
    assert options["pool_recycle"] == 299


def test_create_app_settings_count_for_the_production_check(clean_env, tmp_path):
    from flexmeasures.app import create_app

    app = create_app(
        "production",
        settings={"SECRET_KEY": "s3cret", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db"},
        instance_path=tmp_path / "instance",
    )
    assert app.config["FLEXMEASURES_ENV"] == "production"
    assert app.instance_path == str(tmp_path / "instance")


# The development fallback (the embedded default)


def test_development_falls_back_to_sqlite_and_a_kept_secret_key(instance):
    settings = load_settings("development", instance)
    assert settings["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{instance / 'flexmeasures.db'}"
    key_file = instance / "secret_key"
    assert settings["SECRET_KEY"] == key_file.read_text().strip()
    assert len(settings["SECRET_KEY"]) >= 32
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert load_settings("development", instance)["SECRET_KEY"] == settings["SECRET_KEY"]


def test_development_creates_a_missing_instance_folder(clean_env):
    folder = clean_env / "new" / "instance"
    settings = load_settings("development", folder)
    assert settings["SQLALCHEMY_DATABASE_URI"].startswith(SQLITE_PREFIX + str(folder))
    assert (folder / "secret_key").is_file()


def test_configured_database_and_key_are_kept_in_development(instance, monkeypatch):
    monkeypatch.setenv("SQLALCHEMY_DATABASE_URI", "postgresql://fm:fm@localhost/fm")
    monkeypatch.setenv("SECRET_KEY", "mine")
    settings = load_settings("development", instance)
    assert settings["SQLALCHEMY_DATABASE_URI"] == "postgresql://fm:fm@localhost/fm"
    assert settings["SECRET_KEY"] == "mine"
    assert not (instance / "secret_key").exists()


def test_sqlite_gets_no_postgres_connect_args(instance):
    options = load_settings("development", instance)["SQLALCHEMY_ENGINE_OPTIONS"]
    assert "connect_args" not in options
    assert options["pool_pre_ping"] is True


def test_sqlite_keeps_its_own_connect_args(instance):
    write_instance_config(
        instance,
        "SQLALCHEMY_ENGINE_OPTIONS = "
        '{"connect_args": {"options": "-c timezone=utc", "timeout": 30}}\n',
    )
    options = load_settings("development", instance)["SQLALCHEMY_ENGINE_OPTIONS"]
    assert options["connect_args"] == {"timeout": 30}


def test_instance_path_comes_from_argument_then_environment_then_flask(clean_env, monkeypatch):
    assert resolve_instance_path() == Path(__file__).resolve().parent.parent / "instance"
    monkeypatch.setenv("FLEXMEASURES_INSTANCE_PATH", str(clean_env / "env-instance"))
    assert resolve_instance_path() == clean_env / "env-instance"
    assert resolve_instance_path(clean_env / "arg") == clean_env / "arg"


# The command line, without configuration


def flexmeasures_script() -> str:
    """The installed ``flexmeasures`` console script (next to this Python, or on the PATH)."""
    script = Path(sys.executable).parent / "flexmeasures"
    return str(script) if script.exists() else shutil.which("flexmeasures")


def clean_environment(tmp_path: Path, **env: str) -> dict[str, str]:
    """A process environment with no FlexMeasures settings, HOME and instance in tmp_path."""
    (tmp_path / "home").mkdir(exist_ok=True)
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path / "home"),
        "FLEXMEASURES_INSTANCE_PATH": str(tmp_path / "instance"),
        **env,
    }


def run_cli(args: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    """Run ``flexmeasures <args>`` with a clean environment."""
    return subprocess.run(
        [flexmeasures_script(), *args],
        env=clean_environment(tmp_path, **env),
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_cli_help_needs_no_configuration(tmp_path):
    result = run_cli(["--help"], tmp_path, FLEXMEASURES_ENV="production")
    assert result.returncode == 0, result.stderr
    for command in ("add", "db", "db-ops", "delete", "jobs", "run", "shell"):
        assert f"\n  {command} " in result.stdout
    assert result.stderr == ""
    assert not (tmp_path / "instance").exists()  # no app was created


def test_cli_version_names_flexmeasures_not_just_flask():
    from click.testing import CliRunner

    from flexmeasures import __version__
    from flexmeasures.cli import cli

    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == f"FlexMeasures {__version__}"
    assert "Flask " in result.output


def test_cli_command_in_production_without_settings_fails_in_one_line(tmp_path):
    result = run_cli(["db", "current"], tmp_path, FLEXMEASURES_ENV="production")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    error = result.stderr.strip()
    assert error.startswith("Error: SECRET_KEY and SQLALCHEMY_DATABASE_URI not set")
    assert "\n" not in error


def test_cli_with_an_unknown_environment_fails_in_one_line(tmp_path):
    result = run_cli(["shell"], tmp_path, FLEXMEASURES_ENV="prod")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().startswith("Error: Unknown environment 'prod'")


def test_cli_help_imports_neither_app_nor_migrations(tmp_path):
    """``--help`` is instant: it creates no app and imports no Alembic/SQLAlchemy."""
    script = (
        "import json, sys\n"
        "from flexmeasures.cli import cli\n"
        "cli.main(['--help'], prog_name='flexmeasures', standalone_mode=False)\n"
        "heavy = [m for m in ('flexmeasures.app', 'alembic', 'sqlalchemy') if m in sys.modules]\n"
        "print('HEAVY', json.dumps(heavy))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        env=clean_environment(tmp_path, FLEXMEASURES_ENV="production"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.split("HEAVY", 1)[1]) == []
