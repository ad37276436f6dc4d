"""``flexmeasures run``: Flask's development server, with the database checked first.

At start, the embedded SQLite database is brought up to date. Any other database is checked:
one that cannot be used (it does not exist, or does not answer) makes ``run`` refuse to
start, with a one-line error, as every request would fail; a schema that is not at the latest
migration gets a one-line warning and the server starts (``/api/ops/ping`` answers 503 until
``flexmeasures db upgrade`` has run). The port must be one a server can listen on (1-65535).
"""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import run_command, with_appcontext

LARGEST_PORT = 65535


def upgrade_embedded_database() -> None:
    """Bring a SQLite database up to the latest migration (the embedded default only)."""
    if not current_app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return
    from flask_migrate import upgrade

    click.echo(f"Using {current_app.config['SQLALCHEMY_DATABASE_URI']}; applying migrations ...")
    upgrade()


def check_database() -> None:
    """Refuse to start on a database that cannot be used; warn if its schema is behind."""
    from sqlalchemy.exc import SQLAlchemyError

    from flexmeasures.data import db
    from flexmeasures.data.schema_state import (
        migrations_directory,
        schema_problem,
        unusable_database_message,
    )

    try:
        with db.engine.connect() as connection:
            problem = schema_problem(connection, migrations_directory(current_app))
    except SQLAlchemyError as exc:
        raise click.ClickException(unusable_database_message(exc)) from exc
    if problem:
        click.secho(f"Warning: {problem}", err=True, fg="yellow")


def _with_checked_port(params: list[click.Parameter]) -> list[click.Parameter]:
    """Flask's ``run`` options, with a ``--port`` that refuses numbers no server can use
    (Flask's own takes any integer and ends up on another port)."""
    checked = click.Option(
        ["--port", "-p"],
        type=click.IntRange(1, LARGEST_PORT),
        default=5000,
        show_default=True,
        help=f"The port to bind to (1-{LARGEST_PORT}).",
    )
    return [checked if param.name == "port" else param for param in params]


@click.command(
    "run",
    params=_with_checked_port(run_command.params),
    help=(
        "Run the web app with a development server (http://localhost:5000 by default).\n\n"
        "With no database configured, a SQLite file in the instance folder is used and "
        "brought up to date first. Any other database is checked first: if it cannot be "
        "used, the server does not start; if its schema is not at the latest migration, "
        "a warning says to run `flexmeasures db upgrade`. In production, serve "
        "flexmeasures.app:create_app() with a WSGI server instead."
    ),
    context_settings=run_command.context_settings,
)
@click.pass_context
@with_appcontext
def run(ctx: click.Context, **kwargs) -> None:
    """Prepare the embedded database if used, check the database, then start Flask's
    development server."""
    upgrade_embedded_database()
    check_database()
    ctx.invoke(run_command, **kwargs)
