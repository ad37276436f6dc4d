"""``flexmeasures db``: Flask-Migrate's commands, with database errors as one line.

Flask-Migrate lets a database error end the command with a traceback (150 lines for a
database that does not exist); here it ends with one ``Error: ...`` line and exit code 1,
as every other command does. This module imports Flask-Migrate's CLI, which is slow to
import: ``flexmeasures.cli`` imports it only when a ``db`` command runs.
"""

from __future__ import annotations

from typing import Any

import click
from flask_migrate.cli import db as flask_migrate_db


class OneLineDatabaseErrors(click.Group):
    """A command group whose database errors end the command with a one-line message."""

    def invoke(self, ctx: click.Context) -> Any:
        """Run the subcommand; a database error becomes a click.ClickException."""
        from sqlalchemy.exc import SQLAlchemyError

        from flexmeasures.data.schema_state import unusable_database_message

        try:
            return super().invoke(ctx)
        except SQLAlchemyError as exc:
            raise click.ClickException(unusable_database_message(exc)) from exc


db = OneLineDatabaseErrors(
    name="db",
    commands=flask_migrate_db.commands,
    params=flask_migrate_db.params,
    callback=flask_migrate_db.callback,
    help=flask_migrate_db.help,
)
