"""Job functions for the queue tests: module-level, so that RQ can find them by name."""

from __future__ import annotations

from flask import current_app


def add_numbers(a: float, b: float) -> float:
    """Return a + b."""
    return a + b


def fail_with(message: str) -> None:
    """Raise a ValueError with the given message."""
    raise ValueError(message)


def add_data_source(name: str) -> int:
    """Add a script data source (committing, as a job does) and return its id."""
    from flexmeasures.data import db
    from flexmeasures.data.models import DataSource

    source = DataSource(name=name, type="script")
    db.session.add(source)
    db.session.commit()
    return source.id


def app_name() -> str:
    """The name of the app the job runs in (proves it runs inside an app context)."""
    return current_app.name
