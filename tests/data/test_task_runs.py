"""Latest runs of recurring tasks: recording (upsert), the context manager/decorator that
wraps recurring work, and the check an external monitor relies on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from flexmeasures.data.models import LatestTaskRun, MarketType
from flexmeasures.data.services.task_runs import (
    describe_duration,
    latest_task_run,
    record_task_run,
    task_run_problem,
    task_run_recorded,
)

NOON = datetime(2021, 4, 2, 12, tzinfo=UTC)


def count_runs(db) -> int:
    return db.session.scalar(select(func.count()).select_from(LatestTaskRun))


def test_record_replaces_the_previous_run(db):
    record_task_run("import-prices", True, NOON)
    amsterdam = timezone(timedelta(hours=2))
    later = datetime(2021, 4, 2, 15, tzinfo=amsterdam)
    record_task_run("import-prices", False, later)
    run = latest_task_run("import-prices")
    assert count_runs(db) == 1
    assert run.status is False
    assert run.datetime == later and run.datetime.tzinfo == UTC  # stored in UTC


def test_record_defaults_to_now_and_refuses_naive_datetimes(db):
    before = datetime.now(UTC)
    run = record_task_run("forecast")
    assert run.status is True and before <= run.datetime <= datetime.now(UTC)
    with pytest.raises(ValueError, match="time zone"):
        record_task_run("forecast", True, datetime(2021, 4, 2, 12))


def test_unknown_task_has_no_run(db):
    assert latest_task_run("never-ran") is None


def test_recorded_work_commits_with_a_successful_run(db):
    with task_run_recorded("add-market-type"):
        db.session.add(MarketType(name="intraday", display_name="intraday market"))
    db.session.rollback()  # nothing left to roll back: the work and its run were committed
    assert db.session.get(MarketType, "intraday") is not None
    assert latest_task_run("add-market-type").status is True


def test_failed_work_is_rolled_back_and_its_failure_recorded(db):
    with pytest.raises(RuntimeError, match="price server down"):
        with task_run_recorded("add-market-type"):
            db.session.add(MarketType(name="intraday", display_name="intraday market"))
            db.session.flush()
            raise RuntimeError("price server down")
    assert db.session.get(MarketType, "intraday") is None
    assert latest_task_run("add-market-type").status is False


def test_recorded_as_a_decorator(db):
    @task_run_recorded("nightly")
    def nightly(fail: bool) -> str:
        if fail:
            raise ValueError("bad input")
        return "done"

    assert nightly(False) == "done"
    assert latest_task_run("nightly").status is True
    with pytest.raises(ValueError):
        nightly(True)
    assert latest_task_run("nightly").status is False


def test_problems_a_monitor_sees():
    ok = LatestTaskRun(name="import", datetime=NOON, status=True)
    failed = LatestTaskRun(name="import", datetime=NOON, status=False)
    an_hour_later = NOON + timedelta(hours=1, minutes=5)
    assert task_run_problem(ok, timedelta(hours=2), now=an_hour_later) is None
    assert task_run_problem(ok, now=an_hour_later) is None
    too_old = task_run_problem(ok, timedelta(hours=1), now=an_hour_later)
    assert "1 h 5 min ago" in too_old and "PT1H" in too_old
    assert "failed" in task_run_problem(failed, timedelta(hours=2), now=an_hour_later)


def test_durations_in_words():
    assert describe_duration(timedelta(days=1, seconds=7505)) == "1 d 2 h 5 min 5 s"
    assert describe_duration(timedelta(0)) == "0 s"


def test_record_replaces_the_previous_run_on_sqlite(tmp_path):
    from flask_migrate import upgrade

    from flexmeasures.app import create_app
    from flexmeasures.data import db

    app = create_app(
        "testing",
        settings={
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'fm.db'}",
            "FLEXMEASURES_REDIS_URL": None,
        },
        instance_path=tmp_path,
    )
    with app.app_context():
        upgrade()
        record_task_run("import-prices", True, NOON)
        record_task_run("import-prices", False, NOON + timedelta(hours=1))
        db.session.commit()
        run = latest_task_run("import-prices")
        assert (run.status, run.datetime) == (False, NOON + timedelta(hours=1))
        assert count_runs(db) == 1
        db.session.remove()
        db.engine.dispose()
