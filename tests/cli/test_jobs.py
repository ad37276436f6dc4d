"""`flexmeasures jobs`: a burst worker performs queued jobs and records results and failures;
clear-queue empties queues; unknown queues and a missing Redis give one-line errors."""

from __future__ import annotations

import pytest
from click.testing import Result
from flask import Flask
from rq.job import Job, JobStatus
from sqlalchemy import select

from flexmeasures.app import create_app
from flexmeasures.cli import cli
from flexmeasures.data.models import DataSource
from flexmeasures.jobs import enqueue
from tests.jobs_helpers import add_data_source, add_numbers, app_name, fail_with


def run_cli(app: Flask, *args: str) -> Result:
    """Invoke `flexmeasures <args>` on the app (inside the test's transaction)."""
    return app.test_cli_runner().invoke(cli, list(args))


def test_burst_worker_performs_jobs_and_records_results(app, db, queues):
    done = enqueue("forecasting", add_numbers, 2, 3)
    failed = enqueue("forecasting", fail_with, "no data for sensor 7")
    in_app = enqueue("forecasting", app_name)

    result = run_cli(app, "jobs", "run-worker", "--queue", "forecasting", "--burst")

    assert result.exit_code == 0, result.output
    assert done.get_status(refresh=True) == JobStatus.FINISHED
    assert done.return_value() == 5
    assert in_app.return_value() == app.name
    assert failed.get_status(refresh=True) == JobStatus.FAILED
    assert "ValueError: no data for sensor 7" in failed.latest_result().exc_string
    assert failed.id in queues["forecasting"].failed_job_registry.get_job_ids()
    assert queues["forecasting"].count == 0


def test_worker_jobs_use_the_database(app, db, queues):
    job = enqueue("scheduling", add_data_source, "job-made source")

    result = run_cli(app, "jobs", "run-worker", "--queue", "forecasting|scheduling", "--burst")

    assert result.exit_code == 0, result.output
    source = db.session.scalar(select(DataSource).filter_by(name="job-made source"))
    assert source is not None and job.return_value() == source.id


def test_worker_only_takes_jobs_of_its_queues(app, db, queues):
    other = enqueue("scheduling", add_numbers, 1, 1)

    result = run_cli(app, "jobs", "run-worker", "--queue", "forecasting", "--burst")

    assert result.exit_code == 0, result.output
    assert other.get_status(refresh=True) == JobStatus.QUEUED


def test_clear_queue_removes_waiting_and_failed_jobs(app, db, queues):
    enqueue("forecasting", add_numbers, 1, 2)
    enqueue("forecasting", add_numbers, 3, 4)
    failed = enqueue("scheduling", fail_with, "boom")
    assert run_cli(app, "jobs", "run-worker", "--queue", "scheduling", "--burst").exit_code == 0

    result = run_cli(app, "jobs", "clear-queue", "--queue", "forecasting")
    assert result.exit_code == 0, result.output
    assert "removed 2 waiting job(s)" in result.output
    assert queues["forecasting"].count == 0

    result = run_cli(app, "jobs", "clear-queue", "--queue", "scheduling", "--failed")
    assert result.exit_code == 0, result.output
    assert "removed 0 waiting job(s) and 1 failed job(s)" in result.output
    assert queues["scheduling"].failed_job_registry.count == 0
    assert not Job.exists(failed.id, connection=app.redis_connection)  # deleted, not only unlisted


@pytest.mark.parametrize("command", ["run-worker", "clear-queue"])
def test_unknown_queue_is_refused_naming_the_valid_ones(app, db, queues, command):
    result = run_cli(app, "jobs", command, "--queue", "forecasting|weather")

    assert result.exit_code != 0
    assert (
        "Error: Unknown queue 'weather'; choose one of: forecasting, scheduling." in result.output
    )
    assert "Traceback" not in result.output


def test_queue_option_is_required(app, db):
    result = run_cli(app, "jobs", "run-worker")

    assert result.exit_code != 0
    assert "Missing option '--queue'" in result.output


@pytest.fixture(scope="module")
def in_process_app() -> Flask:
    """An app without Redis: its queues run jobs in-process."""
    return create_app("testing", settings={"FLEXMEASURES_REDIS_URL": None})


@pytest.mark.parametrize("command", ["run-worker", "clear-queue"])
def test_commands_need_redis(in_process_app, command):
    result = run_cli(in_process_app, "jobs", command, "--queue", "forecasting")

    assert result.exit_code != 0
    assert "Error: jobs " + command + " needs Redis: set FLEXMEASURES_REDIS_URL" in result.output
