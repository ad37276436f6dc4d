"""The DSO module end to end on the database: a dispatch recorded through the CLI is kept by
the asset's next schedule (HiGHS, through the scheduling job), one the battery cannot keep
is explained, and readings are exported from the assets' most recent measurements."""

from __future__ import annotations

import json
from datetime import timedelta

import pandas as pd
import pytest
from sqlalchemy import select

from flexmeasures.data.ingest import save_beliefs
from flexmeasures.data.models import Commitment, DataSource, Market
from flexmeasures.scheduling.jobs import make_schedule
from tests.cli.conftest import assert_one_line_error
from tests.scheduling.test_jobs import add_prices, add_storage_asset

DAY = pd.Timestamp("2026-03-29T00:00Z")  # the day the UK clocks go forward
QUARTER = timedelta(minutes=15)


@pytest.fixture
def battery(db, users, structure):
    """A 2 MW, 0-5 MWh battery in meterable unit MU-1, with hourly prices for the day:
    cheap from 10:00 to 12:00 UTC, dear otherwise."""
    market = db.session.scalar(select(Market).filter_by(name="epex_da"))
    asset = add_storage_asset(db, users["prosumer"], timezone="Europe/London")
    add_prices(db, market, DAY.isoformat(), [10.0 if 10 <= h < 12 else 50.0 for h in range(24)])
    return asset


def add_dispatch(dso_cli, product, mw, unit, start, stop, *more: str) -> str:
    """Record a dispatch through ``flexmeasures dso add-dispatch``, which must succeed;
    returns what it printed."""
    options = ["--product", product, "--mw", mw, "--meterable-unit", unit]
    result = dso_cli("add-dispatch", *options, "--start", start, "--stop", stop, *more)
    assert result.exit_code == 0, result.output
    return result.output


def schedule_power(asset_id: int) -> pd.Series:
    """The power (MW) of the asset's schedule for the day, from 2.5 MWh, per step start."""
    start, end = DAY.to_pydatetime(), (DAY + timedelta(days=1)).to_pydatetime()
    summary = make_schedule(asset_id, start, end, 2.5)
    power = pd.Series(summary["power"], index=pd.date_range(DAY, periods=96, freq=QUARTER))
    return power, summary


def test_a_dispatch_becomes_a_commitment_the_next_schedule_keeps(db, battery, dso_cli):
    before, _ = schedule_power(battery.id)
    assert (before["2026-03-29 10:00Z":"2026-03-29 10:45Z"] > 0).all()  # charges when cheap

    result = dso_cli(
        "add-meterable-unit", "--meterable-unit", "MU-1", "--asset-id", str(battery.id)
    )
    assert result.exit_code == 0, result.output
    uk_clock = ("2026-03-29T11:00", "2026-03-29T12:00", "--time-zone", "uk")
    output = add_dispatch(dso_cli, "ou_15", "1", "MU-1", *uk_clock, "--dispatch-id", "D-1")
    assert "net power at most -1 MW (consumption positive) from 2026-03-29T10:00:00+00:00" in (
        output
    )  # 11:00 BST is 10:00 UTC

    after, summary = schedule_power(battery.id)
    assert summary["status"] == "optimal"
    assert (after["2026-03-29 10:00Z":"2026-03-29 10:45Z"] <= -1 + 1e-6).all()
    assert (after["2026-03-29 11:00Z":"2026-03-29 11:45Z"] > 0).all()  # still charges after


