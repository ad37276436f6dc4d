"""The analytics page (``/analytics``): power of an asset, an asset type or all
renewables over a time window, with the prices of a market and the values of a weather
sensor; realised and expected totals, MAE and WAPE of the forecasts per data type.

The selection comes as query parameters (a GET form), so a view can be bookmarked and
linked to (e.g. from the dashboard's map). Dates are days in FLEXMEASURES_TIMEZONE, the
end date included. In demo mode the data come from FLEXMEASURES_DEMO_YEAR (shown as if
they were now) and forecasts without an uncertainty band get a mocked one. Bad input (an
unknown asset, an end before the start, an absurd resolution) is said on the page, never a
server error.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, TypeVar

import pandas as pd
from flask import Blueprint, current_app, request
from flask_security import current_user, login_required
from sqlalchemy import select

from flexmeasures.charts import (
    ChartWindow,
    chart_json,
    json_text,
    power_chart_json,
    sensor_chart_json,
)
from flexmeasures.charts.mocked_bands import power_with_mocked_bands, sensor_with_mocked_band
from flexmeasures.charts.power import total
from flexmeasures.charts.summary import Summary, summarise
from flexmeasures.data import db
from flexmeasures.data.models import AssetType, Market, Sensor, WeatherSensor
from flexmeasures.data.services.charts import (
    RENEWABLES,
    ChartGrid,
    ChartInputError,
    check_grid,
    resolve_resource,
)
from flexmeasures.data.services.demo_year import read_power, read_sensor
from flexmeasures.modes import mocks_confidence_intervals
from flexmeasures.security import assets_visible_to
from flexmeasures.ui.bokeh_static import bokeh_script_urls
from flexmeasures.ui.utils.view_utils import render_flexmeasures_template
from flexmeasures.utils.time_utils import TimeParseError, parse_duration

T = TypeVar("T")
analytics_ui = Blueprint("flexmeasures_analytics", __name__)

RESOLUTIONS = {"PT15M": "15 minutes", "PT1H": "1 hour", "P1D": "1 day"}
HORIZONS = {"": "latest", "PT1H": "1 hour", "PT6H": "6 hours", "PT24H": "1 day", "PT48H": "2 days"}
DEFAULT_DAYS = 7


@dataclass
class Selection:
    """What the page shows: a resource (as the charts API reads it), the days from
    ``start`` to ``end`` (included), the resolution and forecast horizon (ISO 8601
    durations; "" for the latest forecasts), a market and a weather sensor (ids or None)."""

    resource: str
    start: date
    end: date
    resolution: str = "PT15M"
    horizon: str = ""
    market_id: int | None = None
    weather_sensor_id: int | None = None
    errors: list[str] = field(default_factory=list)


@dataclass
class Options:
    """The choices of the form: resources (value → label), markets and weather sensors."""

    resources: dict[str, str]
    markets: list[Market]
    weather_sensors: list[WeatherSensor]


def form_options() -> Options:
    """All renewables, the asset types and the assets the user may see, every market and
    weather sensor."""
    assets = list(db.session.scalars(assets_visible_to(current_user)))
    types = sorted({asset.asset_type_name for asset in assets})
    type_names = {t.name: t.display_name or t.name for t in db.session.scalars(select(AssetType))}
    resources = {RENEWABLES: "All renewables"}
    resources.update({name: f"All {type_names.get(name, name)}s" for name in types})
    resources.update({str(asset.id): asset.display_name or asset.name for asset in assets})
    return Options(
        resources=resources,
        markets=list(db.session.scalars(select(Market).order_by(Market.id))),
        weather_sensors=list(db.session.scalars(select(WeatherSensor).order_by(WeatherSensor.id))),
    )


def _local_today() -> date:
    return pd.Timestamp.now(tz=current_app.config["FLEXMEASURES_TIMEZONE"]).date()


def _date(args: dict[str, str], key: str, default: date, errors: list[str]) -> date:
    """A date field (YYYY-MM-DD), or the default (with a message if it was unreadable)."""
    text = args.get(key, "").strip()
    if not text:
        return default
    try:
        return date.fromisoformat(text)
    except ValueError:
        errors.append(f"The {key.replace('_', ' ')} '{text[:40]}' is no date like 2025-01-31.")
        return default


def _sensor_id(args: dict[str, str], key: str, default: int | None, errors: list[str]):
    """An id field ("" for none), or the default (with a message if it is no number)."""
    text = args.get(key)
    if text is None:
        return default
    if not text.strip():
        return None
    if not (text.strip().isdecimal() and len(text.strip()) < 10):
        errors.append(f"The {key.replace('_id', '').replace('_', ' ')} '{text[:40]}' is unknown.")
        return default
    return int(text)


def read_selection(args: dict[str, str], options: Options) -> Selection:
    """The selection in the query parameters, with defaults (the first resource, the last
    DEFAULT_DAYS days, the first market and weather sensor) and messages for bad input."""
    errors: list[str] = []
    end = _date(args, "end_date", _local_today(), errors)
    first = next(iter(options.resources))
    return Selection(
        resource=args.get("resource", "").strip() or first,
        start=_date(args, "start_date", end - timedelta(days=DEFAULT_DAYS - 1), errors),
        end=end,
        resolution=args.get("resolution", "PT15M").strip() or "PT15M",
        horizon=args.get("horizon", "").strip(),
        market_id=_sensor_id(args, "market_id", _first_id(options.markets), errors),
        weather_sensor_id=_sensor_id(
            args, "weather_sensor_id", _first_id(options.weather_sensors), errors
        ),
        errors=errors,
    )


def _first_id(sensors: list[Sensor]) -> int | None:
    return sensors[0].id if sensors else None


def _duration(text: str, what: str) -> pd.Timedelta:
    """An ISO 8601 duration (ChartInputError saying what is wrong if it is none)."""
    try:
        return pd.Timedelta(parse_duration(text))
    except TimeParseError as error:
        raise ChartInputError("INVALID_REQUEST", f"The {what} '{text[:40]}': {error}") from error


def chart_grid(selection: Selection) -> ChartGrid:
    """The selection's window (local days → aware UTC), resolution and horizon, checked."""
    zone = current_app.config["FLEXMEASURES_TIMEZONE"]
    grid = ChartGrid(
        start=pd.Timestamp(selection.start).tz_localize(zone).tz_convert("UTC"),
        end=pd.Timestamp(selection.end + timedelta(days=1)).tz_localize(zone).tz_convert("UTC"),
        resolution=_duration(selection.resolution, "resolution"),
        horizon=_duration(selection.horizon, "forecast horizon") if selection.horizon else None,
    )
    if selection.end < selection.start:
        raise ChartInputError(
            "INVALID_REQUEST", "The end date should not be before the start date."
        )
    check_grid(grid)
    return grid


