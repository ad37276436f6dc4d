"""Chart JSON without building bokeh models per request: a cached skeleton per figure shape.

Building a time series figure and serialising it with ``bokeh.embed.json_item`` costs tens
of milliseconds whatever the data (bokeh creates and serialises some 70 models: axes,
tools, legend, ...). All of that is the same for charts of the same shape (the kinds of
their traces, which have a band, which share a label, the chart's size). So the first
chart of a shape is built by bokeh with placeholders for what varies (title, axis label,
trace labels, window, data, model ids, target id) and kept as JSON text; every chart of
that shape is then that text with the placeholders replaced: data encoded by bokeh's own
serialiser, fresh model ids (so charts on one page never share one), texts as JSON.

The result equals ``chart_json(time_series_figure(...))`` (with ``add_highlights``) up to
the model ids (``tests/charts/test_skeletons.py`` checks that). Charts of other shapes (the
portfolio's stacked power chart) use ``cached_skeleton`` and ``filled`` directly.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd
from bokeh.core.serialization import Serializer
from bokeh.embed import json_item
from bokeh.util.serialization import make_id

from flexmeasures.charts.figures import ChartWindow, DrawnTrace, Trace, drawn, epoch_ms, figure_of
from flexmeasures.charts.opportunities import Span, add_boxes, span_edges

_MARK = "\x00"  # starts every placeholder text; no real label or title holds it
MAX_SKELETONS = 256  # shapes kept (highlights make a shape per number of spans)
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


def number_placeholder(number: int) -> float:
    """The placeholder of a skeleton's ``number``-th varying number (e.g. a window's start
    or a highlight's edge): a value no real one in epoch milliseconds comes near."""
    return float(f"1.{number:07d}123e300")


def cached_skeleton(key: tuple, build: Callable[[], Any], numbers: int) -> Skeleton:
    """The skeleton cached under ``key``, built (once) from the bokeh figure ``build()``
    gives, made with placeholders: texts ``placeholder(name)``, columns
    ``[placeholder(name)]`` and the first ``numbers`` ``number_placeholder`` values. At most
    MAX_SKELETONS shapes are kept (the oldest is dropped first)."""
    skeleton = _SKELETONS.get(key)
    if skeleton is None:
        if len(_SKELETONS) >= MAX_SKELETONS:
            _SKELETONS.pop(next(iter(_SKELETONS)))
        skeleton = _SKELETONS[key] = _skeleton_of(build(), numbers)
    return skeleton


def placeholder(name: str) -> str:
    """The placeholder text of a varying text or column called ``name`` (a-z, 0-9)."""
    return f"{_MARK}{name}"


def filled(
    skeleton: Skeleton,
    texts: dict[str, str | None],
    columns: dict[str, Any],
    numbers: list[float],
    target_id: str | None = None,
) -> dict[str, Any]:
    """The json_item of a skeleton with its placeholders replaced: ``texts`` and
    ``columns`` (arrays, encoded by bokeh's serialiser) by name, the ``numbers`` in order,
    fresh model ids, and the div id ``target_id``."""
    values = {json.dumps(placeholder(key)): json.dumps(text) for key, text in texts.items()}
    values[json.dumps(placeholder("target"))] = json.dumps(target_id)
    for number, value in enumerate(numbers):
        values[json.dumps(number_placeholder(number))] = json.dumps(float(value))
    serializer = Serializer(deferred=False)
    for key, column in columns.items():
        values[json.dumps([placeholder(key)])] = json.dumps(serializer.encode(column))
    values.update({f'"{old}"': json.dumps(make_id()) for old in skeleton.ids})
    return json.loads(
        skeleton.tokens.sub(lambda match: _value(values, match.group(0)), skeleton.text)
    )


def _value(values: dict[str, str], token: str) -> str:
    """A token's replacement; a one-item list of a text placeholder (e.g. the fields of a
    stack) that is no column keeps being a list, of the text."""
    if token in values or not token.startswith("["):
        return values[token]
    return f"[{values[token[1:-1]]}]"


