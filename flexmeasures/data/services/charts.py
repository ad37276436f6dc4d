"""The data behind the charts: which assets a chart request means, and their beliefs (read
with the API's belief query) on the chart's time grid, ready for ``flexmeasures.charts``.

Used by the API's charts endpoint and by the analytics page alike. Power in MW
(consumption positive), prices and weather in their sensor's unit; times aware UTC.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

import pandas as pd
from sqlalchemy import select

from flexmeasures.charts import PowerData, SensorData
from flexmeasures.charts.beliefs import MEDIAN, forecasts_with_band, series_per_sensor
from flexmeasures.data import db
from flexmeasures.data.latest_beliefs import days_have_band
from flexmeasures.data.models import Asset, DataSource, Sensor, TimedBelief, User
from flexmeasures.data.queries import resample_events, search_beliefs, sum_most_recent_beliefs
from flexmeasures.security import assets_visible_to
from flexmeasures.utils.time_utils import duration_isoformat

RENEWABLES = "renewables"
RENEWABLE_TYPES = ("solar", "wind")
SCHEDULER_TYPE = "scheduling script"
MAX_CHART_STEPS = 1_000_000
"""The most time steps a chart's window may have at its resolution (ten years of
15-minute steps are 350,640)."""


class ChartInputError(ValueError):
    """A chart cannot be made as asked: ``status`` (a seed status such as
    UNRECOGNIZED_ASSET or INVALID_RESOLUTION) and a message saying why."""

    def __init__(self, status: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class ChartGrid:
    """The chart's time grid: [start, end) in steps of ``resolution``, and the forecast
    ``horizon`` (forecasts made at least that long ahead; None: the most recent)."""

    start: pd.Timestamp
    end: pd.Timestamp
    resolution: pd.Timedelta
    horizon: pd.Timedelta | None = None


def check_grid(grid: ChartGrid) -> None:
    """Raise ChartInputError for a window ending before it starts (INVALID_REQUEST) or a
    resolution that is not positive, longer than the window or too fine for it
    (INVALID_RESOLUTION)."""
    if grid.end <= grid.start:
        raise ChartInputError("INVALID_REQUEST", "The end of the window should be after its start.")
    window = grid.end - grid.start
    if grid.resolution <= pd.Timedelta(0) or grid.resolution > window:
        raise ChartInputError(
            "INVALID_RESOLUTION",
            f"The resolution {duration_isoformat(grid.resolution)} should be positive and at "
            f"most the window's length ({duration_isoformat(window)}).",
        )
    if window / grid.resolution > MAX_CHART_STEPS:
        raise ChartInputError(
            "INVALID_RESOLUTION",
            f"A resolution of {duration_isoformat(grid.resolution)} gives this window more than "
            f"{MAX_CHART_STEPS:,} steps; choose a coarser resolution or a shorter window.",
        )


def resolve_resource(resource: str, user: User) -> tuple[str, list[Asset]]:
    """The chart's name and the assets a resource means, among those the user may see: an
    asset id, an asset name, an asset type name (e.g. "solar") or "renewables" (solar and
    wind). UNRECOGNIZED_ASSET if it means none; INVALID_SENDER for another user's asset."""
    resource = str(resource).strip()
    visible = assets_visible_to(user)
    if resource == RENEWABLES:
        query = visible.where(Asset.asset_type_name.in_(RENEWABLE_TYPES))
    elif resource.isdecimal() and resource.isascii():
        query = visible.where(Asset.id == int(resource))
    else:
        query = visible.where((Asset.name == resource) | (Asset.asset_type_name == resource))
    assets = list(db.session.scalars(query)) if len(resource) <= 80 else []
    if assets:
        return (_label(assets[0]) if len(assets) == 1 else resource), assets
    if _exists_for_others(resource):
        raise ChartInputError("INVALID_SENDER", f"You may not see the asset(s) '{resource}'.")
    raise ChartInputError("UNRECOGNIZED_ASSET", f"No asset is known as '{resource[:80]}'.")


def _exists_for_others(resource: str) -> bool:
    """True if an asset with this id or name exists (visible to the user or not)."""
    if resource.isdecimal() and resource.isascii() and len(resource) < 10:
        return db.session.get(Asset, int(resource)) is not None
    return db.session.scalar(select(Asset.id).where(Asset.name == resource).limit(1)) is not None


def scheduler_source_ids() -> tuple[int, ...]:
    """Ids of the data sources that make schedules."""
    return tuple(db.session.scalars(select(DataSource.id).filter_by(type=SCHEDULER_TYPE)))


