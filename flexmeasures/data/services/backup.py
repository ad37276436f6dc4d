"""Backups of the database contents as CSV files, one per table (PostgreSQL and SQLite).

A backup is a folder ``<directory>/<name>/`` holding ``<table>.csv`` for each table saved,
with the column names as header. Values are written as text that reads back to the same
value: booleans as ``true``/``false``, datetimes in ISO 8601 with UTC offset, durations in
ISO 8601 (``PT15M``), floats with full precision, and NULL as ``\\N`` (so an empty string
stays an empty string; a text value that is literally ``\\N`` would read back as NULL).

Structural tables are every table except ``timed_belief``, which holds the data (beliefs),
and ``latest_belief_day``, which is derived from the beliefs (never saved; on PostgreSQL
its triggers rebuild it as beliefs are loaded).
Loading expects empty tables (run ``flexmeasures db-ops reset`` first) or replaces all
contents when asked; it never commits, so the caller decides on the one transaction.
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from importlib import import_module
from pathlib import Path
from typing import Any

import isodate
from flask import current_app
from sqlalchemy import Column, Table, delete, exists, func, select, text
from sqlalchemy.types import TypeDecorator

from flexmeasures.data import db

import_module("flexmeasures.data.models")  # registers every table with the metadata

DATA_TABLES = ("timed_belief",)
DERIVED_TABLES = ("latest_belief_day",)
NULL_TEXT = "\\N"
CHUNK_SIZE = 5000
_VALID_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


class BackupError(Exception):
    """A backup cannot be saved or loaded; the message says why."""


def backup_root(directory: str | os.PathLike | None = None) -> Path:
    """The folder holding all backups: ``directory`` or ``FLEXMEASURES_DB_BACKUP_PATH``.

    A relative path is relative to the current working directory.
    """
    return Path(directory or current_app.config["FLEXMEASURES_DB_BACKUP_PATH"])


def list_backups(directory: str | os.PathLike | None = None) -> list[str]:
    """Names of the backups (folders with at least one CSV file) in the backup folder."""
    root = backup_root(directory)
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if p.is_dir() and any(p.glob("*.csv")))


def check_backup_name(name: str) -> str:
    """Return ``name`` if it is a plain folder name, else raise BackupError.

    Names come from users (CLI, API), so paths like ``../x`` must not escape the backup folder.
    """
    if not _VALID_NAME.match(name or ""):
        raise BackupError(
            f"Invalid backup name '{name}': use letters, digits, '.', '_' and '-' only "
            "(e.g. demo_v0)."
        )
    return name


def tables_to_back_up(structure: bool = True, data: bool = True) -> list[Table]:
    """The tables in a backup, parents before children: structural ones and/or the beliefs."""
    return [
        table
        for table in db.metadata.sorted_tables
        if table.name not in DERIVED_TABLES and (data if table.name in DATA_TABLES else structure)
    ]


def save_backup(
    name: str | None = None,
    directory: str | os.PathLike | None = None,
    structure: bool = True,
    data: bool = True,
) -> Path:
    """Write the chosen tables to ``<directory>/<name>/<table>.csv`` and return that folder.

    ``name`` defaults to the current UTC time (e.g. ``2021-04-02_120000``). The folder
    appears complete or not at all; an existing backup of that name is never overwritten.
    """
    if not (structure or data):
        raise BackupError("Nothing to save: choose structure, data or both.")
    name = check_backup_name(name or datetime.now(UTC).strftime("%Y-%m-%d_%H%M%S"))
    root = backup_root(directory)
    target = root / name
    if target.exists():
        raise BackupError(f"A backup named '{name}' already exists in {root}; choose another name.")
    root.mkdir(parents=True, exist_ok=True)
    unfinished = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=root))
    try:
        for table in tables_to_back_up(structure, data):
            _write_table(table, unfinished / f"{table.name}.csv")
        unfinished.rename(target)
    finally:
        shutil.rmtree(unfinished, ignore_errors=True)
    return target


def _write_table(table: Table, path: Path) -> None:
    """Write all rows of a table, ordered by primary key, to a CSV file."""
    query = (
        select(table).order_by(*table.primary_key.columns).execution_options(yield_per=CHUNK_SIZE)
    )
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow([column.name for column in table.columns])
        for row in db.session.execute(query):
            writer.writerow([value_to_text(value) for value in row])


def value_to_text(value: Any) -> str:
    """Write a column value as text that ``text_to_value`` reads back to the same value."""
    if value is None:
        return NULL_TEXT
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, timedelta):
        return isodate.duration_isoformat(value)
    return str(value)


def text_to_value(text_value: str, column: Column) -> Any:
    """Read a value written by ``value_to_text`` as the Python type of the column."""
    if text_value == NULL_TEXT:
        return None
    python_type = _python_type(column)
    if python_type is bool:
        return text_value.lower() in ("true", "1", "t")
    if python_type is datetime:
        return datetime.fromisoformat(text_value)
    if python_type is timedelta:
        return isodate.parse_duration(text_value)
    if python_type in (int, float):
        return python_type(text_value)
    return text_value


def _python_type(column: Column) -> type:
    """The Python type of a column's values, also for our TypeDecorators (e.g. UTCDateTime)."""
    sql_type = column.type
    python_type = sql_type.python_type
    if python_type is object and isinstance(sql_type, TypeDecorator):
        python_type = sql_type.impl_instance.python_type
    return python_type


