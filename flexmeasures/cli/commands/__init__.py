"""CLI commands, one module per group; importing this package attaches them."""

from flexmeasures.cli.commands import data_add, data_delete, db_ops, jobs, schedules  # noqa: F401
