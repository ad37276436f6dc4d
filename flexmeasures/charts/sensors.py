"""Charts of one market's prices or one weather sensor's values: measurements and
forecasts (with their band where given), in the sensor's unit."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from flexmeasures.charts.figures import ChartWindow, Trace, time_series_figure
from flexmeasures.charts.skeletons import time_series_json


def _empty() -> pd.Series:
    return pd.Series(index=pd.DatetimeIndex([], tz="UTC"), dtype="float64")


@dataclass(frozen=True)
class SensorData:
    """Values of one sensor by event start, in ``unit`` (e.g. EUR/MWh, °C): realised
    ``measurements`` and ``forecasts``, the latter bounded by ``lower`` and ``upper`` where
    the forecaster gave a band (NaN else)."""

    name: str
    unit: str
    measurements: pd.Series = field(default_factory=_empty)
    forecasts: pd.Series = field(default_factory=_empty)
    lower: pd.Series | None = None
    upper: pd.Series | None = None


def sensor_traces(data: SensorData) -> list[Trace]:
    """A measurements trace and, if there are any, a forecasts trace (with its band)."""
    traces = [Trace(f"{data.name} (measurements)", data.measurements)]
    if data.forecasts.notna().any():
        traces.append(
            Trace(
                f"{data.name} (forecasts)",
                data.forecasts,
                "forecasts",
                lower=data.lower,
                upper=data.upper,
            )
        )
    return traces


def sensor_chart(data: SensorData, window: ChartWindow, title: str, quantity: str):
    """The chart of a sensor's values over ``window`` as a bokeh figure; the y axis reads
    "<quantity> (<unit>)", e.g. "Price (EUR/MWh)"."""
    return time_series_figure(sensor_traces(data), title, f"{quantity} ({data.unit})", window)


def sensor_chart_json(
    data: SensorData, window: ChartWindow, title: str, quantity: str, target_id: str | None = None
) -> dict:
    """The json_item of ``sensor_chart(...)`` (for the div ``target_id``), made from a
    cached skeleton of its shape (see ``skeletons``)."""
    y_label = f"{quantity} ({data.unit})"
    return time_series_json(sensor_traces(data), title, y_label, window, target_id)