def load_backup(
    name: str, directory: str | os.PathLike | None = None, replace: bool = False
) -> dict[str, int]:
    """Insert the rows of a saved backup; return the number of rows per table.

    The tables in the backup must be empty (run ``flexmeasures db-ops reset`` first), unless
    ``replace`` is True: then every table is emptied first. Does not commit: the caller
    commits once, or rolls back on any error. On PostgreSQL, id sequences continue after
    the highest loaded id. Raises BackupError for a missing, malformed or mismatching backup.
    """
    folder = _backup_folder(name, directory)
    tables = _tables_in_backup(folder)
    if replace:
        empty_all_tables()
    else:
        _check_empty(tables)
    counts = {table.name: _load_table(table, folder / f"{table.name}.csv") for table in tables}
    if db.session.get_bind().dialect.name == "postgresql":
        for table in tables:
            _continue_id_sequence(table)
    return counts


def _backup_folder(name: str, directory: str | os.PathLike | None) -> Path:
    """The folder of a named backup, or a BackupError listing the backups there are."""
    folder = backup_root(directory) / check_backup_name(name)
    if not folder.is_dir() or not any(folder.glob("*.csv")):
        available = ", ".join(list_backups(directory)) or "none"
        raise BackupError(
            f"No backup named '{name}' in {backup_root(directory)} (available: {available})."
        )
    return folder


def _tables_in_backup(folder: Path) -> list[Table]:
    """The tables with a CSV file in the backup folder, parents before children."""
    tables_by_name = {table.name: table for table in db.metadata.sorted_tables}
    unknown = sorted(p.stem for p in folder.glob("*.csv") if p.stem not in tables_by_name)
    if unknown:
        raise BackupError(
            f"Backup {folder} has files for tables the database does not have: "
            f"{', '.join(unknown)}."
        )
    return [t for t in tables_by_name.values() if (folder / f"{t.name}.csv").is_file()]


def _check_empty(tables: Iterable[Table]) -> None:
    """Raise BackupError if any of the tables holds rows."""
    filled = [t.name for t in tables if db.session.scalar(select(exists().select_from(t)))]
    if filled:
        raise BackupError(
            f"Tables {', '.join(filled)} are not empty: run `flexmeasures db-ops reset` first "
            "(or load with --replace)."
        )


def empty_all_tables() -> None:
    """Delete all rows of every table of the data model, children before parents."""
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(delete(table))


def _load_table(table: Table, path: Path) -> int:
    """Insert the rows of one CSV file into its table, in chunks; return the row count."""
    count = 0
    for chunk in _read_rows(table, path):
        db.session.execute(table.insert(), chunk)
        count += len(chunk)
    return count


def _read_rows(table: Table, path: Path) -> Iterator[list[dict[str, Any]]]:
    """Yield the rows of a backup CSV file as dicts of typed values, CHUNK_SIZE at a time."""
    with path.open(newline="", encoding="utf-8") as file:
        reader = csv.reader(file)
        columns = _header_columns(table, next(reader, []), path)
        chunk: list[dict[str, Any]] = []
        for line_number, row in enumerate(reader, start=2):
            chunk.append(_typed_row(columns, row, path, line_number))
            if len(chunk) >= CHUNK_SIZE:
                yield chunk
                chunk = []
        if chunk:
            yield chunk


def _header_columns(table: Table, header: list[str], path: Path) -> list[Column]:
    """The table's columns named in a CSV header; BackupError for names the table lacks."""
    unknown = [name for name in header if name not in table.columns]
    if not header or unknown:
        raise BackupError(
            f"{path} does not match table {table.name}: unknown columns {unknown or 'none'} "
            "(was the backup made with another version of the data model?)."
        )
    return [table.columns[name] for name in header]


def _typed_row(columns: list[Column], row: list[str], path: Path, line: int) -> dict[str, Any]:
    """Convert one CSV row to a dict of column name → typed value."""
    if len(row) != len(columns):
        raise BackupError(f"{path}, line {line}: {len(row)} values for {len(columns)} columns.")
    try:
        pairs = zip(columns, row, strict=True)
        return {column.name: text_to_value(value, column) for column, value in pairs}
    except (ValueError, isodate.ISO8601Error) as exc:
        raise BackupError(f"{path}, line {line}: {exc}") from exc


def _continue_id_sequence(table: Table) -> None:
    """Move a PostgreSQL id sequence on past the highest id in its table (never back)."""
    key_columns = list(table.primary_key.columns)
    if len(key_columns) != 1 or _python_type(key_columns[0]) is not int:
        return
    column = key_columns[0]
    sequence = db.session.scalar(
        text("SELECT pg_get_serial_sequence(:table, :column)"),
        {"table": table.name, "column": column.name},
    )
    highest = db.session.scalar(select(func.max(column)))
    if sequence is None or highest is None:
        return
    # pg_get_serial_sequence returns the name quoted as needed, so it can go into the SQL.
    last_value, is_called = db.session.execute(
        text(f"SELECT last_value, is_called FROM {sequence}")
    ).one()
    next_value = last_value + 1 if is_called else last_value
    if next_value <= highest:
        db.session.execute(
            text("SELECT setval(:sequence, :highest)"),
            {"sequence": sequence, "highest": highest},
        )
