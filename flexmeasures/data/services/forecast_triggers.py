"""Where new data asks for new forecasts: forecasting jobs on the "forecasting" queue.

The API calls ``request_forecasts`` after committing new beliefs. For every sensor whose
data kind the mode allows (prices and weather trigger nothing in play mode, see
``flexmeasures.modes``) and that has enough history, it enqueues one job per default
horizon (1, 6, 24 and 48 hours) for the events the new data makes forecastable (at most
the last LONGEST_WINDOW of them, so that a large import does not hold up the API when
jobs run in-process).

A job that is still waiting on the queue for the same sensor, horizon, window and model is
not enqueued again: ``enqueue_forecasting_job`` returns the waiting one. Redis remembers the
last job per such key (``PENDING_KEY``); a lock makes check-and-enqueue atomic across web
workers.

Without Redis (the embedded default), jobs would run in-process inside the request that
posted the data, fitting models while the client waits (seconds per post, and a stalled
server under concurrent posts). So new data triggers no forecasts there; make them with
``flexmeasures add forecasts``, or configure Redis and run a forecasting worker.

The job function is named by its import path, so that the web process does not import the
forecasting models (scikit-learn, pvlib) just to enqueue.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import pandas as pd
from flask import current_app
from redis.exceptions import RedisError
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from sqlalchemy import func, select

from flexmeasures.data import db
from flexmeasures.data.models import Asset, Market, Sensor, TimedBelief, WeatherSensor
from flexmeasures.jobs import enqueue, queues_are_async, redis_connection
from flexmeasures.modes import should_enqueue_forecasts_for

DATA_KINDS = {Asset: "power", Market: "price", WeatherSensor: "weather"}
# The same as flexmeasures.forecasting.DEFAULT_HORIZONS (a test keeps them equal); repeated
# here so that enqueueing does not import the models.
DEFAULT_HORIZONS = tuple(timedelta(hours=hours) for hours in (1, 6, 24, 48))
FORECAST_HISTORY = timedelta(days=60)
"""How far back before a window forecasting jobs read measurements to fit on."""
MIN_HISTORY = timedelta(days=2)
"""Measurements needed (as a span of the sensor's events) before new data triggers jobs."""
LONGEST_WINDOW = timedelta(days=2)
"""The most a triggered job forecasts: the last part of what new data makes forecastable
(older windows, e.g. after importing a year of data, are for ``flexmeasures add forecasts``)."""
FORECASTING_JOB = "flexmeasures.forecasting.jobs.make_rolling_forecasts"
FORECASTING_JOB_TIMEOUT = 3600
"""Seconds a forecasting job may run before RQ stops it (and records it as failed)."""
PENDING_KEY = "flexmeasures:forecasting:pending:{sensor_id}:{horizon}:{start}:{end}:{model}"
PENDING_SECONDS = 7 * 24 * 3600
WAITING = (JobStatus.QUEUED, JobStatus.DEFERRED, JobStatus.SCHEDULED)


def data_kind(sensor: Sensor) -> str:
    """The kind of data a sensor records: power, price, weather or other."""
    return next((kind for cls, kind in DATA_KINDS.items() if isinstance(sensor, cls)), "other")


def sensors_to_forecast(sensors: Sequence[Sensor]) -> list[Sensor]:
    """The sensors whose new data should trigger forecasts in the app's mode (see
    ``flexmeasures.modes.should_enqueue_forecasts_for``); sensors of other kinds always do."""
    config = current_app.config
    return [
        s
        for s in sensors
        if data_kind(s) == "other" or should_enqueue_forecasts_for(data_kind(s), config)
    ]


def request_forecasts(sensors: Sequence[Sensor], start: datetime, end: datetime) -> list[Job]:
    """Enqueue forecasting jobs after new data for events starting in [start, end] (UTC).

    Per sensor to forecast (see ``sensors_to_forecast``) with at least MIN_HISTORY of
    measurements, one job per default horizon for ``forecastable_window``. Returns the
    jobs (waiting ones that were merged included; finished already without Redis). When
    Redis fails, the error is logged and the sensor gets no jobs: the caller's data is
    saved already, and a later post triggers forecasts again.
    """
    if not queues_are_async():
        current_app.logger.debug(
            "No forecasting jobs for new data: without Redis they would run inside the "
            "request; use `flexmeasures add forecasts` or configure FLEXMEASURES_REDIS_URL."
        )
        return []
    jobs = []
    for sensor in sensors_to_forecast(sensors):
        resolution = sensor.event_resolution
        if not resolution or not has_enough_history(sensor, end):
            current_app.logger.debug(
                f"No forecasting jobs for sensor {sensor.id}: too little history "
                f"(less than {MIN_HISTORY} of measurements before {end})."
            )
            continue
        try:
            jobs += _enqueue_per_horizon(sensor.id, resolution, start, end)
        except RedisError as exc:  # the data is saved; the queue's trouble is logged
            current_app.logger.error(f"Could not queue forecasting jobs for {sensor}: {exc}")
    return jobs


def _enqueue_per_horizon(
    sensor_id: int, resolution: timedelta, start: datetime, end: datetime
) -> list[Job]:
    """A forecasting job per default horizon for the window the new data makes forecastable."""
    jobs = []
    for horizon in DEFAULT_HORIZONS:
        window = forecastable_window(start, end, resolution, horizon)
        if window is not None:
            jobs.append(enqueue_forecasting_job(sensor_id, horizon, *window))
    return jobs


def forecastable_window(
    start: datetime,
    end: datetime,
    resolution: timedelta,
    horizon: timedelta,
    longest: timedelta = LONGEST_WINDOW,
) -> tuple[datetime, datetime] | None:
    """The events a horizon's forecasts can newly be made for after new data for events
    starting in [start, end]: those whose belief time (event end - horizon) falls between
    the end of the first new event and the end of the last one; at most the last
    ``longest`` of them. Returns [start, end) of those events, on the resolution's grid, or
    None if there are none.
    """
    last = pd.Timestamp(end + horizon).floor(resolution)
    first = max(pd.Timestamp(start + horizon), last + resolution - longest).ceil(resolution)
    if first > last:
        return None
    return first.to_pydatetime(), (last + resolution).to_pydatetime()


def has_enough_history(sensor: Sensor, until: datetime) -> bool:
    """True if the sensor has at least MIN_HISTORY worth of measurements (beliefs with a
    horizon ≤ 0) about events in the FORECAST_HISTORY before ``until`` (inclusive)."""
    needed = int(MIN_HISTORY / sensor.event_resolution)
    counted = db.session.scalar(
        select(func.count()).where(
            TimedBelief.sensor_id == sensor.id,
            TimedBelief.belief_horizon <= timedelta(0),
            TimedBelief.event_start > until - FORECAST_HISTORY,
            TimedBelief.event_start <= until,
        )
    )
    return counted >= needed


def enqueue_forecasting_job(
    sensor_id: int,
    horizon: timedelta,
    start: datetime,
    end: datetime,
    model_name: str | None = None,
) -> Job:
    """Enqueue a job making rolling forecasts of a sensor at a horizon for events in
    [start, end), with a model (None: the sensor's configured model, else "auto": the model
    chosen by backtest, see flexmeasures.forecasting.selection).

    Returns the job that is already waiting for the same arguments, if any (merged), or
    the new job. Call after committing the data the job reads.
    """
    arguments = (sensor_id, horizon, start, end, model_name)
    if not queues_are_async():
        return _enqueue(*arguments)
    connection = redis_connection()
    key = pending_key(*arguments)
    with connection.lock(f"{key}:lock", timeout=10, blocking_timeout=10):
        waiting = waiting_job(key)
        if waiting is not None:
            current_app.logger.debug(f"Forecasting job {waiting.id} is waiting already.")
            return waiting
        job = _enqueue(*arguments)
        connection.set(key, job.id, ex=PENDING_SECONDS)
    return job


def pending_key(
    sensor_id: int, horizon: timedelta, start: datetime, end: datetime, model_name: str | None
) -> str:
    """The Redis key under which the last job for these arguments is remembered."""
    return PENDING_KEY.format(
        sensor_id=sensor_id,
        horizon=int(horizon.total_seconds()),
        start=pd.Timestamp(start).tz_convert("UTC").isoformat(),
        end=pd.Timestamp(end).tz_convert("UTC").isoformat(),
        model=model_name or "",
    )


def waiting_job(key: str) -> Job | None:
    """The job remembered under the key, if it still waits for a worker."""
    connection = redis_connection()
    job_id = connection.get(key)
    if not isinstance(job_id, bytes):  # None: no such key
        return None
    try:
        job = Job.fetch(job_id.decode(), connection=connection)
    except NoSuchJobError:
        return None
    return job if job.get_status() in WAITING else None


def _enqueue(
    sensor_id: int,
    horizon: timedelta,
    start: datetime,
    end: datetime,
    model_name: str | None,
) -> Job:
    """Put a forecasting job on the "forecasting" queue (run at once without Redis)."""
    return enqueue(
        "forecasting",
        FORECASTING_JOB,
        sensor_id,
        horizon,
        start,
        end,
        model_name,
        job_timeout=FORECASTING_JOB_TIMEOUT,
        meta={
            "sensor_id": sensor_id,
            "horizon": str(pd.Timedelta(horizon)),
            "start": start.isoformat(),
            "end": end.isoformat(),
            "model": model_name,
        },
    )
