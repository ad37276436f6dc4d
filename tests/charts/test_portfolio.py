"""The portfolio overview's arithmetic: energy × price per step, consumption positive;
numbers worked out by hand in the comments."""

from __future__ import annotations

import pandas as pd
import pytest

from flexmeasures.charts import ChartWindow
from flexmeasures.charts.opportunities import by_value, opportunity
from flexmeasures.charts.portfolio import (
    finances,
    past_then_future,
    schedule_change,
    stacked_power_chart,
)

QUARTER = pd.Timedelta(minutes=15)
START = pd.Timestamp("2025-03-01T00:00", tz="UTC")


def steps(*values: float) -> pd.Series:
    return pd.Series(values, index=pd.date_range(START, periods=len(values), freq="15min"))


def test_consumption_costs_and_production_earns_at_each_steps_price():
    # 4 MW consumed for 15 min = 1 MWh at 40 EUR/MWh: 40 EUR costs;
    # 8 MW produced for 15 min = 2 MWh at 50 EUR/MWh: 100 EUR revenues;
    # 2 MW produced at 10 EUR/MWh: 0.5 MWh, 5 EUR.
    result = finances(steps(4, -8, -2), steps(40, 50, 10), QUARTER)
    assert result.consumption == pytest.approx(1.0)
    assert result.production == pytest.approx(2.5)
    assert result.costs == pytest.approx(40.0)
    assert result.revenues == pytest.approx(105.0)
    assert result.profit == pytest.approx(65.0)


def test_hourly_steps_and_a_negative_price():
    # 3 MW consumed for an hour at -20 EUR/MWh: 3 MWh, costs -60 EUR (being paid), profit +60.
    hourly = pd.Series([3.0], index=pd.DatetimeIndex([START]))
    result = finances(hourly, pd.Series([-20.0], index=hourly.index), pd.Timedelta(hours=1))
    assert (result.consumption, result.costs, result.profit) == pytest.approx((3.0, -60.0, 60.0))


def test_steps_without_a_price_count_energy_but_no_money():
    # (2 + 4) MW × 0.25 h = 1.5 MWh; only the first step has a price: 0.5 MWh × 30 = 15 EUR;
    # the step without power counts as nothing (its price 99 is not used)
    result = finances(steps(2, 4, float("nan")), steps(30, float("nan"), 99), QUARTER)
    assert (result.consumption, result.costs) == pytest.approx((1.5, 15.0))


def test_no_prices_at_all():
    result = finances(steps(-4), pd.Series(dtype="float64"), QUARTER)
    assert (result.production, result.revenues) == pytest.approx((1.0, 0.0))


def test_past_measured_future_forecast():
    now = START + 2 * QUARTER
    profile = past_then_future(steps(1, 2, 3, 4), steps(10, 20, 30, 40), now)
    assert profile.tolist() == [1, 2, 30, 40]


def test_schedule_change_is_schedule_minus_forecast_summed_over_assets():
    index = steps(0, 0).index
    schedules = pd.DataFrame({"a": [5.0, float("nan")], "b": [1.0, 2.0]}, index=index)
    forecasts = pd.DataFrame({"a": [3.0, 3.0], "b": [float("nan"), 4.0]}, index=index)
    # step 1: (5 - 3) + (1 - 0) = 3; step 2: a has no schedule, b: 2 - 4 = -2
    assert schedule_change(schedules, forecasts).tolist() == [3.0, -2.0]
    assert schedule_change(schedules[[]], forecasts).tolist() == [0.0, 0.0]  # no schedules
    only_a = schedules[["a"]]
    assert schedule_change(only_a, forecasts).tolist() == [2.0, 0.0]


def test_stacked_chart_stacks_one_area_per_type_of_the_chosen_sign():
    window = ChartWindow(START, START + 3 * QUARTER)
    chart = stacked_power_chart(
        {"solar": steps(-1, -2, 0), "battery": steps(2, -1, 1)}, window, False
    )
    assert "production" in chart.title.text
    areas = chart.renderers
    assert len(areas) == 2
    data = areas[0].data_source.data
    assert list(data["solar"]) == [1, 2, 0]  # production positive
    assert list(data["battery"]) == [0, 1, 0]  # its consumption is left out


def test_opportunity_volume_and_value_by_hand():
    # step 1: schedule 6, forecast 2 → +4 MW × 0.25 h = +1 MWh at 40 → value -40 EUR
    # step 2: schedule 0, forecast 8 → -8 MW × 0.25 h = -2 MWh at 50 → value +100 EUR
    # step 3: no schedule → nothing. Volume 1 + 2 = 3 MWh, value 60 EUR.
    found = opportunity(
        "battery", steps(6, 0, float("nan")), steps(2, 8, 5), steps(40, 50, 70), QUARTER
    )
    assert found is not None
    assert (found.volume, found.value) == pytest.approx((3.0, 60.0))


def test_no_schedule_or_no_deviation_is_no_opportunity_and_best_comes_first():
    assert opportunity("a", steps(float("nan")), steps(1), steps(9), QUARTER) is None
    assert opportunity("a", steps(1, 2), steps(1, 2), steps(9, 9), QUARTER) is None
    gain = opportunity("gain", steps(0), steps(4), steps(10), QUARTER)  # 1 MWh less: +10 EUR
    loss = opportunity("loss", steps(4), steps(0), steps(10), QUARTER)  # 1 MWh more: -10 EUR
    assert [o.asset for o in by_value([loss, None, gain])] == ["gain", "loss"]
