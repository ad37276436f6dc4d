"""``flexmeasures add forecasts`` and ``flexmeasures add external-weather-forecasts``.

The forecasting core and the data layer are imported inside the commands, so that
``--help`` answers without them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from flask import current_app
from flask.cli import with_appcontext

from flexmeasures.cli.commands.data_common import one_transaction
from flexmeasures.cli.groups import add_group

if TYPE_CHECKING:
    import pandas as pd

    from flexmeasures.data.models import Sensor
    from flexmeasures.forecasting.jobs import ForecastRun

SENSOR_KINDS = {"asset": "Asset", "market": "Market", "weathersensor": "WeatherSensor"}
DEFAULT_HORIZON_HOURS = (1, 6, 24, 48)
DATE = click.DateTime(["%Y-%m-%d"])


@add_group.command("forecasts")
@click.option(
    "--asset-type",
    type=click.Choice(["Asset", "Market", "WeatherSensor"], case_sensitive=False),
    metavar="Asset|Market|WeatherSensor",
    help="Kind of sensor to forecast [default: any kind, by id].",
)
@click.option("--asset-id", type=int, help="Id of the asset, market or weather sensor.")
@click.option("--asset", "asset_name", metavar="NAME", help="Its name, instead of --asset-id.")
@click.option(
    "--from-date", type=DATE, required=True, metavar="YYYY-MM-DD", help="First day to forecast."
)
@click.option(
    "--to-date", type=DATE, required=True, metavar="YYYY-MM-DD", help="Last day (inclusive)."
)
@click.option(
    "--horizon",
    "horizon_hours",
    type=click.IntRange(min=1),
    multiple=True,
    metavar="HOURS",
    help="How many hours ahead; repeat for several [default: 1, 6, 24 and 48].",
)
@click.option(
    "--model",
    "model_name",
    metavar="NAME",
    help="Forecasting model: auto, ols, hgb, profile, naive-persistence (or naive), "
    "naive-yesterday or naive-week [default: FLEXMEASURES_FORECASTING_MODELS for the sensor, "
    "else auto: the model with the lowest error in a backtest on recent history, per horizon].",
)
@click.option("--as-job", is_flag=True, help="Queue a forecasting job per horizon instead.")
@with_appcontext
def add_forecasts(**options: Any) -> None:
    """Make rolling forecasts of a sensor for every step of some days and save them.

    Days are those of the sensor's time zone. Each forecast uses only the data known at its
    belief time (the event's end minus the horizon); the model is refitted daily. Each
    forecast is saved with its 10 % and 90 % quantiles next to it (beliefs with those
    cumulative probabilities; the point forecast at 0.5). Solar assets are forecast as a
    clear-sky index, wind assets with hour and season terms. Prints per horizon how many
    forecasts each model made, which model the backtest chose and why (with --model auto,
    the default) and, where measurements exist, their accuracy. The choice is kept with the
    forecasts' data source and made again when its data is older than
    FLEXMEASURES_FORECASTING_SELECTION_MAX_AGE (a week). With --as-job, workers do this
    (see `flexmeasures jobs run-worker --queue forecasting`).

    \b
    Example:
      flexmeasures add forecasts --asset-type Asset --asset-id 3 \\
        --from-date 2020-03-08 --to-date 2020-04-08 --horizon 6 --horizon 24
    """
    from flexmeasures.forecasting.jobs import model_for_sensor

    as_job, model_name = options.pop("as_job"), options.pop("model_name")
    with one_transaction():
        sensor, start, end, horizons = forecast_request(**options)
        if model_name is not None:
            model_name = model_for_sensor(sensor.id, model_name)
        if not as_job:
            report = make_forecasts(sensor, horizons, start, end, model_name)
        sensor_id = sensor.id
    if as_job:
        report = queue_forecasts(sensor_id, horizons, start, end, model_name)
    click.echo(report)


def forecast_request(
    asset_type: str | None,
    asset_id: int | None,
    asset_name: str | None,
    from_date: datetime,
    to_date: datetime,
    horizon_hours: Sequence[int],
) -> tuple[Sensor, pd.Timestamp, pd.Timestamp, list[timedelta]]:
    """The sensor, the window [start, end) (aware, the sensor's local days) and horizons."""
    import pandas as pd

    sensor = sensor_to_forecast(asset_type, asset_id, asset_name)
    if to_date < from_date:
        raise click.ClickException(
            f"--to-date {to_date:%Y-%m-%d} is before --from-date {from_date:%Y-%m-%d}."
        )
    timezone = sensor.timezone or "UTC"
    start, end = (
        pd.Timestamp(day).tz_localize(timezone, nonexistent="shift_forward")
        for day in (from_date, to_date + timedelta(days=1))
    )
    hours = sorted(set(horizon_hours)) or DEFAULT_HORIZON_HOURS
    return sensor, start, end, [timedelta(hours=h) for h in hours]


def sensor_to_forecast(
    asset_type: str | None, asset_id: int | None, asset_name: str | None
) -> Sensor:
    """The sensor named by id or name (and kind, if given); ClickException if none is."""
    from sqlalchemy import select

    from flexmeasures.data import db, models

    kind = SENSOR_KINDS[asset_type.lower()] if asset_type else "Sensor"
    model = getattr(models, kind)
    described = kind if asset_type else "asset, market or weather sensor"
    if (asset_id is None) == (asset_name is None):
        raise click.ClickException("Say which sensor to forecast: --asset-id ID or --asset NAME.")
    if asset_id is not None:
        sensor = db.session.get(model, asset_id)
        if sensor is None:
            raise click.ClickException(f"There is no {described} with id {asset_id}.")
        return sensor
    named = db.session.scalars(select(model).where(model.name == asset_name)).all()
    if len(named) != 1:
        problem = "several" if named else "no"
        ids = f" (ids {', '.join(str(s.id) for s in named)}); use --asset-id" if named else ""
        raise click.ClickException(f"There is {problem} {described} named '{asset_name}'{ids}.")
    return named[0]


def make_forecasts(
    sensor: Sensor,
    horizons: Sequence[timedelta],
    start: pd.Timestamp,
    end: pd.Timestamp,
    model_name: str | None,
) -> str:
    """Make and save (uncommitted) the forecasts day by day, with a progress bar; return
    the report (see ``forecast_report``)."""
    import pandas as pd

    from flexmeasures.forecasting.jobs import compute_rolling_forecasts

    days = []
    while not days or days[-1] < end:
        days.append(start + pd.DateOffset(days=len(days)))
    day_pairs = list(zip(days[:-1], days[1:], strict=True))
    chunks = [(horizon, first, last) for horizon in horizons for first, last in day_pairs]
    runs: dict[timedelta, list[ForecastRun]] = {horizon: [] for horizon in horizons}
    with click.progressbar(chunks, label=f"Forecasting {sensor.name}") as bar:
        for horizon, chunk_start, chunk_end in bar:
            run = compute_rolling_forecasts(sensor.id, horizon, chunk_start, chunk_end, model_name)
            runs[horizon].append(run)
    return forecast_report(sensor, runs, start, end)


def forecast_report(
    sensor: Sensor,
    runs: dict[timedelta, list[ForecastRun]],
    start: pd.Timestamp,
    end: pd.Timestamp,
) -> str:
    """Per horizon: forecasts saved, by which models, and their accuracy against the
    measurements in the window (see ``horizon_line``)."""
    import pandas as pd

    from flexmeasures.forecasting.jobs import measured_series

    measured = measured_series(sensor, start - pd.Timedelta(days=7), end)
    lines = [f"Forecasts of {sensor.name} (id {sensor.id}) from {start} until {end}:"]
    lines += [horizon_line(h, h_runs, measured, sensor.unit) for h, h_runs in runs.items()]
    return "\n".join(lines)


def horizon_line(
    horizon: timedelta, runs: list[ForecastRun], measured: pd.Series, unit: str
) -> str:
    """How many forecasts at this horizon were saved, by which models (data source model
    names), and their accuracy: 1 - WAPE, MAE (in the sensor's unit) and the ratio to the
    MAE of seasonal naive (the value a week earlier)."""
    import pandas as pd

    from flexmeasures.forecasting.jobs import source_model
    from flexmeasures.forecasting.metrics import summary

    frame = pd.concat([run.forecasts for run in runs], ignore_index=True)
    requested = runs[0].model_name
    models = [source_model(label, requested)[0] for label in frame["source"]]
    made_by = ", ".join(f"{name}: {n}" for name, n in pd.Series(models).value_counts().items())
    saved = sum(run.saved for run in runs)
    line = f"  {_hours(horizon)} ahead: {saved} forecasts saved ({made_by or 'none'})"
    choices = dict.fromkeys(run.selection.describe() for run in runs if run.selection)
    if choices:
        line += f"; chosen by backtest: {', then '.join(choices)}"
    if frame.empty:
        return line
    forecast = pd.Series(frame["value"].to_numpy(float), index=frame["event_start"])
    return f"{line}; {_accuracy(summary(measured, forecast), unit)}"


def _hours(horizon: timedelta) -> str:
    """A horizon in hours, e.g. "6 hours"."""
    hours = horizon / timedelta(hours=1)
    return f"{hours:g} hour{'s' if hours != 1 else ''}"


def _accuracy(metrics: dict[str, float], unit: str) -> str:
    """The metrics in words, or that there is nothing to compare with."""
    if metrics["mae"] != metrics["mae"]:  # NaN: no measurements of these events
        return "no measurements to compare with yet"
    text = f"accuracy {metrics['accuracy']:.1%}, MAE {metrics['mae']:.4g} {unit}"
    ratio = metrics["ratio_to_seasonal_naive"]
    if ratio == ratio:
        text += f", {ratio:.2f} × the MAE of seasonal naive"
    return text


def queue_forecasts(
    sensor_id: int,
    horizons: Sequence[timedelta],
    start: pd.Timestamp,
    end: pd.Timestamp,
    model_name: str | None,
) -> str:
    """Queue a job per horizon (merged with a waiting one for the same window); report."""
    from flexmeasures.data.services.forecast_triggers import enqueue_forecasting_job
    from flexmeasures.jobs import queues_are_async

    lines = []
    for horizon in horizons:
        job = enqueue_forecasting_job(
            sensor_id, horizon, start.to_pydatetime(), end.to_pydatetime(), model_name
        )
        lines.append(f"  {_hours(horizon)} ahead: job {job.id} ({job_state(job)})")
    if queues_are_async():
        header = "Queued forecasting jobs (run `flexmeasures jobs run-worker --queue forecasting`):"
    else:
        header = "Without Redis, the forecasting jobs ran in-process:"
    return "\n".join([header, *lines])


def job_state(job: Any) -> str:
    """The job's status, e.g. "queued", "finished, 96 saved" or "failed: <the error>"."""
    status = job.get_status()
    state = getattr(status, "value", status)
    if state == "finished":
        return f"finished, {job.return_value()['saved']} forecasts saved"
    if state == "failed":
        result = job.latest_result()
        reason = ((result.exc_string if result else "") or "").strip().splitlines()
        return f"failed: {reason[-1] if reason else 'unknown error'}"
    return state


def parse_location(ctx: click.Context, param: click.Parameter, text: str) -> tuple[float, float]:
    """A "LAT,LNG" option as decimal degrees (latitude -90..90, longitude -180..180)."""
    try:
        latitude, longitude = (float(part) for part in text.split(","))
    except ValueError as exc:
        raise click.BadParameter(
            "give it as LAT,LNG in decimal degrees, e.g. 33.4366,126.5269."
        ) from exc
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise click.BadParameter(
            f"latitude {latitude} must be within -90..90 and longitude {longitude} "
            "within -180..180."
        )
    return latitude, longitude


@add_group.command("external-weather-forecasts")
@click.option(
    "--location",
    required=True,
    metavar="LAT,LNG",
    callback=parse_location,
    help="Where to get forecasts for, in decimal degrees, e.g. 33.4366,126.5269.",
)
@click.option(
    "--store-in-db",
    is_flag=True,
    help="Save them as beliefs of the weather sensors there (created if missing) instead "
    "of in a JSON file in the instance folder.",
)
@click.option(
    "--region",
    default="",
    help="Name of the region: a sub-folder for the JSON files, and part of new sensors' names.",
)
@with_appcontext
def add_external_weather_forecasts(
    location: tuple[float, float], store_in_db: bool, region: str
) -> None:
    """Collect hourly temperature, wind speed and radiation forecasts for a location.

    They come from FLEXMEASURES_WEATHER_FORECAST_URL (Open-Meteo; no key needed). Run it
    periodically, e.g. every hour, to keep forecasts (made at the time of each request) for
    forecasting and scheduling.

    \b
    Example:
      flexmeasures add external-weather-forecasts --location 33.4366,126.5269 --store-in-db
    """
    from flexmeasures.data.services import weather_forecasts

    latitude, longitude = location
    requested_at = weather_forecasts.request_time()
    url = current_app.config["FLEXMEASURES_WEATHER_FORECAST_URL"]
    try:
        response = weather_forecasts.fetch_weather_forecasts(url, latitude, longitude)
    except weather_forecasts.WeatherForecastError as exc:
        raise click.ClickException(str(exc)) from exc
    if not store_in_db:
        folder = Path(current_app.instance_path) / "weather-forecasts" / region
        path = weather_forecasts.save_raw_response(
            response, folder, latitude, longitude, requested_at
        )
        click.echo(f"Saved the forecasts for {latitude}, {longitude} in {path}.")
        return
    with one_transaction():
        stored = weather_forecasts.store_weather_forecasts(
            response, latitude, longitude, requested_at, region or None
        )
        lines = [
            f"  {type_name}: {saved} forecasts ({sensor.unit}) for sensor '{sensor.name}' "
            f"(id {sensor.id})"
            for type_name, (sensor, saved) in stored.items()
        ]
    click.echo(
        "\n".join([f"Saved weather forecasts made at {requested_at:%Y-%m-%d %H:%M} UTC:", *lines])
    )