def _skeleton_of(chart: Any, numbers: int) -> Skeleton:
    """A figure built with placeholders as a skeleton."""
    text = json.dumps(json_item(chart, placeholder("target")), separators=(",", ":"))
    ids = tuple(dict.fromkeys(_ID.findall(text)))
    tokens = [re.escape(json.dumps(number_placeholder(n))) for n in range(numbers)]
    tokens.append(r'\["\\u0000[a-z0-9]+"\]|"\\u0000[a-z0-9]+"')
    tokens.append("|".join(re.escape(f'"{old}"') for old in ids))
    return Skeleton(text, re.compile("|".join(tokens)), ids)


def time_series_json(
    traces: list[Trace],
    title: str,
    y_label: str,
    window: ChartWindow,
    target_id: str | None = None,
    highlights: list[Span] | None = None,
) -> dict[str, Any]:
    """The json_item of ``time_series_figure(traces, title, y_label, window)`` with the
    ``highlights`` added (``add_highlights``), for the div ``target_id``, made from the
    cached skeleton of the chart's shape."""
    kinds = [span.kind for span in highlights or []]
    shape = shape_of(traces, window)
    key = ("time series", shape, tuple(kinds))
    skeleton = cached_skeleton(
        key, lambda: _placeholder_figure(shape, window, kinds), 2 + 2 * len(kinds)
    )
    drawn_traces = [drawn(trace, window) for trace in traces]
    texts: dict[str, str | None] = {"title": title, "ylabel": y_label}
    texts.update({f"label{number}": trace.label for number, trace in enumerate(drawn_traces)})
    numbers = [*window_ms(window), *span_edges(highlights or [])]
    return filled(skeleton, texts, _columns(drawn_traces), numbers, target_id)


def window_ms(window: ChartWindow) -> tuple[float, float]:
    """The window's start and end in epoch milliseconds."""
    start_ms, end_ms = epoch_ms(pd.DatetimeIndex([window.start, window.end]))
    return float(start_ms), float(end_ms)


def _placeholder_figure(shape: tuple, window: ChartWindow, kinds: list[str]) -> Any:
    """The time series figure of a shape, with highlights of the ``kinds``, with
    placeholders for what varies."""
    parts = shape[0]
    placeholder_traces = [
        DrawnTrace(
            placeholder(f"label{same_label}"),
            kind,
            {"x": [placeholder(f"x{number}")], "y": [placeholder(f"y{number}")]},
            _band_placeholder(number) if has_band else None,
        )
        for number, (kind, has_band, same_label) in enumerate(parts)
    ]
    x_range = (number_placeholder(0), number_placeholder(1))
    chart = figure_of(
        placeholder_traces, placeholder("title"), placeholder("ylabel"), x_range, window
    )
    add_boxes(chart, box_placeholders(len(kinds)), kinds)
    return chart


def box_placeholders(boxes: int, first: int = 2) -> list[float]:
    """Placeholders of the edges of ``boxes`` highlights, numbered from ``first`` on."""
    return [number_placeholder(first + number) for number in range(2 * boxes)]


def _band_placeholder(number: int) -> dict[str, list[str]]:
    return {
        "x": [placeholder(f"bx{number}")],
        "y1": [placeholder(f"bl{number}")],
        "y2": [placeholder(f"bu{number}")],
    }


def _columns(traces: list[DrawnTrace]) -> dict[str, Any]:
    """The data columns of drawn traces by placeholder name."""
    columns: dict[str, Any] = {}
    for number, trace in enumerate(traces):
        columns.update({f"x{number}": trace.line["x"], f"y{number}": trace.line["y"]})
        if trace.band is not None:
            columns.update(
                {
                    f"bx{number}": trace.band["x"],
                    f"bl{number}": trace.band["y1"],
                    f"bu{number}": trace.band["y2"],
                }
            )
    return columns