def test_re_adding_a_dispatch_replaces_it(db, users, battery, dso_cli):
    dso_cli("add-meterable-unit", "--meterable-unit", "MU-1", "--asset-id", str(battery.id))
    window = ("2026-03-29T10:00Z", "2026-03-29T11:00Z")
    for mw in ("1", "0.5"):
        add_dispatch(dso_cli, "OU_15", mw, "MU-1", *window, "--dispatch-id", "D-2")
    [commitment] = db.session.scalars(select(Commitment)).all()
    assert commitment.power_in_mw == -0.5 and commitment.external_id == "D-2"
    listed = dso_cli("commitments", "--meterable-unit", "MU-1").output.splitlines()
    assert listed == [
        f"asset {battery.id}: 2026-03-29T10:00:00+00:00 to 2026-03-29T11:00:00+00:00, net power "
        "at most -0.5 MW (national-grid-dso: National Grid DSO dispatch D-2 (OU_15, turn_down "
        "0.5 MW))"
    ]
    later = dso_cli("commitments", "--from", "2026-03-29T12:00", "--time-zone", "uk")
    assert later.output == "No commitments.\n"

    # amended to another unit: the first unit's asset is no longer committed
    other = add_storage_asset(db, users["prosumer"], name="other")
    dso_cli("add-meterable-unit", "--meterable-unit", "MU-2", "--asset-id", str(other.id))
    add_dispatch(dso_cli, "OU_15", "0.5", "MU-2", *window, "--dispatch-id", "D-2")
    assert [c.asset_id for c in db.session.scalars(select(Commitment))] == [other.id]


def test_a_dispatch_beyond_the_battery_gets_the_schedulers_explanation(db, battery, dso_cli):
    dso_cli("add-meterable-unit", "--meterable-unit", "MU-1", "--asset-id", str(battery.id))
    add_dispatch(dso_cli, "SU_HV", "3", "MU-1", "2026-03-29T18:00Z", "2026-03-29T18:30Z")
    power, summary = schedule_power(battery.id)
    assert summary["status"] == "infeasible"
    assert summary["explanation"][0].startswith(
        "The device cannot keep a net power of at most -3 MW (consumption positive) from "
        "2026-03-29 18:00 UTC to 2026-03-29 18:30 UTC (National Grid DSO dispatch (SU_HV, "
        "turn_down 3 MW))"
    )
    assert power["2026-03-29 18:00Z"] == pytest.approx(-2.0)  # as close as it gets
    assert any("power commitment of -3 MW" in text for text in summary["shortfalls"])


def run_with_defaults(dso_cli, battery, command: str, defaults: list[str], changes: list[str]):
    """Run ``flexmeasures dso <command>`` for the battery in unit MU-1, with the default
    options (a list of option, value pairs) changed by ``changes`` (likewise)."""
    dso_cli("add-meterable-unit", "--meterable-unit", "MU-1", "--asset-id", str(battery.id))
    options = dict(zip(defaults[::2], defaults[1::2], strict=True))
    options.update(dict(zip(changes[::2], changes[1::2], strict=True)))
    return dso_cli(command, *[word for pair in options.items() for word in pair])


@pytest.mark.parametrize(
    "arguments, fragments",
    [
        (["--product", "XX"], ["Unknown", "'XX'", "OU_15"]),
        (["--product", "su"], ["shared by several products", "SU_HV"]),
        (["--meterable-unit", "MU-9"], ["No assets belong to meterable unit 'MU-9'", "MU-1"]),
        (["--start", "2026-03-29T01:30", "--time-zone", "uk"], ["--start", "does not exist"]),
        (["--start", "2026-10-25T01:30", "--time-zone", "uk"], ["--start", "happens twice"]),
        (["--mw", "-1"], ["above 0 MW"]),
    ],
)
def test_dispatch_errors_are_one_line_and_record_nothing(
    db, battery, dso_cli, arguments, fragments
):
    defaults = ["--product", "OU_15", "--mw", "1", "--meterable-unit", "MU-1"]
    defaults += ["--start", "2026-03-29T10:00Z", "--stop", "2026-03-29T11:00Z"]
    result = run_with_defaults(dso_cli, battery, "add-dispatch", defaults, arguments)
    assert_one_line_error(result, *fragments)
    assert db.session.scalars(select(Commitment)).all() == []