def embeddable(figure: Any, chart_id: str) -> str:
    """The figure as json_item text for a ``<script type="application/json">`` element."""
    return json_text(chart_json(figure, chart_id))


@dataclass
class Analytics:
    """What the page shows: chart JSON items (as HTML-safe JSON text) by div id, and
    summaries by data type."""

    charts: dict[str, str] = field(default_factory=dict)
    summaries: dict[str, Summary] = field(default_factory=dict)
    title: str = ""


def known_sensor(model: type, sensor_id: int | None, what: str) -> Any:
    """The market or weather sensor with this id (None for none; ChartInputError if unknown)."""
    if sensor_id is None:
        return None
    sensor = db.session.get(model, sensor_id)
    if sensor is None:
        raise ChartInputError("UNRECOGNIZED_SENSOR", f"There is no {what} with id {sensor_id}.")
    return sensor


def build_analytics(selection: Selection) -> Analytics:
    """Charts and summaries of the selection (ChartInputError if it cannot be shown)."""
    grid = chart_grid(selection)
    name, assets = resolve_resource(selection.resource, current_user)
    market = known_sensor(Market, selection.market_id, "market")
    weather_sensor = known_sensor(WeatherSensor, selection.weather_sensor_id, "weather sensor")
    window = ChartWindow(grid.start, grid.end)
    power = read_power(assets, grid, summed=True)  # the page shows sums only
    if mocks_confidence_intervals(current_app.config):
        power = power_with_mocked_bands(power)
    result = Analytics(title=name)
    chart = power_chart_json(power, window, name, target_id="power-chart")
    result.charts["power-chart"] = json_text(chart)
    result.summaries["Power"] = summarise(
        total(power.measurements), total(power.forecasts), "MW", grid.resolution
    )
    if market is not None:
        _add_sensor(result, "prices", market, "Price", grid, window)
    if weather_sensor is not None:
        quantity = weather_sensor.sensor_type.display_name or weather_sensor.sensor_type.name
        _add_sensor(result, "weather", weather_sensor, quantity.capitalize(), grid, window)
    return result


def _add_sensor(
    result: Analytics,
    key: str,
    sensor: Sensor,
    quantity: str,
    grid: ChartGrid,
    window: ChartWindow,
) -> None:
    """Add a market's or weather sensor's chart and summary (``quantity``, e.g. "Price")."""
    data = read_sensor(sensor, grid)
    if mocks_confidence_intervals(current_app.config):
        data = sensor_with_mocked_band(data)
    chart = sensor_chart_json(data, window, data.name, quantity, target_id=f"{key}-chart")
    result.charts[f"{key}-chart"] = json_text(chart)
    result.summaries[f"{quantity} ({data.name})"] = summarise(
        data.measurements, data.forecasts, data.unit
    )


def shown(selection: Selection, build: Callable[[], T], empty: T) -> T:
    """What ``build`` makes of a selection, or ``empty`` if the selection has errors or
    cannot be shown (its ChartInputError's message is then added to the errors)."""
    if selection.errors:
        return empty
    try:
        return build()
    except ChartInputError as error:
        selection.errors.append(error.message)
        return empty


@analytics_ui.route("/analytics", methods=["GET"])
@login_required
def analytics_view():
    """The analytics page for the selection in the query parameters."""
    options = form_options()
    selection = read_selection(request.args, options)
    analytics = shown(selection, lambda: build_analytics(selection), Analytics())
    return render_flexmeasures_template(
        "analytics.html",
        options=options,
        selection=selection,
        analytics=analytics,
        resolutions=RESOLUTIONS,
        horizons=HORIZONS,
        bokeh_scripts=bokeh_script_urls(),
        hide_nan=current_app.config.get("FLEXMEASURES_HIDE_NAN_IN_UI", False),
    )
