"""``flexmeasures db-ops``: dump, restore, reset, save and load the whole database.

``dump``/``restore`` use PostgreSQL's pg_dump/pg_restore (binary dumps, fast, PostgreSQL
only); ``save``/``load`` write and read one CSV file per table and work on SQLite as well.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from flexmeasures.cli.groups import db_ops_group

PG_HINT = "(apt-get install postgresql-client) and a PostgreSQL database"


def _pg_tool(tool: str, command: str) -> tuple[str, str, dict[str, str]]:
    """Find a PostgreSQL client tool and how to reach the configured database with it.

    Returns the tool's path, a libpq connection URI without password, and the environment
    for the tool (with PGPASSWORD, so the password does not show in the process list).
    """
    from sqlalchemy.engine import make_url

    url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    path = shutil.which(tool)
    if url.get_backend_name() != "postgresql":
        raise click.ClickException(
            f"{command} needs {tool} {PG_HINT}; the configured database is "
            f"{url.get_backend_name()}. Use `flexmeasures db-ops save`/`load` instead."
        )
    if path is None:
        raise click.ClickException(f"{command} needs {tool} {PG_HINT}; {tool} is not on PATH.")
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    uri = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    return path, uri, env


def _run_pg_tool(arguments: list[str], env: dict[str, str]) -> None:
    """Run a PostgreSQL client tool; a failure becomes a one-line error with its message."""
    result = subprocess.run(arguments, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        reason = next((line for line in lines if "error" in line.lower()), None)
        reason = reason or (lines[0] if lines else f"exit code {result.returncode}")
        raise click.ClickException(f"{Path(arguments[0]).name} failed: {reason}")


def _database_error(action: str, exc: Exception) -> click.ClickException:
    """A one-line error for a failed database operation, with the database's reason."""
    reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
    return click.ClickException(f"Could not {action}: {reason}")


def _timestamp() -> str:
    """The current UTC time for file names, e.g. 2021-04-02_120000."""
    return datetime.now(UTC).strftime("%Y-%m-%d_%H%M%S")


@db_ops_group.command("dump")
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False),
    help="Folder for the dump (default: FLEXMEASURES_DB_BACKUP_PATH, 'migrations/dumps').",
)
@with_appcontext
def dump(directory: str | None) -> None:
    """Dump all data of the PostgreSQL database with pg_dump.

    Only the data is dumped, not the table structure (nor the latest beliefs per day, which
    are rebuilt from the beliefs on restore). Writes a pg_dump file in custom
    format, named after the database and the time. Load it into a database with the same
    data model with `db-ops reset` and then `db-ops restore`.

    \b
    Example:
        flexmeasures db-ops dump
    """
    pg_dump, uri, env = _pg_tool("pg_dump", "db-ops dump")
    folder = Path(directory or current_app.config["FLEXMEASURES_DB_BACKUP_PATH"])
    folder.mkdir(parents=True, exist_ok=True)
    database = uri.rsplit("/", 1)[-1].split("?")[0] or "flexmeasures"
    path = folder / f"{database}_{_timestamp()}.dump"
    # latest_belief_day is derived: its triggers rebuild it as the beliefs are restored.
    arguments = [
        pg_dump,
        "--data-only",
        "--format=custom",
        "--exclude-table-data=alembic_version",
        "--exclude-table-data=latest_belief_day",
    ]
    try:
        _run_pg_tool([*arguments, f"--file={path}", f"--dbname={uri}"], env)
    except click.ClickException:
        path.unlink(missing_ok=True)
        raise
    click.echo(f"Dumped the data to {path}")


@db_ops_group.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@with_appcontext
def restore(file: str) -> None:
    """Restore a dump file (see dump) with pg_restore; reset first.

    The data is restored in one transaction: nothing is restored if any row cannot be.
    Run `flexmeasures db-ops reset` first, so that the tables are empty.

    \b
    Example:
        flexmeasures db-ops reset
        flexmeasures db-ops restore migrations/dumps/flexmeasures_2021-04-02_120000.dump
    """
    pg_restore, uri, env = _pg_tool("pg_restore", "db-ops restore")
    click.echo("Restoring into the configured database (run `flexmeasures db-ops reset` first).")
    arguments = [pg_restore, "--data-only", "--single-transaction", "--exit-on-error"]
    _run_pg_tool([*arguments, f"--dbname={uri}", file], env)
    click.echo(f"Restored the data of {file}")