def other_source_ids(excluded: Sequence[int]) -> tuple[int, ...]:
    """Ids of every data source but the excluded ones."""
    return tuple(db.session.scalars(select(DataSource.id).where(DataSource.id.not_in(excluded))))


def on_grid(values: pd.Series, sensor: Sensor, grid: ChartGrid) -> pd.Series:
    """A sensor's values (by event start) resampled to the chart's grid (NaN where unknown)."""
    own = pd.Timedelta(sensor.event_resolution) or grid.resolution
    return resample_events(values, own, grid.resolution, grid.start, grid.end)


def _measurements(sensors: Sequence[Sensor], grid: ChartGrid, **filters) -> dict[int, pd.Series]:
    """The most recent measurement per event of each sensor, on the grid."""
    found = search_beliefs(
        [s.id for s in sensors], grid.start, grid.end, kind="measurements", **filters
    )
    per_sensor = series_per_sensor(found)
    return {s.id: on_grid(per_sensor.get(s.id, _no_values()), s, grid) for s in sensors}


def _forecasts(sensors: Sequence[Sensor], grid: ChartGrid, source_ids) -> dict[int, pd.DataFrame]:
    """Each sensor's forecasts (value, lower, upper) on the grid, made at least the grid's
    horizon ahead: the most recent such belief per event, with all its probabilities if
    any forecast in the window has a band (else the cheaper one-belief-per-event read)."""
    sensor_ids = [s.id for s in sensors]
    with_band = _has_band(sensor_ids, grid, source_ids)
    found = search_beliefs(
        sensor_ids,
        grid.start,
        grid.end,
        horizon=grid.horizon,
        source_ids=source_ids,
        most_recent=not with_band,
        kind="forecasts",
    )
    if with_band:
        tables = forecasts_with_band(found)
    else:
        tables = {i: values.to_frame("value") for i, values in series_per_sensor(found).items()}
    return {s.id: _table_on_grid(tables.get(s.id), s, grid) for s in sensors}


def _has_band(sensor_ids: Sequence[int], grid: ChartGrid, source_ids) -> bool:
    """True if a forecast of these sensors in the window has another probability than the
    median (so forecasts come with an uncertainty band). On PostgreSQL the days of the
    window are asked first (one flag per day, sensor and source), so a window without any
    band is not scanned belief by belief."""
    window = (grid.start.to_pydatetime(), grid.end.to_pydatetime())
    if _on_postgres() and not days_have_band(sensor_ids, *window, source_ids):
        return False
    query = select(TimedBelief.sensor_id).where(
        TimedBelief.sensor_id.in_(sensor_ids),
        TimedBelief.event_start >= grid.start.to_pydatetime(),
        TimedBelief.event_start < grid.end.to_pydatetime(),
        TimedBelief.belief_horizon > timedelta(0),
        TimedBelief.cumulative_probability != MEDIAN,
    )
    if source_ids is not None:
        query = query.where(TimedBelief.source_id.in_(source_ids))
    return db.session.scalar(query.limit(1)) is not None


def _on_postgres() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def _table_on_grid(table: pd.DataFrame | None, sensor: Sensor, grid: ChartGrid) -> pd.DataFrame:
    """A forecast table (value, lower, upper; None for no forecasts) on the grid."""
    return pd.DataFrame(
        {
            column: on_grid(
                table[column].dropna() if table is not None and column in table else _no_values(),
                sensor,
                grid,
            )
            for column in ("value", "lower", "upper")
        }
    )


def _no_values() -> pd.Series:
    return pd.Series(index=pd.DatetimeIndex([], tz="UTC"), dtype="float64")


def _label(asset: Asset) -> str:
    return asset.display_name or asset.name


