"""Chart data as the pages and the charts API read it: in demo mode with
``FLEXMEASURES_DEMO_YEAR`` set, from the demo year, shown as if it were now (seed: Modes).

A window [start, end) is read as [start + offset, end + offset), where the offset
(``flexmeasures.modes.demo_year_offset``) moves the window's start to the demo year by a
whole number of days, and the values found are shown at their event time minus that
offset; so a demo server with the data of 2015 shows them as this year's. Outside demo
mode (or without a demo year) the offset is zero and nothing changes. Units as in
``flexmeasures.data.services.charts`` (power in MW, consumption positive).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
from flask import current_app

from flexmeasures.charts import PowerData, SensorData
from flexmeasures.data.models import Asset, Sensor
from flexmeasures.data.services.charts import ChartGrid, power_data, sensor_data
from flexmeasures.modes import demo_year_offset

Frame = pd.DataFrame | pd.Series


def grid_offset(grid: ChartGrid, config: Mapping[str, Any]) -> pd.Timedelta:
    """How far the grid's reads move (zero outside demo mode or without a demo year)."""
    return pd.Timedelta(demo_year_offset(grid.start.to_pydatetime(), config))


def moved(grid: ChartGrid, offset: pd.Timedelta) -> ChartGrid:
    """The grid moved by the offset (the window data are read from)."""
    return dataclasses.replace(grid, start=grid.start + offset, end=grid.end + offset)


def shown_back(frame: Frame | None, offset: pd.Timedelta) -> Frame | None:
    """A frame or series read from the moved window, with its times moved back."""
    if frame is None or offset == pd.Timedelta(0):
        return frame
    result = frame.copy()
    result.index = result.index - offset
    return result


def read_power(
    assets: Sequence[Asset],
    grid: ChartGrid,
    summed: bool = False,
    summed_measurements: bool = False,
) -> PowerData:
    """``power_data`` of the assets on the grid, from the demo year in demo mode."""
    offset = grid_offset(grid, current_app.config)
    data = power_data(
        assets, moved(grid, offset), summed=summed, summed_measurements=summed_measurements
    )
    if offset == pd.Timedelta(0):
        return data
    return PowerData(
        **{f.name: shown_back(getattr(data, f.name), offset) for f in dataclasses.fields(data)}
    )


def read_sensor(sensor: Sensor, grid: ChartGrid) -> SensorData:
    """``sensor_data`` of a market or weather sensor on the grid, from the demo year in
    demo mode."""
    offset = grid_offset(grid, current_app.config)
    data = sensor_data(sensor, moved(grid, offset))
    if offset == pd.Timedelta(0):
        return data
    return dataclasses.replace(
        data,
        measurements=shown_back(data.measurements, offset),
        forecasts=shown_back(data.forecasts, offset),
        lower=shown_back(data.lower, offset),
        upper=shown_back(data.upper, offset),
    )
