"""Readings for the Flexible Power Portal: minute power and half-hour energy, stamped at
the start or end of their interval, import or export positive, gaps never filled in."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from flexmeasures.market.dso.readings import (
    ENERGY,
    EXPORT_POSITIVE,
    READINGS,
    STAMP_END,
    InvalidReadingsRequestError,
    ReadingsConventions,
    interval_values,
    readings_payload,
    unit_power,
)

START = pd.Timestamp("2026-10-25T00:00Z")


def minutes(values, start=START) -> pd.Series:
    return pd.Series(values, index=pd.date_range(start, periods=len(values), freq="1min"))


def payload(values, **conventions) -> dict:
    chosen = ReadingsConventions(**conventions)
    return readings_payload("MU-1", interval_values(minutes(values), chosen), chosen)


def test_minute_readings_stamped_at_the_start_import_positive():
    result = payload([0.5, -0.25, 1.0])
    assert result["kind"] == "readings" and result["unit"] == "MW"
    assert result["interval"] == "PT1M"
    assert result["readings"] == [
        {"timestamp": "2026-10-25T00:00:00Z", "value": 0.5},
        {"timestamp": "2026-10-25T00:01:00Z", "value": -0.25},
        {"timestamp": "2026-10-25T00:02:00Z", "value": 1.0},
    ]
    assert result["missing"] == []


def test_minute_readings_stamped_at_the_end_export_positive():
    result = payload([0.5, -0.25], timestamp=STAMP_END, sign=EXPORT_POSITIVE)
    assert (result["timestamp"], result["sign"]) == ("end", "export_positive")
    assert result["readings"] == [
        {"timestamp": "2026-10-25T00:01:00Z", "value": -0.5},
        {"timestamp": "2026-10-25T00:02:00Z", "value": 0.25},
    ]


def test_half_hourly_energy_both_stampings():
    # 1 MW for the first half hour (0.5 MWh), then 0.6 MW for ten minutes and idle (0.1 MWh)
    values = [1.0] * 30 + [0.6] * 10 + [0.0] * 20
    start = payload(values, kind=ENERGY)
    assert start["unit"] == "MWh" and start["interval"] == "PT30M"
    assert start["readings"] == [
        {"timestamp": "2026-10-25T00:00:00Z", "value": pytest.approx(0.5)},
        {"timestamp": "2026-10-25T00:30:00Z", "value": pytest.approx(0.1)},
    ]
    end = payload(values, kind=ENERGY, timestamp=STAMP_END, sign=EXPORT_POSITIVE)
    assert [r["timestamp"] for r in end["readings"]] == [
        "2026-10-25T00:30:00Z",
        "2026-10-25T01:00:00Z",
    ]
    assert [r["value"] for r in end["readings"]] == pytest.approx([-0.5, -0.1])


def test_the_repeated_hour_gives_two_settlement_periods_per_clock_half_hour():
    # 00:00-02:00 UTC on 25 October 2026 is 01:00 BST to 01:00 GMT: four half hours
    result = payload([1.0] * 120, kind=ENERGY)
    assert len(result["readings"]) == 4
    assert result["readings"][2]["timestamp"] == "2026-10-25T01:00:00Z"


def test_a_gap_in_any_asset_leaves_its_interval_missing():
    assets = pd.DataFrame({1: minutes([1.0] * 60), 2: minutes([0.5] * 60)})
    assets.iloc[40, 1] = np.nan
    power = unit_power(assets)
    assert power.iloc[0] == 1.5 and np.isnan(power.iloc[40])
    chosen = ReadingsConventions(kind=ENERGY, timestamp=STAMP_END)
    result = readings_payload("MU-1", interval_values(power, chosen), chosen)
    assert result["readings"] == [{"timestamp": "2026-10-25T00:30:00Z", "value": 0.75}]
    assert result["missing"] == ["2026-10-25T01:00:00Z"]


@pytest.mark.parametrize(
    "conventions, fragment",
    [
        ({"kind": "power"}, "Unknown kind convention 'power'"),
        ({"timestamp": "middle"}, "start or end"),
        ({"sign": "positive"}, "import_positive or export_positive"),
    ],
)
def test_unknown_conventions_are_refused(conventions, fragment):
    with pytest.raises(InvalidReadingsRequestError, match=fragment):
        ReadingsConventions(**conventions)


def test_energy_needs_whole_half_hours():
    with pytest.raises(InvalidReadingsRequestError, match="whole 30 minutes"):
        interval_values(
            minutes([1.0] * 30, START + pd.Timedelta("10min")), ReadingsConventions(ENERGY)
        )
    with pytest.raises(InvalidReadingsRequestError, match="whole 30 minutes"):
        interval_values(minutes([1.0] * 45), ReadingsConventions(ENERGY))
    assert len(interval_values(minutes([1.0] * 45), ReadingsConventions(READINGS))) == 45
