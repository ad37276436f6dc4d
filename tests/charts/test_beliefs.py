"""From belief frames to series: the most recent belief per event, forecast bands."""

from __future__ import annotations

import pandas as pd

from flexmeasures.charts.beliefs import forecasts_with_band, series_per_sensor
from flexmeasures.data.queries import BELIEF_COLUMNS

T0 = pd.Timestamp("2025-01-01", tz="UTC")
T1 = T0 + pd.Timedelta("15min")


def beliefs(rows: list[tuple]) -> pd.DataFrame:
    """Rows of (sensor_id, event_start, horizon in hours, source_id, probability, value)."""
    frame = pd.DataFrame(rows, columns=BELIEF_COLUMNS)
    frame["belief_horizon"] = pd.to_timedelta(frame["belief_horizon"], unit="h")
    return frame


def test_series_per_sensor_keeps_the_first_belief_per_event():
    frame = beliefs([(1, T0, 0, 1, 0.5, 3.0), (1, T0, 1, 1, 0.5, 9.0), (2, T1, 0, 1, 0.5, 4.0)])
    series = series_per_sensor(frame)
    assert series[1].to_dict() == {T0: 3.0}
    assert series[2].to_dict() == {T1: 4.0}


def test_a_forecast_with_quantiles_gives_its_median_and_band():
    frame = beliefs(
        [
            (1, T0, 6, 1, 0.1, 1.0),
            (1, T0, 6, 1, 0.5, 2.0),
            (1, T0, 6, 1, 0.9, 4.0),
            (1, T0, 24, 1, 0.5, 100.0),  # older: ignored
            (1, T1, 6, 1, 0.5, 5.0),  # no band
        ]
    )
    table = forecasts_with_band(frame)[1]
    assert table.loc[T0].to_dict() == {"value": 2.0, "lower": 1.0, "upper": 4.0}
    assert table.loc[T1, "value"] == 5.0
    assert table.loc[T1, ["lower", "upper"]].isna().all()


def test_the_band_comes_from_the_most_recent_belief_only():
    frame = beliefs([(1, T0, 1, 2, 0.5, 2.0), (1, T0, 6, 1, 0.05, -50.0), (1, T0, 6, 1, 0.95, 50)])
    table = forecasts_with_band(frame)[1]
    assert table.loc[T0, "value"] == 2.0 and pd.isna(table.loc[T0, "lower"])


def test_no_forecasts_no_tables():
    assert forecasts_with_band(beliefs([])) == {}
