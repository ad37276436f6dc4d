"""The command groups of the FlexMeasures CLI: add, delete, db-ops, jobs, dso, show."""

from __future__ import annotations

from importlib import import_module

import click


@click.group("add")
def add_group() -> None:
    """Add data: structure, users, assets, markets, weather sensors, forecasts, schedules."""


@click.group("delete")
def delete_group() -> None:
    """Delete data: structure, users, measurements, prognoses."""


@click.group("db-ops")
def db_ops_group() -> None:
    """Operations on the whole database: dump, restore, save, load, reset."""


@click.group("jobs")
def jobs_group() -> None:
    """Job queueing: run workers, clear queues."""


@click.group("dso")
def dso_group() -> None:
    """National Grid DSO flexibility services: product codes, meterable units, dispatch
    instructions (as schedule commitments) and meter readings (documentation/dso.md)."""


@click.group("show")
def show_group() -> None:
    """Show data: the platform's trading on the marketplace (orders, contracts, settlements)."""


def register_command_groups(cli: click.Group) -> None:
    """Attach the command groups (with their commands) to the top-level CLI group.

    Flask-Migrate's ``db`` group is slow to import; ``flexmeasures.cli`` adds it lazily.
    """
    import_module("flexmeasures.cli.commands")  # attaches the commands to the groups
    from flexmeasures.cli.commands.run import run

    for group in (add_group, delete_group, db_ops_group, jobs_group, dso_group, show_group):
        cli.add_command(group)
    cli.add_command(run)
