"""Flexibility opportunities: the deviations of schedules from forecasts, per asset and
hour, with their volume and their expected value at market prices; and the time slots to
highlight on charts where schedules deviate (gaining or costing money there).

Pure: frames in, numbers (and bokeh annotations) out. Power in MW (consumption positive),
energy in MWh, prices in EUR/MWh, value in EUR.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from bokeh.models import BoxAnnotation

from flexmeasures.charts.downsampling import pixel_buckets
from flexmeasures.charts.figures import ChartWindow, epoch_ms

TOLERANCE = 1e-9
"""Changes of power (MW) at most this small are no deviation."""
GAIN, COST, DEVIATION = "gain", "cost", "deviation"
HIGHLIGHT_COLOURS = {GAIN: "#2ca02c", COST: "#d62728", DEVIATION: "#7f7f7f"}
HIGHLIGHT_ALPHA = 0.15


@dataclass(frozen=True)
class Opportunity:
    """One asset's schedule deviation in [start, end): ``volume`` in MWh (the sum of the
    absolute changes of energy per step) and ``value`` in EUR (what the schedule saves
    compared to the forecast at the market's prices: positive is a gain)."""

    asset: str
    volume: float
    value: float
    start: pd.Timestamp | None = None
    end: pd.Timestamp | None = None


@dataclass(frozen=True)
class Span:
    """A stretch [start, end) of time slots to highlight, of one ``kind``: GAIN (the
    deviations there earn money), COST (they cost money, e.g. charging for a later gain)
    or DEVIATION (no price known there)."""

    start: pd.Timestamp
    end: pd.Timestamp
    kind: str


def energy_change(schedule: pd.Series, forecast: pd.Series, resolution: pd.Timedelta) -> pd.Series:
    """Per scheduled step, the change of energy in MWh: (schedule − forecast) × step hours
    (a missing forecast counts as zero; steps without a schedule are left out)."""
    scheduled = schedule.dropna()
    hours = resolution / pd.Timedelta(hours=1)
    return (scheduled - forecast.reindex(scheduled.index).fillna(0.0)) * hours


def slot_values(change: pd.Series, prices: pd.Series) -> pd.Series:
    """Per step, the value in EUR of a change of energy (MWh): −change × price (consuming
    more costs, consuming less or producing more earns); NaN where no price is known."""
    return -change * prices.reindex(change.index)


def opportunity(
    asset: str,
    schedule: pd.Series,
    forecast: pd.Series,
    prices: pd.Series,
    resolution: pd.Timedelta,
) -> Opportunity | None:
    """The deviation of an asset's schedule from its forecast (MW per step of
    ``resolution``) over all their steps, or None where the asset has no schedule or it
    deviates nowhere (see ``energy_change`` and ``slot_values``; steps without a price
    have no value)."""
    change = energy_change(schedule, forecast, resolution)
    if not change.abs().gt(TOLERANCE).any():
        return None
    return Opportunity(
        asset=asset,
        volume=float(change.abs().sum()),
        value=float(slot_values(change, prices).fillna(0.0).sum()),
        start=change.index[0],
        end=change.index[-1] + resolution,
    )


def hourly_opportunities(
    asset: str,
    schedule: pd.Series,
    forecast: pd.Series,
    prices: pd.Series,
    resolution: pd.Timedelta,
) -> list[Opportunity]:
    """The asset's deviations per clock hour (UTC hours; for a resolution of at most an
    hour), one Opportunity per hour in which the schedule deviates, in time order; each
    with the volume and value of its steps as ``opportunity`` computes them."""
    change = energy_change(schedule, forecast, resolution)
    hours = change.index.floor("h")
    per_hour = pd.DataFrame(
        {
            "deviates": change.abs().gt(TOLERANCE),
            "volume": change.abs(),
            "value": slot_values(change, prices).fillna(0.0),
        }
    ).groupby(hours, sort=True)
    sums = per_hour[["volume", "value"]].sum()[per_hour["deviates"].any()]
    ends = sums.index + pd.Timedelta(hours=1)
    return [
        Opportunity(asset, float(volume), float(value), start, end)
        for start, end, volume, value in zip(
            sums.index, ends, sums["volume"].to_numpy(), sums["value"].to_numpy(), strict=True
        )
    ]


def by_value(opportunities: list[Opportunity | None]) -> list[Opportunity]:
    """The opportunities found (Nones left out), the most valuable first (on a tie, the
    earliest first)."""
    found = [o for o in opportunities if o is not None]
    return sorted(found, key=lambda o: (-o.value, 0 if o.start is None else o.start.value))


def _kinds(change: pd.Series, values: pd.Series) -> np.ndarray:
    """Per group of steps: GAIN, COST or DEVIATION where the change deviates, "" else."""
    deviates = change.abs().gt(TOLERANCE).to_numpy()
    value = values.fillna(0.0).to_numpy()
    kind = np.where(value > 0, GAIN, np.where(value < 0, COST, DEVIATION))
    return np.where(deviates, kind, "")


def highlight_spans(
    change: pd.Series, prices: pd.Series, resolution: pd.Timedelta, window: ChartWindow
) -> list[Span]:
    """The stretches of time to highlight on a chart of ``window``: where the change of
    power due to schedules (MW per step of ``resolution``) deviates from zero, by whether
    it gains or costs money at the ``prices`` (EUR/MWh). Steps within one pixel column of
    the chart are taken together (their values summed), so there are never more spans
    than the chart is pixels wide."""
    change = change.dropna()
    if change.empty:
        return []
    hours = resolution / pd.Timedelta(hours=1)
    values = slot_values(change * hours, prices)
    if len(change) > window.width:
        groups = pixel_buckets(change.index, window.start, window.end, window.width)
    else:
        groups = np.arange(len(change))
    grouped = pd.DataFrame(
        {"change": change.abs().to_numpy(), "value": values.to_numpy(), "group": groups}
    ).groupby("group", sort=True)
    starts = change.index.to_series().groupby(groups).agg(["min", "max"])
    kinds = _kinds(grouped["change"].max(), grouped["value"].sum(min_count=1))
    return _merged(starts["min"], starts["max"] + resolution, kinds)


def _merged(starts: pd.Series, ends: pd.Series, kinds: np.ndarray) -> list[Span]:
    """Spans of the groups that have a kind, adjacent ones of the same kind merged."""
    spans: list[Span] = []
    for start, end, kind in zip(starts, ends, kinds, strict=True):
        if not kind:
            continue
        if spans and spans[-1].kind == kind and spans[-1].end >= start:
            spans[-1] = Span(spans[-1].start, end, kind)
        else:
            spans.append(Span(start, end, kind))
    return spans


def span_edges(spans: list[Span]) -> list[float]:
    """The spans' starts and ends in epoch milliseconds: start, end, start, end, ..."""
    times = [time for span in spans for time in (span.start, span.end)]
    return [float(ms) for ms in epoch_ms(pd.DatetimeIndex(times))] if times else []


def add_highlights(chart, spans: list[Span]) -> None:
    """Shade the spans on a bokeh figure with a datetime x axis (green: gain, red: cost,
    grey: no price known), behind the data; each box is named "opportunity-<kind>"."""
    edges = span_edges(spans)
    add_boxes(chart, edges, [span.kind for span in spans])


def add_boxes(chart, edges: list[float], kinds: list[str]) -> None:
    """Shade boxes of the given kinds on a bokeh figure with a datetime x axis, between
    ``edges`` (epoch milliseconds: left, right, left, right, ...), as ``add_highlights``."""
    for number, kind in enumerate(kinds):
        chart.add_layout(
            BoxAnnotation(
                left=edges[2 * number],
                right=edges[2 * number + 1],
                fill_color=HIGHLIGHT_COLOURS[kind],
                fill_alpha=HIGHLIGHT_ALPHA,
                level="underlay",
                name=f"opportunity-{kind}",
            )
        )
