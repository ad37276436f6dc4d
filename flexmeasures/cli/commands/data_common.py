"""What the ``add`` and ``delete`` commands share: one transaction per command, with
invalid input and database problems reported as one-line errors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click

MISSING_TABLES_HINTS = ("no such table", "does not exist")


@contextmanager
def one_transaction() -> Iterator[None]:
    """Run the block as one database transaction: commit at its end, roll back on any error.

    A ValueError (the services' invalid-input errors) or a database error becomes a
    click.ClickException, which click prints as one ``Error: ...`` line with exit code 1.
    """
    from sqlalchemy.exc import SQLAlchemyError

    from flexmeasures.data import db

    create_embedded_database_if_missing()
    try:
        yield
        db.session.commit()
    except BaseException as exc:
        db.session.rollback()
        if isinstance(exc, ValueError):
            raise click.ClickException(_one_line(str(exc))) from exc
        if isinstance(exc, SQLAlchemyError):
            raise click.ClickException(database_error_message(exc)) from exc
        raise


def create_embedded_database_if_missing() -> None:
    """On a fresh machine (a SQLite database without tables), build the schema first.

    So ``flexmeasures add user`` works before ``flexmeasures run`` or ``db upgrade`` ran.
    Other databases are never migrated implicitly.
    """
    from flask import current_app
    from sqlalchemy import inspect

    from flexmeasures.data import db

    if not current_app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return
    if inspect(db.engine).has_table("alembic_version"):
        return
    from flask_migrate import upgrade

    click.echo("Creating the database structure (flexmeasures db upgrade) ...", err=True)
    upgrade()


def database_error_message(exc: Exception) -> str:
    """Describe a database error in one line, with a hint when the schema is missing."""
    message = _one_line(str(getattr(exc, "orig", None) or exc))
    if any(hint in message for hint in MISSING_TABLES_HINTS):
        return f"{message}. Is the database set up? Run `flexmeasures db upgrade` first."
    return f"Database error: {message}"


def _one_line(message: str) -> str:
    """The first line of a message, without trailing whitespace."""
    lines = message.strip().splitlines()
    return lines[0].rstrip() if lines else "unknown error"
