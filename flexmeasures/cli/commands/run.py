"""``flexmeasures run``: Flask's development server, with the embedded database made ready."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import run_command, with_appcontext


def upgrade_embedded_database() -> None:
    """Bring a SQLite database up to the latest migration (the embedded default only)."""
    if not current_app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return
    from flask_migrate import upgrade

    click.echo(f"Using {current_app.config['SQLALCHEMY_DATABASE_URI']}; applying migrations ...")
    upgrade()


@click.command(
    "run",
    params=run_command.params,
    help=(
        "Run the web app with a development server (http://localhost:5000 by default).\n\n"
        "With no database configured, a SQLite file in the instance folder is used and "
        "brought up to date first. In production, serve flexmeasures.app:create_app() "
        "with a WSGI server instead."
    ),
    context_settings=run_command.context_settings,
)
@click.pass_context
@with_appcontext
def run(ctx: click.Context, **kwargs) -> None:
    """Prepare the embedded database if used, then start Flask's development server."""
    upgrade_embedded_database()
    ctx.invoke(run_command, **kwargs)
