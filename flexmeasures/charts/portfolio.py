"""The portfolio overview's numbers and charts: energy, costs, revenues and profit or loss
per asset type from power and market prices, the stacked power profile per asset type and
the change in power due to schedules, both with the opportunities highlighted.

Pure: frames in, numbers and bokeh figures out. Units: power in MW (stored USEF-signed:
consumption positive, production negative), energy in MWh, prices in EUR/MWh, money in EUR.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from bokeh.models import Range1d
from bokeh.palettes import Category10_10
from bokeh.plotting import figure

from flexmeasures.charts.downsampling import downsample_mean
from flexmeasures.charts.figures import ChartWindow, Trace, epoch_ms, time_series_figure
from flexmeasures.charts.opportunities import Span, add_boxes, add_highlights, span_edges
from flexmeasures.charts.power import total
from flexmeasures.charts.skeletons import (
    box_placeholders,
    cached_skeleton,
    filled,
    number_placeholder,
    placeholder,
    time_series_json,
    window_ms,
)


@dataclass(frozen=True)
class Finances:
    """One asset type's totals over a window: ``production`` and ``consumption`` in MWh
    (both positive), ``costs`` of consumption and ``revenues`` of production in EUR, and
    ``profit`` (revenues minus costs, negative for a loss) in EUR."""

    production: float
    consumption: float
    costs: float
    revenues: float

    @property
    def profit(self) -> float:
        """Revenues minus costs in EUR (negative: a loss)."""
        return self.revenues - self.costs


def finances(power: pd.Series, prices: pd.Series, resolution: pd.Timedelta) -> Finances:
    """Totals of a power profile (MW per step of ``resolution``, consumption positive) at
    ``prices`` (EUR/MWh on the same steps). Energy per step is power × step length in
    hours; its money is energy × price. Steps without power count as nothing; steps
    without a price count their energy but no money."""
    hours = resolution / pd.Timedelta(hours=1)
    energy = power.astype("float64") * hours
    price = prices.reindex(energy.index).astype("float64").fillna(0.0)
    consumed = energy.where(energy > 0, 0.0)
    produced = (-energy).where(energy < 0, 0.0)
    return Finances(
        production=float(produced.sum()),
        consumption=float(consumed.sum()),
        costs=float((consumed * price).sum()),
        revenues=float((produced * price).sum()),
    )


def past_then_future(measured: pd.Series, forecast: pd.Series, now: pd.Timestamp) -> pd.Series:
    """One profile: measured values for events starting before ``now``, forecasts from
    ``now`` on (NaN where the one that counts is missing)."""
    index = measured.index.union(forecast.index)
    past = measured.reindex(index)
    future = forecast.reindex(index)
    return past.where(index < now, future)


def schedule_change(schedules: pd.DataFrame, forecasts: pd.DataFrame) -> pd.Series:
    """The change in power due to schedules per step (MW): the sum over assets with a
    schedule of their schedule minus their forecast (a missing forecast counts as zero).
    Zero where no asset has a schedule: no schedule, no change."""
    if schedules.shape[1] == 0:
        return pd.Series(0.0, index=schedules.index)
    baseline = forecasts.reindex(index=schedules.index, columns=schedules.columns).fillna(0)
    return total(schedules - baseline.where(schedules.notna())).fillna(0.0)


def stacked_profiles(
    profiles: dict[str, pd.Series], window: ChartWindow, consumption_as_positive: bool = True
) -> pd.DataFrame:
    """The areas to stack (MW, one column per asset type, missing values as zero): each
    type's consumption (``consumption_as_positive``) or production as a positive number
    (the other side as zero), downsampled to the window's width (a mean per half pixel)."""
    sign = 1.0 if consumption_as_positive else -1.0
    frame = pd.DataFrame({n: (sign * p).clip(lower=0) for n, p in profiles.items()}).fillna(0)
    return downsample_mean(frame, window.start, window.end, window.width)


def stacked_power_chart(
    profiles: dict[str, pd.Series],
    window: ChartWindow,
    consumption_as_positive: bool = True,
    highlights: list[Span] | None = None,
):
    """A bokeh figure of the profiles (MW, one per asset type) stacked as areas: the
    consumption (``consumption_as_positive``) or the production of each type, so the top
    edge is the portfolio's total consumption or production; ``highlights`` shaded."""
    names = list(profiles)
    columns = _stack_columns(profiles, window, consumption_as_positive)
    data = {name: columns[f"area{number}"] for number, name in enumerate(names)}
    data["time"] = columns.get("time")
    spans = highlights or []
    return _stacked_figure(
        data,
        _what(consumption_as_positive),
        window_ms(window),
        window,
        (span_edges(spans), [span.kind for span in spans]),
    )


