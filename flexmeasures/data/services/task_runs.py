"""Recording and checking the latest runs of recurring tasks (cron jobs, CLI commands).

Wrap recurring work in ``task_run_recorded``, so that external monitors can ask the API
(``/api/ops/getLatestTaskRun``) whether it still runs and succeeds::

    with task_run_recorded("import-epex-prices"):
        import_prices()

or decorate a function with ``@task_run_recorded("import-epex-prices")``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from flexmeasures.data import db
from flexmeasures.data.models.task_runs import LatestTaskRun
from flexmeasures.utils.time_utils import duration_isoformat

_UPSERTS = {"postgresql": postgresql_insert, "sqlite": sqlite_insert}


def latest_task_run(name: str) -> LatestTaskRun | None:
    """The latest recorded run of the named task, or None if it never reported."""
    return db.session.get(LatestTaskRun, name, populate_existing=True)


def record_task_run(name: str, status: bool = True, when: datetime | None = None) -> LatestTaskRun:
    """Record that the named task ran at ``when`` (default: now, UTC) and succeeded or not.

    Replaces the task's previous record, also when another process records the same task
    at the same time. Does not commit: the caller commits (``task_run_recorded`` does).
    Raises ValueError for a naive ``when``.
    """
    when = when or datetime.now(UTC)
    if when.tzinfo is None:
        raise ValueError(f"Naive datetime {when} for task '{name}'; add a time zone.")
    values = {"name": name, "datetime": when, "status": bool(status)}
    upsert = _UPSERTS.get(db.session.get_bind().dialect.name)
    if upsert is None:
        db.session.merge(LatestTaskRun(**values))
    else:
        statement = upsert(LatestTaskRun).values(**values)
        db.session.execute(
            statement.on_conflict_do_update(
                index_elements=[LatestTaskRun.name],
                set_={"datetime": statement.excluded.datetime, "status": statement.excluded.status},
            )
        )
    return db.session.get_one(LatestTaskRun, name, populate_existing=True)


@contextmanager
def task_run_recorded(name: str) -> Iterator[None]:
    """Run the enclosed work as one transaction and record its run under ``name``.

    On success, the run is recorded as successful and committed together with the work. If
    the work raises, its changes are rolled back, the failed run is recorded and committed,
    and the exception goes on. Usable as ``with task_run_recorded(name):`` or as a decorator.
    """
    try:
        yield
    except Exception:
        db.session.rollback()
        record_task_run(name, status=False)
        db.session.commit()
        raise
    record_task_run(name, status=True)
    db.session.commit()


def task_run_problem(
    run: LatestTaskRun, max_age: timedelta | None = None, now: datetime | None = None
) -> str | None:
    """Say what is wrong with a task's latest run: it failed, or (with ``max_age``) it is
    older than that. None if the run is fine. ``now`` defaults to the current time (UTC).
    """
    now = now or datetime.now(UTC)
    age = now - run.datetime
    when = f"at {run.datetime.isoformat()}, {describe_age(age)}"
    if not run.status:
        return f"The latest run of task '{run.name}' ({when}) failed."
    if max_age is not None and age > max_age:
        return (
            f"The latest run of task '{run.name}' was {describe_age(age)} (at "
            f"{run.datetime.isoformat()}), longer ago than the maximum age of "
            f"{duration_isoformat(max_age)}."
        )
    return None


def describe_age(age: timedelta) -> str:
    """How long ago something happened, in words and whole seconds (e.g. '2 h 5 min ago')."""
    if age < timedelta(0):
        return f"{describe_duration(-age)} in the future"
    return f"{describe_duration(age)} ago"


def describe_duration(duration: timedelta) -> str:
    """A non-negative duration in days, hours, minutes and seconds, e.g. '1 d 2 h 5 min'."""
    seconds = int(duration.total_seconds())
    parts = []
    for unit, length in (("d", 86400), ("h", 3600), ("min", 60), ("s", 1)):
        amount, seconds = divmod(seconds, length)
        if amount:
            parts.append(f"{amount} {unit}")
    return " ".join(parts) or "0 s"
