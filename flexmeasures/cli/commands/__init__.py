"""CLI commands, one module per group; importing this package attaches them."""

from flexmeasures.cli.commands import (  # noqa: F401
    data_add,
    data_delete,
    db_ops,
    dso,
    forecasts,
    jobs,
    schedules,
    trading,
)
