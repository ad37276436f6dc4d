"""Can the configured database be used: does it answer, and is its schema at the latest
migration (Alembic's head)?

Used by ``flexmeasures run`` (at start), by the health check ``/api/ops/ping`` and by the
CLI's one-line database errors. No Flask here: callers pass a connection and the folder of
the migration scripts (``migrations_directory(app)``).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

UPGRADE_HINT = "run `flexmeasures db upgrade`"


def migrations_directory(app: Any) -> str:
    """The folder of the app's migration scripts (as given to Flask-Migrate)."""
    return str(app.extensions["migrate"].directory)


@lru_cache(maxsize=8)
def migration_heads(directory: str) -> frozenset[str]:
    """The head revision(s) of the migration scripts in ``directory`` (read once)."""
    return frozenset(ScriptDirectory(directory).get_heads())


def applied_revisions(connection: Connection) -> frozenset[str]:
    """The revision(s) the database's schema is at (empty for a database without one)."""
    return frozenset(MigrationContext.configure(connection).get_current_heads())


def schema_problem(connection: Connection, directory: str) -> str | None:
    """None if the database's schema is at the latest migration, else what is wrong (one
    line, with how to fix it)."""
    applied = applied_revisions(connection)
    heads = migration_heads(directory)
    if applied == heads:
        return None
    if not applied:
        return f"The database has no FlexMeasures tables yet; {UPGRADE_HINT}."
    return (
        f"The database schema is at migration {', '.join(sorted(applied))}, not at the latest "
        f"({', '.join(sorted(heads))}); {UPGRADE_HINT}."
    )


def unusable_database_message(error: Exception) -> str:
    """Why the database cannot be used, in one line (e.g. it does not exist, or does not
    answer), with a hint; the URI's password is never part of the database's message."""
    lines = str(getattr(error, "orig", None) or error).strip().splitlines()
    reason = " ".join(lines[0].split()) if lines else type(error).__name__
    message = f"Cannot use the database of SQLALCHEMY_DATABASE_URI: {reason.rstrip('.')}."
    if "database" in reason and "does not exist" in reason:
        return f"{message} Create it (see the quickstart), then {UPGRADE_HINT}."
    return message
