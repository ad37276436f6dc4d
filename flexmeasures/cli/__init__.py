"""The ``flexmeasures`` command line: Flask's CLI with FlexMeasures' command groups.

``flexmeasures --help`` answers at once, without configuration or a database: listing the
commands creates no app, and commands whose modules are slow to import (Flask-Migrate's
``db`` group pulls in Alembic) are imported only when they run (``LAZY_COMMANDS``). Plugin
commands are listed too, when FLEXMEASURES_PLUGIN_PATHS is configured: their blueprints
are imported for that, still without creating the app. The app is created only when a
command runs. The CLI defaults to the development environment (SQLite in the instance
folder), unless FLEXMEASURES_ENV or FLASK_ENV says otherwise. A configuration problem
ends a command with a one-line ``Error: ...`` and exit code 1.
"""

from __future__ import annotations

import importlib
from typing import Any

import click
from flask import Flask
from flask.cli import FlaskGroup

from flexmeasures.cli.groups import register_command_groups

# Top-level commands imported only when they run: name → ("module:attribute", short help).
LAZY_COMMANDS = {"db": ("flexmeasures.cli.commands.migrations:db", "Perform database migrations.")}
_PLUGIN_COMMANDS_KEY = "flexmeasures.plugin_commands"


def create_cli_app() -> Flask:
    """Create the app for a CLI command; configuration problems become one-line errors."""
    from flexmeasures.app import create_app
    from flexmeasures.config import ConfigurationError, get_environment

    try:
        return create_app(environment=get_environment(default="development"))
    except ConfigurationError as exc:
        raise click.ClickException(str(exc)) from exc


def listed_plugin_commands(ctx: click.Context) -> dict[str, click.Command]:
    """The configured plugins' commands, found without creating the app (once per run).

    A configuration problem is shown as an error line; the listing then goes on without
    plugin commands.
    """
    if _PLUGIN_COMMANDS_KEY not in ctx.meta:
        from flexmeasures.config import (
            ConfigurationError,
            collect_settings,
            get_environment,
            resolve_instance_path,
        )
        from flexmeasures.plugins import plugin_cli_commands, plugin_paths

        try:
            settings = collect_settings(get_environment("development"), resolve_instance_path())
            paths = plugin_paths(settings.get("FLEXMEASURES_PLUGIN_PATHS"))
            ctx.meta[_PLUGIN_COMMANDS_KEY] = plugin_cli_commands(paths)
        except ConfigurationError as exc:
            click.secho(f"Error: {exc}\n", err=True, fg="red")
            ctx.meta[_PLUGIN_COMMANDS_KEY] = {}
    return ctx.meta[_PLUGIN_COMMANDS_KEY]


def import_command(import_path: str) -> click.Command:
    """Import a click command given as ``"module:attribute"``."""
    module_name, attribute = import_path.split(":")
    return getattr(importlib.import_module(module_name), attribute)


class FlexMeasuresGroup(FlaskGroup):
    """Flask's CLI group whose command listing needs neither the app nor slow imports.

    ``lazy_commands`` (name → ("module:attribute", short help)) are imported when they run.
    Commands that are not our own (plugins, extensions) are looked up in the app, which is
    created for that, as Flask does.
    """

    def __init__(self, lazy_commands: dict[str, tuple[str, str]] | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.lazy_commands = dict(lazy_commands or {})
        self._listing = False

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Our own and lazy commands, and those of configured plugins (no app is created)."""
        self._load_plugin_commands()
        names = set(click.Group.list_commands(self, ctx)) | set(self.lazy_commands)
        return sorted(names | set(listed_plugin_commands(ctx)))

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        """Return a command to run (importing lazy ones), or, while listing, one to describe."""
        if name in self.lazy_commands and name not in self.commands:
            import_path, short_help = self.lazy_commands[name]
            if self._listing:
                return click.Command(name, short_help=short_help)
            self.add_command(import_command(import_path), name)
        if self._listing and name not in self.commands:
            return listed_plugin_commands(ctx).get(name)
        return super().get_command(ctx, name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """Write the command listing of ``--help`` without importing or creating anything."""
        self._listing = True
        try:
            super().format_commands(ctx, formatter)
        finally:
            self._listing = False


def show_versions(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    """Print the versions of FlexMeasures, Python, Flask and Werkzeug, then exit."""
    if not value or ctx.resilient_parsing:
        return
    import platform
    from importlib.metadata import version

    from flexmeasures import __version__

    click.echo(
        f"FlexMeasures {__version__}\nPython {platform.python_version()}\n"
        f"Flask {version('flask')}\nWerkzeug {version('werkzeug')}"
    )
    ctx.exit()


cli = FlexMeasuresGroup(
    name="flexmeasures",
    create_app=create_cli_app,
    lazy_commands=LAZY_COMMANDS,
    add_version_option=False,
    help="Manage FlexMeasures: its data, users, jobs and the web app.",
)
cli.params.append(
    click.Option(
        ["--version"],
        is_flag=True,
        expose_value=False,
        is_eager=True,
        callback=show_versions,
        help="Show the FlexMeasures version (and those of Python and Flask).",
    )
)
register_command_groups(cli)


def main() -> None:
    """Entry point of the ``flexmeasures`` console script."""
    cli.main(prog_name="flexmeasures")
