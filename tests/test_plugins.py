"""Plugins: the seed's showcase plugin (a view and a CLI command), a plugin with its own
modules, the menu, and clear errors for misconfigured FLEXMEASURES_PLUGIN_PATHS."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask

from flexmeasures.app import create_app
from flexmeasures.cli import cli
from flexmeasures.config import ConfigurationError
from flexmeasures.plugins import plugin_cli_commands, register_plugins
from tests.conftest import TEST_PASSWORD

PLUGINS = Path(__file__).parent / "plugins"
OUR_CLIENT = PLUGINS / "our_client"
OTHER_CLIENT = PLUGINS / "other_client"


@pytest.fixture(scope="module")
def plugin_app(app: Flask) -> Flask:
    """A testing app (on the session's migrated database) with both example plugins."""
    return create_app(
        "testing",
        settings={
            "FLEXMEASURES_PLUGIN_PATHS": [str(OUR_CLIENT), str(OTHER_CLIENT)],
            "FLEXMEASURES_LISTED_VIEWS": ["dashboard", "metrics", "not-a-view"],
            "FLEXMEASURES_REDIS_URL": None,
        },
    )


@pytest.fixture
def plugin_client(plugin_app, db):
    return plugin_app.test_client()


def log_in(client, email: str) -> None:
    response = client.post("/login", data={"email": email, "password": TEST_PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)


# The showcase plugin


def test_plugins_are_registered_and_recorded(plugin_app):
    assert plugin_app.config["LOADED_PLUGINS"] == {
        "our_client": str(OUR_CLIENT),
        "other_client": str(OTHER_CLIENT),
    }


def test_plugin_view_needs_a_login(plugin_client):
    response = plugin_client.get("/metrics")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_plugin_view_renders_in_the_flexmeasures_layout(plugin_client, users):
    log_in(plugin_client, users["prosumer"].email)
    response = plugin_client.get("/metrics")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert '<p class="plugin-message">I am part of FM !</p>' in page
    assert "<title>Metrics · FlexMeasures</title>" in page
    assert users["prosumer"].email in page  # base.html's account bar


def test_plugin_views_listed_in_the_config_appear_in_the_menu(plugin_client, users):
    log_in(plugin_client, users["prosumer"].email)
    page = plugin_client.get("/metrics").get_data(as_text=True)
    nav = page.split('<nav aria-label="Main menu">', 1)[1].split("</nav>", 1)[0]
    assert '<a href="/metrics" aria-current="page">Metrics</a>' in nav
    assert '<a href="/">Dashboard</a>' in nav
    assert "not-a-view" not in nav.lower()  # listed views without a route are left out


def test_plugin_cli_command_has_the_app(plugin_app):
    result = plugin_app.test_cli_runner().invoke(args=["our_client", "test"])
    assert result.exit_code == 0, result.output
    assert result.output == "I am a CLI command, part of FlexMeasures: <Flask 'flexmeasures'>\n"


def test_plugin_using_its_own_module(plugin_client):
    response = plugin_client.get("/other-client/peak-price")
    assert response.json == {"peak_price": 65.5, "unit": "EUR/MWh"}


def test_plugin_using_its_own_module_in_the_cli(plugin_app):
    result = plugin_app.test_cli_runner().invoke(args=["other_client", "peak-price"])
    assert result.exit_code == 0, result.output
    assert result.output == "65.5 EUR/MWh\n"


# The flexmeasures command line


def cli_env(tmp_path: Path, plugin_paths: list[str] | str) -> dict[str, str | None]:
    """Environment for running ``flexmeasures`` with plugins, HOME and instance in tmp_path."""
    (tmp_path / "home").mkdir(exist_ok=True)
    names = [n for n in os.environ if n.startswith(("FLEXMEASURES_", "SQLALCHEMY_", "FLASK_"))]
    return {
        **dict.fromkeys(names),
        "HOME": str(tmp_path / "home"),
        "FLEXMEASURES_ENV": "development",
        "FLEXMEASURES_INSTANCE_PATH": str(tmp_path / "instance"),
        "FLEXMEASURES_PLUGIN_PATHS": json.dumps(plugin_paths)
        if isinstance(plugin_paths, list)
        else plugin_paths,
    }


def test_help_lists_plugin_commands_without_creating_the_app(tmp_path, monkeypatch):
    def no_app():
        raise AssertionError("the listing must not create the app")

    monkeypatch.setattr(cli, "create_app", no_app)
    env = cli_env(tmp_path, [str(OUR_CLIENT), str(OTHER_CLIENT)])
    result = CliRunner().invoke(cli, ["--help"], env=env)
    assert result.exit_code == 0, result.output
    assert "  our_client    Our client commands\n" in result.output
    assert "  other_client  Our other client's commands\n" in result.output
    assert "  add " in result.output


def test_flexmeasures_runs_a_plugin_command(tmp_path):
    env = cli_env(tmp_path, [str(OUR_CLIENT)])
    result = CliRunner().invoke(cli, ["our_client", "test"], env=env)
    assert result.exit_code == 0, result.output
    assert "I am a CLI command, part of FlexMeasures: <Flask 'flexmeasures'>" in result.output


def test_a_bad_plugin_path_is_a_one_line_cli_error(tmp_path):
    env = cli_env(tmp_path, [str(tmp_path / "missing_plugin")])
    result = CliRunner().invoke(cli, ["our_client", "test"], env=env)
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: Plugin path {tmp_path / 'missing_plugin'} (in")
    assert result.output.count("\n") == 1


def test_help_still_lists_our_commands_with_a_bad_plugin_path(tmp_path):
    env = cli_env(tmp_path, "/opt/our_client")  # not a JSON list
    result = CliRunner().invoke(cli, ["--help"], env=env)
    assert result.exit_code == 0
    assert "Error: Environment variable FLEXMEASURES_PLUGIN_PATHS='/opt/our_client'" in (
        result.output
    )
    assert "  add " in result.output


# Misconfigured plugins


@pytest.fixture
def make_plugin(tmp_path):
    """Write a plugin folder (files: name → text) and forget its module afterwards."""
    made: list[str] = []

    def make(name: str, files: dict[str, str]) -> Path:
        folder = tmp_path / name
        folder.mkdir()
        for file_name, text in files.items():
            (folder / file_name).write_text(text)
        made.append(name)
        return folder

    yield make
    for name in made:
        sys.modules.pop(name, None)


def register(plugin_paths) -> Flask:
    """Register plugins on a bare Flask app, given FLEXMEASURES_PLUGIN_PATHS."""
    app = Flask(__name__)
    app.config["FLEXMEASURES_PLUGIN_PATHS"] = plugin_paths
    register_plugins(app)
    return app


BLUEPRINT = "from flask import Blueprint\n{name}_bp = Blueprint('{name}', __name__)\n"


def test_plugin_paths_must_be_a_list():
    with pytest.raises(ConfigurationError, match="must be a list of paths.*not '/opt/plugin'"):
        register("/opt/plugin")


def test_plugin_paths_must_list_paths():
    with pytest.raises(ConfigurationError, match="must list paths"):
        register([42])


def test_missing_plugin_folder(tmp_path):
    with pytest.raises(ConfigurationError, match="is not an existing folder; a plugin is a"):
        register([str(tmp_path / "nowhere")])


def test_plugin_folder_without_init(make_plugin):
    folder = make_plugin("no_init_plugin", {"views.py": ""})
    with pytest.raises(ConfigurationError, match=f"Plugin path {folder} has no __init__.py"):
        register([str(folder)])


@pytest.mark.parametrize(
    "init", ["", "from flask import Blueprint\nbp = Blueprint('x', __name__)\n", "{name}_bp = 1\n"]
)
def test_plugin_without_its_blueprint(make_plugin, init):
    name = "wrong_bp_plugin"
    folder = make_plugin(name, {"__init__.py": init.format(name=name)})
    with pytest.raises(
        ConfigurationError, match="does not define a Blueprint called 'wrong_bp_plugin_bp'"
    ):
        register([str(folder)])


def test_plugin_that_fails_to_import(make_plugin):
    folder = make_plugin("broken_plugin", {"__init__.py": "import not_installed_package\n"})
    with pytest.raises(
        ConfigurationError, match="'broken_plugin' .* failed to import: ModuleNotFound"
    ):
        register([str(folder)])
    assert "broken_plugin" not in sys.modules


def test_plugin_named_like_another_module(make_plugin):
    folder = make_plugin("json", {"__init__.py": BLUEPRINT.format(name="json")})
    with pytest.raises(ConfigurationError, match="'json' .* is already taken by the module json"):
        register([str(folder)])


def test_the_same_plugin_twice(make_plugin):
    folder = make_plugin("twice_plugin", {"__init__.py": BLUEPRINT.format(name="twice_plugin")})
    with pytest.raises(ConfigurationError, match="Two plugins are called 'twice_plugin'"):
        register([str(folder), str(folder)])


def test_plugin_with_relative_imports_and_no_commands(make_plugin):
    init = "from .views import plugin_with_views_bp\n"
    views = BLUEPRINT.format(name="plugin_with_views").replace("__name__", "'plugin_with_views'")
    folder = make_plugin("plugin_with_views", {"__init__.py": init, "views.py": views})
    assert register([str(folder)]).config["LOADED_PLUGINS"] == {"plugin_with_views": str(folder)}
    assert plugin_cli_commands([folder]) == {}


def test_create_app_stops_on_a_bad_plugin_path(tmp_path):
    with pytest.raises(ConfigurationError, match="is not an existing folder"):
        create_app(
            "development",
            settings={
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/fm.db",
                "FLEXMEASURES_PLUGIN_PATHS": [str(tmp_path / "nowhere")],
            },
            instance_path=tmp_path,
        )