def add_measurements(db, asset, values: list[float], horizon=timedelta(0), name="meter"):
    """Quarter-hourly power (MW) of the asset from DAY on, with this belief horizon."""
    source = DataSource(name=name, type="script")
    db.session.add(source)
    db.session.flush()
    save_beliefs(
        pd.DataFrame(
            {
                "sensor_id": asset.id,
                "event_start": pd.date_range(DAY, periods=len(values), freq=QUARTER),
                "belief_horizon": horizon,
                "source_id": source.id,
                "event_value": values,
            }
        )
    )


def test_readings_export_the_units_most_recent_measurements(db, users, structure, dso_cli):
    first = add_storage_asset(db, users["prosumer"], name="first")
    second = add_storage_asset(db, users["prosumer"], name="second")
    ids = [str(first.id), str(second.id)]
    dso_cli(
        "add-meterable-unit", "--meterable-unit", "MU-2", "--asset-id", ids[0], "--asset-id", ids[1]
    )
    add_measurements(db, first, [1.0, 1.0, -2.0, 0.0])
    add_measurements(db, first, [9.0, 9.0], horizon=timedelta(hours=1), name="forecaster")
    add_measurements(db, first, [2.0], horizon=-timedelta(hours=1), name="late meter")
    add_measurements(db, second, [0.5, 0.5, 0.5])

    window = ["--meterable-unit", "MU-2", "--start", "2026-03-29T00:00Z", "--end"]
    result = dso_cli(
        "export-readings",
        *window,
        "2026-03-29T00:30Z",
        "--kind",
        "energy",
        "--timestamp",
        "end",
        "--sign",
        "export-positive",
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    # first quarter: 2 (the later measurement) + 0.5 MW; second: 1 + 0.5 MW → 1 MWh in total
    assert payload["readings"] == [{"timestamp": "2026-03-29T00:30:00Z", "value": -1.0}]
    assert (payload["unit"], payload["timestamp"], payload["sign"]) == (
        "MWh",
        "end",
        "export_positive",
    )

    result = dso_cli("export-readings", *window, "2026-03-29T00:02Z")
    assert json.loads(result.output)["readings"] == [
        {"timestamp": "2026-03-29T00:00:00Z", "value": 2.5},
        {"timestamp": "2026-03-29T00:01:00Z", "value": 2.5},
    ]

    # from within a quarter hour: its measurement holds for each of its minutes
    window[3] = "2026-03-29T00:20Z"
    result = dso_cli("export-readings", *window, "2026-03-29T00:22Z")
    assert [reading["value"] for reading in json.loads(result.output)["readings"]] == [1.5, 1.5]
    window[3] = "2026-03-29T00:00Z"

    # the second asset has no measurement from 00:45 on: that half hour is refused ...
    result = dso_cli("export-readings", *window, "2026-03-29T01:00Z", "--kind", "energy")
    assert_one_line_error(result, "1 of 2 intervals", "2026-03-29T00:30:00Z", "--allow-gaps")
    # ... unless gaps are allowed, then it is listed as missing
    result = dso_cli(
        "export-readings", *window, "2026-03-29T01:00Z", "--kind", "energy", "--allow-gaps"
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["missing"] == ["2026-03-29T00:30:00Z"]
    assert "Warning: 1 of 2 intervals" in result.stderr


@pytest.mark.parametrize(
    "arguments, fragments",
    [
        (["--meterable-unit", "MU-9"], ["No assets belong to meterable unit 'MU-9'"]),
        (["--kind", "energy", "--end", "2026-03-29T00:45Z"], ["whole 30 minutes"]),
        (["--end", "2026-03-28T00:00Z"], ["ends before it starts"]),
        (["--sign", "positive"], ["Invalid value for '--sign'", "import-positive"]),
    ],
)
def test_readings_errors_are_one_line(db, battery, dso_cli, arguments, fragments):
    defaults = ["--meterable-unit", "MU-1", "--start", "2026-03-29T00:00Z"]
    defaults += ["--end", "2026-03-29T01:00Z"]
    result = run_with_defaults(dso_cli, battery, "export-readings", defaults, arguments)
    assert_one_line_error(result, *fragments)
