"""Print the data model: every table of the models, with its columns, their types, keys
and whether they may be empty. ``python -m flexmeasures.data.show_data_model`` (``make
show-data-model``); needs neither configuration nor a database.

Each table is a line with its name, followed by one indented line per column, e.g.::

    asset
      id                INTEGER                   primary key, -> sensor.id
      name              VARCHAR(80)               not null
      ...
"""

from __future__ import annotations

import importlib

from sqlalchemy import Column, MetaData, Table
from sqlalchemy.dialects import postgresql


def column_notes(column: Column) -> list[str]:
    """What to know about a column besides its type: keys, NOT NULL, uniqueness."""
    notes = ["primary key"] if column.primary_key else []
    if not column.nullable and not column.primary_key:
        notes.append("not null")
    if column.unique:
        notes.append("unique")
    notes += [f"-> {key.target_fullname}" for key in column.foreign_keys]
    return notes


def describe_table(table: Table) -> list[str]:
    """The table's name, then a line per column: name, type (as PostgreSQL writes it), notes."""
    dialect = postgresql.dialect()
    rows = [
        (column.name, column.type.compile(dialect=dialect), ", ".join(column_notes(column)))
        for column in table.columns
    ]
    name_width = max(len(name) for name, _, _ in rows)
    type_width = max(len(type_) for _, type_, _ in rows)
    lines = [table.name]
    for name, type_, notes in rows:
        lines.append(f"  {name:<{name_width}}  {type_:<{type_width}}  {notes}".rstrip())
    return lines


def describe_data_model(metadata: MetaData) -> str:
    """Every table of ``metadata``, sorted by name, separated by blank lines."""
    return "\n\n".join(
        "\n".join(describe_table(table))
        for table in sorted(metadata.tables.values(), key=lambda t: t.name)
    )


def main() -> None:
    """Print the tables and columns of FlexMeasures' models."""
    from flexmeasures.data import db

    importlib.import_module("flexmeasures.data.models")  # registers every model's table

    print(describe_data_model(db.metadata))


if __name__ == "__main__":
    main()
