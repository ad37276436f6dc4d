"""CLI commands, one module per group; importing this package attaches them."""

from flexmeasures.cli.commands import data_add, data_delete  # noqa: F401