@db_ops_group.command("reset")
@click.option("--force", is_flag=True, help="Do not ask; also needed in production.")
@with_appcontext
def reset(force: bool) -> None:
    """Delete all data and re-create the tables with the migrations.

    Asks for confirmation unless --force is given; refuses in production without --force.

    \b
    Example:
        flexmeasures db-ops reset
        flexmeasures db-ops reset --force   (no question; also in production)
    """
    from sqlalchemy.engine import make_url

    if current_app.config.get("FLEXMEASURES_ENV") == "production" and not force:
        raise click.ClickException("Refusing to reset a production database without --force.")
    shown = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"]).render_as_string()
    if not force:
        click.confirm(f"Delete ALL data in {shown} and re-create the tables?", abort=True)
    from sqlalchemy.exc import SQLAlchemyError

    try:
        reset_database()
    except SQLAlchemyError as exc:
        raise _database_error(f"reset {shown}", exc) from exc
    click.echo(f"Reset {shown}: all tables re-created by the migrations, without data.")


def reset_database() -> None:
    """Drop every table of the app's database (ours or not) and, on PostgreSQL, the
    functions of its schema (e.g. the triggers' of latest_belief_day), then run all
    migrations."""
    from flask_migrate import upgrade
    from sqlalchemy import MetaData

    from flexmeasures.data import db

    db.session.remove()
    existing = MetaData()
    existing.reflect(bind=db.engine)
    existing.drop_all(bind=db.engine)
    if db.engine.dialect.name == "postgresql":
        _drop_schema_functions(db.engine)
    upgrade()


def _drop_schema_functions(engine) -> None:
    """Drop the functions of the connection's current schema that no extension owns."""
    from sqlalchemy import text

    functions = text(
        "SELECT p.oid::regprocedure::text FROM pg_proc p "
        "JOIN pg_namespace n ON n.oid = p.pronamespace "
        "WHERE n.nspname = current_schema() AND NOT EXISTS ("
        "SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')"
    )
    with engine.begin() as connection:
        for (signature,) in connection.execute(functions).all():
            connection.execute(text(f"DROP FUNCTION IF EXISTS {signature} CASCADE"))


@db_ops_group.command("save")
@click.option("--name", default=None, help="Name of the backup (default: the current time).")
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False),
    help="Folder for backups (default: FLEXMEASURES_DB_BACKUP_PATH, 'migrations/dumps').",
)
@click.option(
    "--structure/--no-structure",
    default=True,
    help="Save the structural tables: users, roles, assets, markets, sensors, data sources.",
)
@click.option("--data/--no-data", default=True, help="Save the beliefs (timed_belief table).")
@with_appcontext
def save(name: str | None, directory: str | None, structure: bool, data: bool) -> None:
    """Back up the database contents to CSV files (see load).

    Writes one CSV file per table into a folder named NAME in the backup folder. Works on
    PostgreSQL and SQLite. Load it back with `db-ops load`.

    \b
    Example:
        flexmeasures db-ops save --name demo_v0 --no-data
    """
    from sqlalchemy.exc import SQLAlchemyError

    from flexmeasures.data.services.backup import BackupError, save_backup

    try:
        folder = save_backup(name, directory, structure=structure, data=data)
    except (BackupError, OSError) as exc:
        raise click.ClickException(str(exc)) from exc
    except SQLAlchemyError as exc:
        raise _database_error("save the backup (run `flexmeasures db upgrade`?)", exc) from exc
    click.echo(f"Saved the backup to {folder}")


@db_ops_group.command("load")
@click.option("--name", required=True, help="Name of the backup (see `db-ops save`).")
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False),
    help="Folder of backups (default: FLEXMEASURES_DB_BACKUP_PATH, 'migrations/dumps').",
)
@click.option("--replace", is_flag=True, help="Empty all tables first (no reset needed).")
@with_appcontext
def load(name: str, directory: str | None, replace: bool) -> None:
    """Load a backup made by save (run reset first).

    Loads in one transaction: all of it or nothing. Run `flexmeasures db-ops reset` first,
    or use --replace to empty all tables first.

    \b
    Example:
        flexmeasures db-ops reset
        flexmeasures db-ops load --name demo_v0
    """
    from sqlalchemy.exc import SQLAlchemyError

    from flexmeasures.data import db
    from flexmeasures.data.services.backup import BackupError, load_backup

    try:
        counts = load_backup(name, directory, replace=replace)
        db.session.commit()
    except (BackupError, OSError) as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    except SQLAlchemyError as exc:
        db.session.rollback()
        raise _database_error(f"load backup '{name}'", exc) from exc
    click.echo(f"Loaded backup '{name}': {sum(counts.values())} rows in {len(counts)} tables.")
