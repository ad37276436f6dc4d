"""The ``flexmeasures`` command line: Flask's CLI with FlexMeasures' command groups.

Command groups are attached statically, so ``flexmeasures --help`` and every
``<command> --help`` answer without configuration or a database; the app is created only
when a command runs. The CLI defaults to the development environment (SQLite in the
instance folder), unless FLEXMEASURES_ENV or FLASK_ENV says otherwise.
"""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import FlaskGroup, NoAppException

from flexmeasures.cli.groups import register_command_groups


def create_cli_app() -> Flask:
    """Create the app for a CLI command; configuration problems become one-line errors."""
    from flexmeasures.app import create_app
    from flexmeasures.config import ConfigurationError, get_environment

    try:
        return create_app(environment=get_environment(default="development"))
    except ConfigurationError as exc:
        raise NoAppException(str(exc)) from exc


class FlexMeasuresGroup(FlaskGroup):
    """Flask's CLI group that lists plugin commands only when the app loads cleanly."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        """List our own commands; add the app's (plugins, extensions) if it can be created."""
        return super().list_commands(ctx)


cli = FlexMeasuresGroup(
    name="flexmeasures",
    create_app=create_cli_app,
    help="Manage FlexMeasures: its data, users, jobs and the web app.",
)
register_command_groups(cli)


def main() -> None:
    """Entry point of the ``flexmeasures`` console script."""
    cli.main(prog_name="flexmeasures")