def power_data(
    assets: Sequence[Asset],
    grid: ChartGrid,
    summed: bool = False,
    summed_measurements: bool = False,
) -> PowerData:
    """Measurements, forecasts (by sources other than schedulers, with their bands) and
    schedules of the assets on the grid, one column per asset (MW, consumption positive).

    ``summed``: the chart only shows the sum over the assets, so a single column with that
    sum may stand for them (summed in the database where that gives the same figures).
    ``summed_measurements``: the same for the measurements only (forecasts and schedules
    stay per asset).
    """
    if summed and len(assets) > 1 and _summable(assets, grid):
        return _summed_power_data(assets, grid)
    schedulers = scheduler_source_ids()
    measurements = _measured_sum(assets, grid) if summed_measurements else None
    measured = {} if measurements is not None else _measurements(assets, grid)
    forecasts = _forecasts(assets, grid, other_source_ids(schedulers))
    scheduled = _measurements_of_sources(assets, grid, schedulers)
    labels = {a.id: _label(a) for a in assets}

    def frame(columns: dict[int, pd.Series]) -> pd.DataFrame:
        return pd.DataFrame({labels[i]: values for i, values in columns.items()})

    return PowerData(
        measurements=frame(measured) if measurements is None else measurements,
        forecasts=frame({i: table["value"] for i, table in forecasts.items()}),
        forecast_lower=frame({i: table["lower"] for i, table in forecasts.items()}),
        forecast_upper=frame({i: table["upper"] for i, table in forecasts.items()}),
        schedules=frame(scheduled),
    )


def _summable(assets: Sequence[Asset], grid: ChartGrid) -> bool:
    """True if summing per event in the database gives the chart's sums: every asset has
    the grid's resolution (no resampling) and no forecast in the window has a band."""
    if not _at_grid_resolution(assets, grid):
        return False
    schedulers = scheduler_source_ids()
    return not _has_band([a.id for a in assets], grid, other_source_ids(schedulers))


def _at_grid_resolution(assets: Sequence[Asset], grid: ChartGrid) -> bool:
    """True if every asset has the grid's resolution (its values need no resampling)."""
    return all(
        (pd.Timedelta(a.event_resolution) or grid.resolution) == grid.resolution for a in assets
    )


def _measured_sum(assets: Sequence[Asset], grid: ChartGrid) -> pd.DataFrame | None:
    """The assets' measurements summed per event (MW, one column "sum") where the database
    can sum them (more than one asset, all at the grid's resolution); None otherwise."""
    if len(assets) < 2 or not _at_grid_resolution(assets, grid):
        return None
    return _summed_measurements([a.id for a in assets], grid)


def _summed_measurements(ids: Sequence[int], grid: ChartGrid) -> pd.DataFrame:
    """The sensors' most recent measurements summed per event on the grid (column "sum")."""
    window = (grid.start.to_pydatetime(), grid.end.to_pydatetime())
    return _on_grid_index(sum_most_recent_beliefs(ids, *window, kind="measurements"), grid)


def _on_grid_index(values: pd.Series, grid: ChartGrid) -> pd.DataFrame:
    """A sum per event as a frame with one column "sum" on the grid's events."""
    index = pd.date_range(grid.start, grid.end, freq=grid.resolution, inclusive="left")
    return pd.DataFrame({"sum": values.reindex(index)})


def _summed_power_data(assets: Sequence[Asset], grid: ChartGrid) -> PowerData:
    """PowerData with one column: the assets' sum per event (see ``power_data``)."""
    schedulers = scheduler_source_ids()
    ids = [a.id for a in assets]
    window = (grid.start.to_pydatetime(), grid.end.to_pydatetime())

    forecasts = _on_grid_index(
        sum_most_recent_beliefs(
            ids, *window, grid.horizon, other_source_ids(schedulers), kind="forecasts"
        ),
        grid,
    )
    return PowerData(
        measurements=_summed_measurements(ids, grid),
        forecasts=forecasts,
        forecast_lower=forecasts * float("nan"),
        forecast_upper=forecasts * float("nan"),
        schedules=_on_grid_index(
            sum_most_recent_beliefs(ids, *window, source_ids=schedulers), grid
        ),
    )


def _measurements_of_sources(
    sensors: Sequence[Sensor], grid: ChartGrid, source_ids: Sequence[int]
) -> dict[int, pd.Series]:
    """The most recent belief per event of these sources (any horizon), on the grid."""
    found = search_beliefs([s.id for s in sensors], grid.start, grid.end, source_ids=source_ids)
    per_sensor = series_per_sensor(found)
    return {s.id: on_grid(per_sensor.get(s.id, _no_values()), s, grid) for s in sensors}


def sensor_data(sensor: Sensor, grid: ChartGrid) -> SensorData:
    """A market's or weather sensor's measurements and forecasts (with their band) on the
    grid, in the sensor's unit."""
    measured = _measurements([sensor], grid)[sensor.id]
    table = _forecasts([sensor], grid, None)[sensor.id]
    return SensorData(
        name=getattr(sensor, "display_name", "") or sensor.name,
        unit=sensor.unit,
        measurements=measured,
        forecasts=table["value"],
        lower=table["lower"],
        upper=table["upper"],
    )
