"""``flexmeasures add schedule``: computes, prints and saves a schedule in one transaction,
or queues it as a job; bad input gives one-line errors and writes nothing."""

from __future__ import annotations

import re

import pytest
from rq.job import Job, JobStatus

from flexmeasures.jobs import make_worker
from flexmeasures.scheduling import available_solvers
from tests.cli.conftest import assert_one_line_error
from tests.scheduling.test_jobs import (
    add_prices,
    add_storage_asset,
    cheap_late_morning,
    schedule_beliefs,
)

FROM = "2015-06-02T10:00:00+00:00"


@pytest.fixture
def battery(db, users, epex_da):
    """A 2 MW, 0-5 MWh battery (Europe/Amsterdam), prices for 3 days from 2015-06-02."""
    asset = add_storage_asset(db, users["prosumer"], soc_in_mwh=1.0)
    add_prices(db, epex_da, "2015-06-02T00:00:00Z", cheap_late_morning())
    return asset


def table_rows(output: str) -> list[list[str]]:
    """The rows of the printed trajectory table, split into columns."""
    return [
        line.split()
        for line in output.splitlines()
        if re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d[+-]\d\d:\d\d ", line)
    ]


def test_schedule_is_printed_and_saved(run_cli, db, battery):
    result = run_cli("add", "schedule", "--asset-id", str(battery.id), "--from", FROM)

    assert result.exit_code == 0, result.output
    assert "Status: optimal" in result.output
    # from 1 MWh (the asset's SOC): buy 4 MWh in the 2 cheap hours (40 EUR) to be full,
    # sell all 5 MWh later at 50 EUR/MWh (250 EUR)
    assert "Expected cost: -210.00 EUR" in result.output
    assert "State of charge at the start: 1.000 MWh" in result.output
    rows = table_rows(result.output)
    assert len(rows) == 192  # the planning horizon of 48 hours
    assert rows[0][:4] == ["2015-06-02", "12:00:00+02:00", "2.000", "1.500"]
    assert "Saved 192 power values (MW)" in result.output
    saved = schedule_beliefs(db, battery)
    assert len(saved) == 192
    assert saved["event_value"].iloc[:8].tolist() == pytest.approx([2.0] * 8, abs=1e-6)


