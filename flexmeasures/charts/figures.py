"""Traces on a time axis as a bokeh figure, and the figure as an embeddable JSON item.

A ``Trace`` is one line: measurements (solid), forecasts (dashed, with a shaded band where
the forecast gives one) or schedules (dotted), with values by event start (aware UTC) in the
chart's unit. Every trace is downsampled to the chart's width before it is drawn.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from bokeh.embed import json_item
from bokeh.models import ColumnDataSource, HoverTool, Range1d
from bokeh.palettes import Category10_10
from bokeh.plotting import figure

from flexmeasures.charts.downsampling import downsample, downsample_band

STYLES = {"measurements": "solid", "forecasts": "dashed", "schedules": "dotted"}
TOOLS = "pan,xwheel_zoom,box_zoom,reset,save"
DEFAULT_WIDTH = 800
DEFAULT_HEIGHT = 300


@dataclass(frozen=True)
class ChartWindow:
    """The time window [start, end) a chart shows (aware timestamps) and its size in
    pixels; ``width`` also bounds the points per trace (two per pixel)."""

    start: pd.Timestamp
    end: pd.Timestamp
    width: int = DEFAULT_WIDTH
    height: int = DEFAULT_HEIGHT


@dataclass(frozen=True)
class Trace:
    """One line: ``values`` by event start in the chart's unit, drawn in the style of its
    ``kind`` ("measurements", "forecasts" or "schedules"); ``lower`` and ``upper`` (same
    index) bound its uncertainty band where known (NaN elsewhere)."""

    label: str
    values: pd.Series
    kind: str = "measurements"
    lower: pd.Series | None = field(default=None)
    upper: pd.Series | None = field(default=None)

    @property
    def has_band(self) -> bool:
        """True if the trace has a band for at least one event."""
        return self.lower is not None and bool(self.lower.notna().any())


def epoch_ms(index: pd.DatetimeIndex) -> np.ndarray:
    """Times as milliseconds since the epoch (what bokeh's datetime axis expects)."""
    return np.asarray(pd.DatetimeIndex(index).asi8, dtype="float64") / 1e6


@dataclass(frozen=True)
class DrawnTrace:
    """A trace as drawn: its label and kind, the data of its line (``x`` in epoch
    milliseconds, ``y``) and of its band (``x``, ``y1``, ``y2``; None without a band),
    downsampled to the chart's width."""

    label: str
    kind: str
    line: dict[str, Any]
    band: dict[str, Any] | None = None


def drawn(trace: Trace, window: ChartWindow) -> DrawnTrace:
    """The trace downsampled to the window's width (at most two points per pixel)."""
    if trace.has_band:
        values, lower, upper = downsample_band(
            trace.values, trace.lower, trace.upper, window.start, window.end, window.width
        )
        band = {"x": epoch_ms(values.index), "y1": lower, "y2": upper}
    else:
        values = downsample(trace.values, window.start, window.end, window.width)
        band = None
    line = {"x": epoch_ms(values.index), "y": values.to_numpy(float)}
    return DrawnTrace(trace.label, trace.kind, line, band)


def time_series_figure(traces: list[Trace], title: str, y_label: str, window: ChartWindow):
    """A bokeh figure of the traces over the window, each downsampled to the window's
    width (at most two points per pixel), with a legend and hover values."""
    start_ms, end_ms = epoch_ms(pd.DatetimeIndex([window.start, window.end]))
    drawn_traces = [drawn(trace, window) for trace in traces]
    return figure_of(drawn_traces, title, y_label, (start_ms, end_ms), window)


def figure_of(
    traces: list[DrawnTrace],
    title: str,
    y_label: str,
    x_range: tuple[float, float],
    window: ChartWindow,
):
    """The bokeh figure of drawn traces, showing ``x_range`` (epoch milliseconds) in a
    chart of the window's size."""
    chart = figure(
        title=title,
        x_axis_type="datetime",
        x_range=Range1d(*x_range),
        width=window.width,
        height=window.height,
        sizing_mode="stretch_width",
        tools=TOOLS,
        y_axis_label=y_label,
    )
    for number, trace in enumerate(traces):
        _draw(chart, trace, Category10_10[number % len(Category10_10)])
    chart.add_tools(
        HoverTool(
            tooltips=[("", "$name"), ("time", "@x{%F %H:%M}"), ("value", "@y{0,0.000}")],
            formatters={"@x": "datetime"},
        )
    )
    if chart.legend:
        chart.legend.click_policy = "hide"
        chart.legend.location = "top_left"
    return chart


def _draw(chart, trace: DrawnTrace, color: str) -> None:
    """Add a trace's line (and band) to the chart."""
    if trace.band is not None:
        band = ColumnDataSource(trace.band)
        chart.varea(x="x", y1="y1", y2="y2", source=band, fill_color=color, fill_alpha=0.2)
    chart.line(
        x="x",
        y="y",
        source=ColumnDataSource(trace.line),
        name=trace.label,
        legend_label=trace.label,
        line_color=color,
        line_width=2,
        line_dash=STYLES.get(trace.kind, "solid"),
    )


def json_text(item: dict) -> str:
    """A json_item as JSON text, keys in bokeh's order (bokeh resolves references in
    document order, so sorted keys, as Flask's JSON gives, break embedding), with ``<``,
    ``>`` and ``&`` escaped so that it is safe inside an HTML ``<script>`` element."""
    text = json.dumps(item, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def chart_json(chart, target_id: str | None = None) -> dict:
    """The figure as ``bokeh.embed.json_item`` (for ``Bokeh.embed.embed_item`` in the page;
    ``target_id``: the id of the div it goes into, else given when embedding)."""
    return json_item(chart, target_id)
