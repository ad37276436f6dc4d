"""Chart JSON without building bokeh models per request: a cached skeleton per figure shape.

Building a time series figure and serialising it with ``bokeh.embed.json_item`` costs tens
of milliseconds whatever the data (bokeh creates and serialises some 70 models: axes,
tools, legend, ...). All of that is the same for charts of the same shape (the kinds of
their traces, which have a band, which share a label, the chart's size). So the first
chart of a shape is built by bokeh with placeholders for what varies (title, axis label,
trace labels, window, data, model ids, target id) and kept as JSON text; every chart of
that shape is then that text with the placeholders replaced: data encoded by bokeh's own
serialiser, fresh model ids (so charts on one page never share one), texts as JSON.

The result equals ``chart_json(time_series_figure(...))`` up to the model ids
(``tests/charts/test_skeletons.py`` checks that).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import pandas as pd
from bokeh.core.serialization import Serializer
from bokeh.embed import json_item
from bokeh.util.serialization import make_id

from flexmeasures.charts.figures import ChartWindow, DrawnTrace, Trace, drawn, epoch_ms, figure_of

_MARK = "\x00"  # starts every placeholder text; no real label or title holds it
# Window placeholders: numbers no real window in epoch milliseconds comes near.
_RANGE_PLACEHOLDERS = (1.234567891e300, 9.876543219e300)
_ID = re.compile(r'"(p\d+)"')


@dataclass(frozen=True)
class Skeleton:
    """A figure shape's json_item text and the pattern of its placeholder tokens."""

    text: str
    tokens: re.Pattern
    ids: tuple[str, ...]


_SKELETONS: dict[tuple, Skeleton] = {}


def shape_of(traces: list[Trace], window: ChartWindow) -> tuple:
    """What the skeleton of a chart depends on: per trace its kind, whether it has a band
    and which earlier trace (if any) has the same label (bokeh's legend joins those), and
    the chart's size."""
    first_with_label: dict[str, int] = {}
    parts = tuple(
        (trace.kind, trace.has_band, first_with_label.setdefault(trace.label, number))
        for number, trace in enumerate(traces)
    )
    return parts, window.width, window.height


def time_series_json(
    traces: list[Trace],
    title: str,
    y_label: str,
    window: ChartWindow,
    target_id: str | None = None,
) -> dict[str, Any]:
    """The json_item of ``time_series_figure(traces, title, y_label, window)`` (for the div
    ``target_id``), made from the cached skeleton of the chart's shape."""
    shape = shape_of(traces, window)
    skeleton = _SKELETONS.get(shape)
    if skeleton is None:
        skeleton = _SKELETONS[shape] = _skeleton(shape, window)
    drawn_traces = [drawn(trace, window) for trace in traces]
    values = _placeholder_values(drawn_traces, title, y_label, window, target_id)
    values.update({f'"{old}"': json.dumps(make_id()) for old in skeleton.ids})
    return json.loads(skeleton.tokens.sub(lambda match: values[match.group(0)], skeleton.text))


def _skeleton(shape: tuple, window: ChartWindow) -> Skeleton:
    """Build the skeleton of a shape with bokeh (placeholders for what varies)."""
    parts = shape[0]
    placeholder_traces = [
        DrawnTrace(
            f"{_MARK}label{same_label}",
            kind,
            {"x": [f"{_MARK}x{number}"], "y": [f"{_MARK}y{number}"]},
            _band_placeholder(number) if has_band else None,
        )
        for number, (kind, has_band, same_label) in enumerate(parts)
    ]
    chart = figure_of(
        placeholder_traces, f"{_MARK}title", f"{_MARK}ylabel", _RANGE_PLACEHOLDERS, window
    )
    text = json.dumps(json_item(chart, f"{_MARK}target"), separators=(",", ":"))
    ids = tuple(dict.fromkeys(_ID.findall(text)))
    tokens = [re.escape(json.dumps(value)) for value in _RANGE_PLACEHOLDERS]
    tokens.append(r'\["\\u0000[a-z0-9]+"\]|"\\u0000[a-z0-9]+"')
    tokens.append("|".join(re.escape(f'"{old}"') for old in ids))
    return Skeleton(text, re.compile("|".join(tokens)), ids)


def _band_placeholder(number: int) -> dict[str, list[str]]:
    return {
        "x": [f"{_MARK}bx{number}"],
        "y1": [f"{_MARK}bl{number}"],
        "y2": [f"{_MARK}bu{number}"],
    }


def _placeholder_values(
    traces: list[DrawnTrace],
    title: str,
    y_label: str,
    window: ChartWindow,
    target_id: str | None,
) -> dict[str, str]:
    """The JSON text replacing each placeholder token of a skeleton."""
    start_ms, end_ms = epoch_ms(pd.DatetimeIndex([window.start, window.end]))
    texts = {"title": title, "ylabel": y_label, "target": target_id}
    values = {json.dumps(f"{_MARK}{key}"): json.dumps(text) for key, text in texts.items()}
    values[json.dumps(_RANGE_PLACEHOLDERS[0])] = json.dumps(float(start_ms))
    values[json.dumps(_RANGE_PLACEHOLDERS[1])] = json.dumps(float(end_ms))
    serializer = Serializer(deferred=False)
    for number, trace in enumerate(traces):
        values[json.dumps(f"{_MARK}label{number}")] = json.dumps(trace.label)
        columns = {"x": trace.line["x"], "y": trace.line["y"]}
        if trace.band is not None:
            columns.update(bx=trace.band["x"], bl=trace.band["y1"], bu=trace.band["y2"])
        for key, column in columns.items():
            encoded = serializer.encode(column)
            values[json.dumps([f"{_MARK}{key}{number}"])] = json.dumps(encoded)
    return values
