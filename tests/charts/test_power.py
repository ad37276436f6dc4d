"""The power chart: signs, sums or individual traces, bands, and the embeddable item."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from flexmeasures.charts import ChartWindow, PowerData, chart_json, power_chart
from flexmeasures.charts.power import power_traces
from tests.charts.helpers import lines

INDEX = pd.date_range("2025-01-01", periods=4, freq="15min", tz="UTC")
WINDOW = ChartWindow(INDEX[0], INDEX[-1] + pd.Timedelta("15min"), width=400)
METERS = pd.DataFrame({"CS 1": [1.0, 2.0, 3.0, 4.0], "CS 2": [0.5, np.nan, 0.5, 0.5]}, INDEX)


def test_several_assets_are_summed_unless_individual_traces_are_asked():
    summed = power_traces(PowerData(measurements=METERS), "charging stations")
    assert [t.label for t in summed] == ["charging stations (measurements)"]
    assert summed[0].values.tolist() == [1.5, 2.0, 3.5, 4.5]
    individual = power_traces(
        PowerData(measurements=METERS), "x", show_individual_traces_for="power"
    )
    assert [t.label for t in individual] == ["CS 1 (measurements)", "CS 2 (measurements)"]


def test_individual_schedules_leave_power_summed():
    data = PowerData(measurements=METERS, schedules=METERS * 2)
    traces = power_traces(data, "all", show_individual_traces_for="schedules")
    assert [t.label for t in traces] == [
        "all (measurements)",
        "CS 1 (schedules)",
        "CS 2 (schedules)",
    ]


def test_production_positive_flips_signs_and_band():
    data = PowerData(
        forecasts=METERS[["CS 1"]],
        forecast_lower=METERS[["CS 1"]] - 1,
        forecast_upper=METERS[["CS 1"]] + 1,
    )
    (trace,) = power_traces(data, "CS 1", consumption_as_positive=False)
    assert trace.kind == "forecasts"
    assert trace.values.tolist() == [-1.0, -2.0, -3.0, -4.0]
    assert (trace.lower < trace.values).all() and (trace.values < trace.upper).all()


def test_unknown_individual_trace_option_is_refused():
    with pytest.raises(ValueError, match="show_individual_traces_for"):
        power_traces(PowerData(), "x", show_individual_traces_for="everything")


def test_json_item_carries_the_data_and_the_sign_convention():
    chart = power_chart(PowerData(measurements=METERS), WINDOW, "CS", consumption_as_positive=False)
    item = chart_json(chart)
    assert set(item) >= {"target_id", "root_id", "doc"}
    text = json.dumps(item)
    assert "production positive" in text
    assert lines(item)["CS (measurements)"] == [-1.5, -2.0, -3.5, -4.5]


def test_an_empty_chart_still_has_its_window_and_a_trace():
    item = chart_json(power_chart(PowerData(), WINDOW, "nothing"))
    assert "nothing (measurements)" in lines(item)


def test_a_year_is_shipped_as_at_most_two_points_per_pixel():
    year = pd.date_range("2025-01-01", periods=35040, freq="15min", tz="UTC")
    data = PowerData(measurements=pd.DataFrame({"a": np.arange(35040.0)}, index=year))
    window = ChartWindow(year[0], year[-1] + pd.Timedelta("15min"), width=600)
    values = lines(chart_json(power_chart(data, window, "a")))["a (measurements)"]
    assert 0 < len(values) <= 1200
    assert values[0] == 0.0 and values[-1] == 35039.0


def test_a_summed_band_counts_the_forecast_of_an_asset_without_a_band():
    # "banded" has quantiles (forecast ± 1 MW), "plain" has none: the summed band is the
    # banded asset's bounds plus the plain asset's forecast, so it sits around the sum
    forecasts = pd.DataFrame({"banded": [1.0, 2.0, 3.0, 4.0], "plain": [10.0] * 4}, INDEX)
    data = PowerData(
        forecasts=forecasts,
        forecast_lower=forecasts[["banded"]] - 1,
        forecast_upper=forecasts[["banded"]] + 1,
    )
    (trace,) = power_traces(data, "both")
    assert trace.values.tolist() == [11.0, 12.0, 13.0, 14.0]
    assert trace.lower.tolist() == [10.0, 11.0, 12.0, 13.0]
    assert trace.upper.tolist() == [12.0, 13.0, 14.0, 15.0]


def test_a_summed_band_is_absent_where_no_asset_has_a_bound():
    forecasts = pd.DataFrame({"banded": [1.0, 2.0], "plain": [10.0, 10.0]}, INDEX[:2])
    lower = pd.DataFrame({"banded": [0.0, np.nan]}, INDEX[:2])
    (trace,) = power_traces(
        PowerData(forecasts=forecasts, forecast_lower=lower, forecast_upper=lower + 2), "both"
    )
    assert trace.lower.iloc[0] == 10.0 and np.isnan(trace.lower.iloc[1])
    assert trace.upper.iloc[0] == 12.0 and np.isnan(trace.upper.iloc[1])
