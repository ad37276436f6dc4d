"""CLI commands, one module per group; importing this package attaches them."""

from flexmeasures.cli.commands import (
    data_add,
    data_delete,
    db_ops,
    dso,
    forecasts,
    jobs,
    schedules,
    trading,
)

__all__ = [
    "data_add",
    "data_delete",
    "db_ops",
    "dso",
    "forecasts",
    "jobs",
    "schedules",
    "trading",
]
