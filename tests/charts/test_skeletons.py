"""Chart JSON from cached skeletons equals what bokeh builds for the same chart."""

import json
import re

import numpy as np
import pandas as pd
import pytest

from flexmeasures.charts import ChartWindow, PowerData, chart_json, power_chart, power_chart_json
from flexmeasures.charts.figures import Trace, time_series_figure
from flexmeasures.charts.opportunities import COST, DEVIATION, GAIN, Span
from flexmeasures.charts.portfolio import (
    schedule_change_chart,
    schedule_change_json,
    stacked_power_chart,
    stacked_power_json,
)
from flexmeasures.charts.skeletons import shape_of, time_series_json

INDEX = pd.date_range("2025-01-01", periods=4000, freq="15min", tz="UTC")
WINDOW = ChartWindow(INDEX[0], INDEX[-1] + pd.Timedelta("15min"), width=300)
VALUES = pd.Series(np.random.default_rng(3).normal(0, 1, len(INDEX)), index=INDEX)
VALUES.iloc[100:900] = np.nan  # a gap


def _ids_in_order(item: dict) -> dict:
    """The item with its model ids renamed in order of appearance (ids are arbitrary)."""
    names: dict[str, str] = {}
    text = re.sub(
        r'"(p\d+)"',
        lambda match: json.dumps(names.setdefault(match.group(1), f"model {len(names)}")),
        json.dumps(item),
    )
    return json.loads(text)


CHARTS = {
    "one line": [Trace("meter", VALUES)],
    "no values": [Trace("empty", VALUES.iloc[:0])],
    "band and schedule": [
        Trace("a", VALUES),
        Trace("b", VALUES * 2, "forecasts", lower=VALUES * 2 - 1, upper=VALUES * 2 + 1),
        Trace("c", VALUES.iloc[:50], "schedules"),
    ],
    "shared label, odd text": [
        Trace('tricky "<&>"\x01 é', VALUES),
        Trace("x", VALUES + 1),
        Trace('tricky "<&>"\x01 é', VALUES - 1, "forecasts"),
    ],
}


@pytest.mark.parametrize("name", CHARTS)
@pytest.mark.parametrize("target_id", [None, "power-chart"])
def test_skeleton_json_equals_the_built_figure(name, target_id):
    traces = CHARTS[name]
    built = chart_json(time_series_figure(traces, f"{name} <b>", "MW", WINDOW), target_id)
    fast = time_series_json(traces, f"{name} <b>", "MW", WINDOW, target_id)
    assert _ids_in_order(fast) == _ids_in_order(built)


def test_charts_of_one_shape_share_a_skeleton_but_not_model_ids():
    first = time_series_json([Trace("a", VALUES)], "one", "MW", WINDOW)
    second = time_series_json([Trace("b", VALUES * 3)], "two", "MW", WINDOW)
    assert shape_of([Trace("a", VALUES)], WINDOW) == shape_of([Trace("b", VALUES)], WINDOW)
    ids = [set(re.findall(r'"id":\s*"([^"]+)"', json.dumps(item))) for item in (first, second)]
    assert ids[0] and not ids[0] & ids[1]
    assert "two" in json.dumps(second) and "one" not in json.dumps(second)


def test_power_chart_json_equals_the_power_chart():
    data = PowerData(
        measurements=pd.DataFrame({"CS 1": VALUES, "CS 2": VALUES / 2}),
        schedules=pd.DataFrame({"CS 1": VALUES.iloc[:96]}),
    )
    for individual in ("none", "power", "schedules"):
        built = chart_json(power_chart(data, WINDOW, "CS", False, individual), "chart")
        fast = power_chart_json(data, WINDOW, "CS", False, individual, "chart")
        assert _ids_in_order(fast) == _ids_in_order(built)


SPANS = [
    Span(INDEX[10], INDEX[40], GAIN),
    Span(INDEX[40], INDEX[90], COST),
    Span(INDEX[2000], INDEX[2100], DEVIATION),
]
PROFILES = {"battery": VALUES, 'solar "<&>"': -VALUES.abs(), "wind": VALUES / 3}


@pytest.mark.parametrize("spans", [[], SPANS[:1], SPANS])
@pytest.mark.parametrize("consumption", [True, False])
@pytest.mark.parametrize("profiles", [{}, {"battery": VALUES}, PROFILES])
def test_stacked_power_json_equals_the_stacked_power_chart(spans, consumption, profiles):
    built = chart_json(stacked_power_chart(profiles, WINDOW, consumption, spans), "stacked")
    fast = stacked_power_json(profiles, WINDOW, consumption, spans, "stacked")
    assert _ids_in_order(fast) == _ids_in_order(built)


@pytest.mark.parametrize("spans", [[], SPANS])
@pytest.mark.parametrize("title", [None, "mocked <b>"])
def test_schedule_change_json_equals_the_schedule_change_chart(spans, title):
    change = VALUES.where(VALUES.abs() > 1, 0.0)
    built = chart_json(schedule_change_chart(change, WINDOW, spans, title), "change")
    fast = schedule_change_json(change, WINDOW, spans, title, "change")
    assert _ids_in_order(fast) == _ids_in_order(built)
    assert json.dumps(fast).count("opportunity-") == len(spans)
