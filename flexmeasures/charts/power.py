"""The power chart: measurements, forecasts (with their band where given) and schedules
of one or more assets, in MW.

Stored power is USEF-signed: consumption positive, production negative. The chart shows it
so (``consumption_as_positive=True``) or flipped (production positive). Several assets are
drawn as their sum, or with one trace per asset for "power" (measurements and forecasts)
or "schedules" (``show_individual_traces_for``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from flexmeasures.charts.figures import ChartWindow, Trace, time_series_figure
from flexmeasures.charts.skeletons import time_series_json

INDIVIDUAL_TRACE_OPTIONS = ("none", "power", "schedules")


def _empty() -> pd.DataFrame:
    return pd.DataFrame(index=pd.DatetimeIndex([], tz="UTC"), dtype="float64")


@dataclass(frozen=True)
class PowerData:
    """Power of assets in MW (consumption positive) on one time grid: frames by event
    start with one column per asset (named by its label). ``forecast_lower`` and
    ``forecast_upper`` bound the forecasts where the forecaster gave a band (NaN else)."""

    measurements: pd.DataFrame = field(default_factory=_empty)
    forecasts: pd.DataFrame = field(default_factory=_empty)
    schedules: pd.DataFrame = field(default_factory=_empty)
    forecast_lower: pd.DataFrame = field(default_factory=_empty)
    forecast_upper: pd.DataFrame = field(default_factory=_empty)


def total(frame: pd.DataFrame) -> pd.Series:
    """The sum over the columns per event (NaN where no column has a value)."""
    if frame.shape[1] == 0:
        return pd.Series(index=frame.index, dtype="float64")
    return frame.sum(axis=1, min_count=1)


def _signed(frame: pd.DataFrame, consumption_as_positive: bool) -> pd.DataFrame:
    return frame if consumption_as_positive else -frame


def _band_bounds(data: PowerData, consumption_as_positive: bool) -> tuple:
    """Lower and upper bounds of the forecasts after the sign convention is applied."""
    lower = _signed(data.forecast_lower, consumption_as_positive)
    upper = _signed(data.forecast_upper, consumption_as_positive)
    return (lower, upper) if consumption_as_positive else (upper, lower)


def _traces_of(
    frame: pd.DataFrame, kind: str, individual: bool, name: str, band: tuple | None = None
) -> list[Trace]:
    """One trace per column (``individual``), else one trace of their sum named ``name``."""
    if frame.shape[1] == 0 or frame.isna().all().all():
        return []
    if individual:
        return [
            Trace(
                f"{column} ({kind})",
                frame[column],
                kind,
                lower=_column(band, 0, column),
                upper=_column(band, 1, column),
            )
            for column in frame.columns
        ]
    lower, upper = _summed_band(frame, band)
    return [Trace(f"{name} ({kind})", total(frame), kind, lower=lower, upper=upper)]


def _summed_band(frame: pd.DataFrame, band: tuple | None) -> tuple:
    """The summed lower and upper bounds (None without any bound): per asset and event its
    bound where given, else its own value in ``frame`` (its share of the band collapses to
    the line), so the summed band stays around the summed line."""
    if band is None or not (band[0].shape[1] or band[1].shape[1]):
        return None, None
    return tuple(
        None if not side.shape[1] else total(_bound_or_value(side, frame)) for side in band
    )


def _bound_or_value(bounds: pd.DataFrame, frame: pd.DataFrame) -> pd.DataFrame:
    """Each asset's bound (same unit as ``frame``) where given, else its value in ``frame``;
    NaN for the events at which no asset has a bound (no band there)."""
    bounds = bounds.reindex(index=frame.index, columns=frame.columns)
    some_bound = bounds.notna().any(axis=1)
    return bounds.fillna(frame).where(some_bound, axis=0)


def _column(band: tuple | None, side: int, column: str) -> pd.Series | None:
    if band is None or column not in band[side]:
        return None
    return band[side][column]


def power_traces(
    data: PowerData,
    name: str,
    consumption_as_positive: bool = True,
    show_individual_traces_for: str = "none",
) -> list[Trace]:
    """The traces of the power chart (see the module doc); ``name`` labels summed traces.

    A summed band is the sum of the assets' bounds (wider than the band of the sum); an
    asset without a bound at an event adds its forecast to both bounds there.
    """
    if show_individual_traces_for not in INDIVIDUAL_TRACE_OPTIONS:
        raise ValueError(
            f"show_individual_traces_for should be one of {', '.join(INDIVIDUAL_TRACE_OPTIONS)}."
        )
    individual_power = show_individual_traces_for == "power"
    individual_schedules = show_individual_traces_for == "schedules"
    band = _band_bounds(data, consumption_as_positive)
    traces = _traces_of(
        _signed(data.measurements, consumption_as_positive), "measurements", individual_power, name
    )
    traces += _traces_of(
        _signed(data.forecasts, consumption_as_positive),
        "forecasts",
        individual_power,
        name,
        band,
    )
    traces += _traces_of(
        _signed(data.schedules, consumption_as_positive), "schedules", individual_schedules, name
    )
    if not traces:  # an empty chart still shows its window and says what it would show
        traces = [Trace(f"{name} (measurements)", total(_empty()))]
    return traces


def power_chart(
    data: PowerData,
    window: ChartWindow,
    name: str,
    consumption_as_positive: bool = True,
    show_individual_traces_for: str = "none",
):
    """The power chart of ``data`` over ``window`` as a bokeh figure (see the module doc)."""
    traces = power_traces(data, name, consumption_as_positive, show_individual_traces_for)
    return time_series_figure(traces, *_power_texts(name, consumption_as_positive), window)


def _power_texts(name: str, consumption_as_positive: bool) -> tuple[str, str]:
    """The power chart's title and y axis label."""
    sign = "consumption" if consumption_as_positive else "production"
    return f"Power of {name}", f"Power (MW, {sign} positive)"


def power_chart_json(
    data: PowerData,
    window: ChartWindow,
    name: str,
    consumption_as_positive: bool = True,
    show_individual_traces_for: str = "none",
    target_id: str | None = None,
) -> dict:
    """The json_item of ``power_chart(...)`` (for the div ``target_id``), made from a cached
    skeleton of its shape (see ``skeletons``): much faster than building the figure."""
    traces = power_traces(data, name, consumption_as_positive, show_individual_traces_for)
    texts = _power_texts(name, consumption_as_positive)
    return time_series_json(traces, *texts, window, target_id)