def test_targets_local_times_and_options(run_cli, db, battery):
    result = run_cli(
        "add", "schedule", "--asset-id", str(battery.id), "--from", "2015-06-02T12:00",
        "--to", "2015-06-02T18:00", "--soc-at-start", "0", "--soc-target",
        "2015-06-02T18:00=3", "--no-prefer-charging-sooner", "--solver", "HiGHS",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    rows = table_rows(result.output)
    assert len(rows) == 24  # 12:00 to 18:00 in Amsterdam (CEST): 10:00 to 16:00 UTC
    assert rows[-1][0:2] == ["2015-06-02", "17:45:00+02:00"]
    assert rows[-1][3:] == ["3.000", "3.000"]  # SOC at the end, and the target
    assert "target (MWh)" in result.output
    # buy 4 MWh in the cheap hours (40 EUR), sell the 1 MWh not needed for the target (50)
    assert "Expected cost: -10.00 EUR" in result.output
    assert len(schedule_beliefs(db, battery)) == 24


def test_unmeetable_target_is_explained_and_the_closest_schedule_saved(run_cli, db, battery):
    result = run_cli(
        "add", "schedule", "--asset-id", str(battery.id), "--from", FROM, "--duration", "PT2H",
        "--soc-target", "2015-06-02T11:00:00+00:00=4",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    assert "Status: infeasible" in result.output
    assert "The target of 4 MWh at 2015-06-02 11:00 UTC needs 1 MWh more" in result.output
    assert "missed: 3 MWh, 1 MWh short." in result.output
    assert len(schedule_beliefs(db, battery)) == 8


def test_a_daylight_saving_day_in_local_time(run_cli, db, users, epex_da):
    asset = add_storage_asset(db, users["prosumer"])
    add_prices(db, epex_da, "2021-10-31T00:00:00+02:00", [40.0] * 25)

    result = run_cli(
        "add", "schedule", "--asset-id", str(asset.id), "--from", "2021-10-31T00:00",
        "--to", "2021-11-01T00:00", "--soc-target", "2021-11-01T00:00=5",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    rows = table_rows(result.output)
    assert len(rows) == 100  # 25 hours
    assert rows[-1][-2:] == ["5.000", "5.000"]


def test_as_job_queues_a_job_for_a_worker(run_cli, app, db, queues, battery):
    result = run_cli(
        "add", "schedule", "--asset-id", str(battery.id), "--from", FROM, "--duration", "PT1H",
        "--soc-target", "2015-06-02T11:00:00+00:00=3", "--as-job",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    job_id = re.search(r"Queued scheduling job (\S+) on the scheduling queue", result.output)[1]
    assert schedule_beliefs(db, battery).empty
    make_worker(["scheduling"]).work(burst=True)
    job = Job.fetch(job_id, connection=app.redis_connection)
    assert job.get_status() == JobStatus.FINISHED
    assert job.return_value()["expected_cost"] == pytest.approx(20.0)  # 2 MWh at 10
    assert len(schedule_beliefs(db, battery)) == 4


@pytest.fixture
def in_process_queues(app, queues, monkeypatch):
    """The app's queues running jobs in-process, as without Redis."""
    for queue in queues.values():
        monkeypatch.setattr(queue, "_is_async", False)
    return queues


def test_as_job_without_redis_runs_at_once(run_cli, db, in_process_queues, battery):
    result = run_cli(
        "add", "schedule", "--asset-id", str(battery.id), "--from", FROM, "--duration", "PT1H",
        "--soc-target", "2015-06-02T11:00:00+00:00=3", "--as-job",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    assert "It ran in-process (no Redis): optimal, expected cost 20.00 EUR." in result.output
    assert len(schedule_beliefs(db, battery)) == 4


def test_failing_job_without_redis_is_an_error(run_cli, db, in_process_queues, battery):
    result = run_cli(
        "add", "schedule", "--asset-id", str(battery.id), "--from", "2015-06-04T12:00:00Z",
        "--as-job",
    )  # fmt: skip

    assert_one_line_error(
        result, "failed: No prices are known for 2015-06-05 00:00 UTC to 2015-06-06 12:00 UTC."
    )
    assert schedule_beliefs(db, battery).empty


@pytest.mark.parametrize(
    "arguments, fragments",
    [
        (["--asset-id", "9999"], ["There is no asset with id 9999."]),
        (["--from", "2015-06-05T00:00:00+00:00"], ["No prices are known for 2015-06-05 00:00 UTC"]),
        (["--solver", "gurobi"], ["Unknown LP solver 'gurobi'", "Available here: highs"]),
        (["--from", "2015-06-02T10:05:00+00:00"], ["not at a step of the asset's resolution"]),
        (["--soc-target", "2015-06-02T11:00:00+00:00"], ["is not ISO=MWh"]),
        (["--soc-target", "2015-06-09T11:00:00+00:00=1"], ["The SOC target at 2015-06-09 11:00"]),
        (["--duration", "PT1H", "--to", "2015-06-03T00:00:00Z"], ["either --to or --duration"]),
        (["--to", "2015-06-02T09:00:00Z"], ["must end after it starts"]),
        (["--from", "2021-03-28T02:30"], ["not one moment in Europe/Amsterdam"]),
        (["--from", "tomorrow"], ["'tomorrow' is not an ISO 8601 time"]),
    ],
)
def test_bad_input_is_refused_in_one_line(run_cli, db, battery, arguments, fragments):
    defaults = {"--asset-id": str(battery.id), "--from": FROM}
    options = dict(zip(arguments[::2], arguments[1::2], strict=True))
    result = run_cli(
        "add", "schedule", *(word for pair in {**defaults, **options}.items() for word in pair)
    )

    assert_one_line_error(result, *fragments)
    assert schedule_beliefs(db, battery).empty


def test_assets_without_a_scheduler_are_refused(run_cli, db, users, epex_da):
    solar = add_storage_asset(db, users["prosumer"], "solar", name="panels")

    result = run_cli("add", "schedule", "--asset-id", str(solar.id), "--from", FROM)

    assert_one_line_error(result, "Assets of type 'solar' cannot be scheduled")


def test_unknown_solver_lists_the_installed_ones(run_cli, battery):
    result = run_cli(
        "add", "schedule", "--asset-id", str(battery.id), "--from", FROM, "--solver", "x"
    )

    error = assert_one_line_error(result)
    assert error.endswith(f"Available here: {', '.join(available_solvers())}.")
