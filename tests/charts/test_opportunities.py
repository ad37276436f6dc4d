"""Opportunities per hour and the highlights on charts: worked out by hand in comments."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from bokeh.models import BoxAnnotation

from flexmeasures.charts import ChartWindow
from flexmeasures.charts.opportunities import (
    COST,
    DEVIATION,
    GAIN,
    by_value,
    highlight_spans,
    hourly_opportunities,
)
from flexmeasures.charts.portfolio import schedule_change_chart, stacked_power_chart

QUARTER = pd.Timedelta(minutes=15)
HOUR = pd.Timedelta(hours=1)
START = pd.Timestamp("2025-03-01T00:00", tz="UTC")


def steps(*values: float) -> pd.Series:
    return pd.Series(values, index=pd.date_range(START, periods=len(values), freq="15min"))


def test_opportunities_per_hour_with_their_own_volume_and_value():
    # hour 0: battery charges 4 MW more than forecast for 2 quarters: +2 MWh at 10 → -20 EUR
    # hour 1: no deviation; hour 2: 4 MW less for one quarter: -1 MWh at 50 → +50 EUR
    schedule = steps(4, 4, 0, 0, 0, 0, 0, 0, -4, 0, 0, 0)
    forecast = steps(*[0] * 12)
    prices = steps(*[10] * 4, *[30] * 4, *[50] * 4)
    found = hourly_opportunities("battery", schedule, forecast, prices, QUARTER)
    assert [(o.start, o.end) for o in found] == [
        (START, START + HOUR),
        (START + 2 * HOUR, START + 3 * HOUR),
    ]
    assert [o.volume for o in found] == pytest.approx([2.0, 1.0])
    assert [o.value for o in found] == pytest.approx([-20.0, 50.0])
    assert [o.start for o in by_value(found)] == [START + 2 * HOUR, START]  # most valuable first


def test_hourly_steps_are_one_opportunity_each():
    index = pd.date_range(START, periods=3, freq="h")
    schedule = pd.Series([1.0, 0.0, -2.0], index=index)
    found = hourly_opportunities("a", schedule, schedule * 0, pd.Series(dtype=float), HOUR)
    # no prices: volumes 1 and 2 MWh, no value
    assert [(o.start, o.volume, o.value) for o in found] == [
        (index[0], 1.0, 0.0),
        (index[2], 2.0, 0.0),
    ]


def test_highlights_mark_deviating_slots_by_whether_they_gain_or_cost():
    # charge (+2 MW, costs at 10), nothing, two quarters of discharge (gains at 50), then a
    # deviation without a known price
    change = steps(2, 0, -2, -2, 1)
    prices = steps(10, 10, 50, 50, np.nan)
    window = ChartWindow(START, START + 5 * QUARTER)
    spans = highlight_spans(change, prices, QUARTER, window)
    assert [(s.start, s.end, s.kind) for s in spans] == [
        (START, START + QUARTER, COST),
        (START + 2 * QUARTER, START + 4 * QUARTER, GAIN),
        (START + 4 * QUARTER, START + 5 * QUARTER, DEVIATION),
    ]


def test_highlights_of_a_year_never_outnumber_the_pixels():
    year = pd.date_range(START, periods=35040, freq="15min")
    change = pd.Series(np.where(np.arange(len(year)) % 2, 1.0, -1.0), index=year)  # alternating
    prices = pd.Series(np.arange(len(year)) % 7 * 10.0, index=year)
    window = ChartWindow(START, year[-1] + QUARTER, width=300)
    spans = highlight_spans(change, prices, QUARTER, window)
    assert 0 < len(spans) <= 300
    assert spans[0].start == START and spans[-1].end == window.end


def test_both_portfolio_charts_carry_the_highlights():
    window = ChartWindow(START, START + 4 * QUARTER)
    spans = highlight_spans(steps(0, 1, 0, 0), steps(40, 40, 40, 40), QUARTER, window)
    for chart in (
        stacked_power_chart({"solar": steps(-1, -1, -1, -1)}, window, True, spans),
        schedule_change_chart(steps(0, 1, 0, 0), window, spans),
    ):
        boxes = [r for r in chart.center if isinstance(r, BoxAnnotation)]
        assert len(boxes) == 1
        assert boxes[0].right - boxes[0].left == QUARTER / pd.Timedelta(milliseconds=1)


def test_the_stacked_chart_is_downsampled_to_the_screen_keeping_energy():
    year = pd.date_range(START, periods=35040, freq="15min")
    solar = pd.Series(-np.abs(np.sin(np.arange(len(year)) / 40)), index=year)
    window = ChartWindow(START, year[-1] + QUARTER, width=500)
    chart = stacked_power_chart({"solar": solar, "wind": solar * 2}, window, False)
    data = chart.renderers[0].data_source.data
    assert len(data["time"]) <= 2 * 500
    # means per equal time slice keep the average power (so the energy) of the year
    assert np.mean(data["solar"]) == pytest.approx(-solar.mean(), rel=0.01)
    assert np.mean(data["wind"]) == pytest.approx(-2 * solar.mean(), rel=0.01)