def stacked_power_json(
    profiles: dict[str, pd.Series],
    window: ChartWindow,
    consumption_as_positive: bool = True,
    highlights: list[Span] | None = None,
    target_id: str | None = None,
) -> dict:
    """The json_item of ``stacked_power_chart(...)`` (for the div ``target_id``), made from
    a cached skeleton of its shape (see ``skeletons``): much faster than building it."""
    spans = highlights or []
    kinds = [span.kind for span in spans]
    what = _what(consumption_as_positive)
    key = ("stacked power", len(profiles), what, window.width, window.height, tuple(kinds))

    def build():
        data = {placeholder(f"name{n}"): [placeholder(f"area{n}")] for n in range(len(profiles))}
        data["time"] = [placeholder("time")]
        x_range = (number_placeholder(0), number_placeholder(1))
        return _stacked_figure(data, what, x_range, window, (box_placeholders(len(kinds)), kinds))

    skeleton = cached_skeleton(key, build, 2 + 2 * len(kinds))
    texts: dict[str, str | None] = {f"name{n}": name for n, name in enumerate(profiles)}
    columns = _stack_columns(profiles, window, consumption_as_positive)
    numbers = [*window_ms(window), *span_edges(spans)]
    return filled(skeleton, texts, columns, numbers, target_id)


def _what(consumption_as_positive: bool) -> str:
    return "consumption" if consumption_as_positive else "production"


def _stack_columns(
    profiles: dict[str, pd.Series], window: ChartWindow, consumption_as_positive: bool
) -> dict[str, np.ndarray]:
    """The stacked chart's data columns: "area<n>" per profile (MW) and "time" (epoch
    milliseconds); none without profiles."""
    if not profiles:
        return {}
    frame = stacked_profiles(profiles, window, consumption_as_positive)
    columns = {f"area{n}": frame[name].to_numpy() for n, name in enumerate(profiles)}
    columns["time"] = epoch_ms(frame.index)
    return columns


def _stacked_figure(
    data: dict, what: str, x_range: tuple[float, float], window: ChartWindow, boxes: tuple
):
    """The stacked areas figure of ``data`` (a column per stacked name, then "time"),
    showing ``x_range`` (epoch milliseconds), with the ``boxes`` (edges, kinds) shaded."""
    chart = figure(
        title=f"Stacked {what} per asset type",
        x_axis_type="datetime",
        x_range=Range1d(*x_range),
        width=window.width,
        height=window.height,
        sizing_mode="stretch_width",
        y_axis_label=f"Power (MW, {what})",
    )
    add_boxes(chart, *boxes)
    names = [name for name in data if name != "time"]
    if names:
        chart.varea_stack(
            stackers=names,
            x="time",
            color=[Category10_10[i % 10] for i in range(len(names))],
            legend_label=names,
            source=data,
        )
        chart.legend.location = "top_left"
    return chart


def schedule_change_json(
    change: pd.Series,
    window: ChartWindow,
    highlights: list[Span] | None = None,
    title: str | None = None,
    target_id: str | None = None,
) -> dict:
    """The json_item of ``schedule_change_chart(...)`` (for the div ``target_id``), made
    from a cached skeleton of its shape (see ``skeletons``)."""
    return time_series_json(
        [_change_trace(change)], title or CHANGE_TITLE, CHANGE_LABEL, window, target_id, highlights
    )


CHANGE_TITLE = "Change in power due to schedules"
CHANGE_LABEL = "Power change (MW, consumption +)"


def _change_trace(change: pd.Series) -> Trace:
    return Trace("Schedule minus forecast", change, "schedules")


def schedule_change_chart(
    change: pd.Series,
    window: ChartWindow,
    highlights: list[Span] | None = None,
    title: str | None = None,
):
    """A bokeh figure of the change in power due to schedules (MW, consumption positive),
    ``highlights`` shaded; ``title`` replaces the default title (e.g. to say it is mocked)."""
    chart = time_series_figure([_change_trace(change)], title or CHANGE_TITLE, CHANGE_LABEL, window)
    add_highlights(chart, highlights or [])
    return chart
