"""Where new data asks for new forecasts.

The API calls ``request_forecasts`` after committing new beliefs. Forecasting jobs are
enqueued here once the forecasting module exists; until then, and for data kinds the
mode excludes (prices and weather in play mode), nothing is enqueued.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from flask import current_app

from flexmeasures.data.models import Asset, Market, Sensor, WeatherSensor
from flexmeasures.modes import should_enqueue_forecasts_for

DATA_KINDS = {Asset: "power", Market: "price", WeatherSensor: "weather"}


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


def request_forecasts(sensors: Sequence[Sensor], start: datetime, end: datetime) -> list:
    """Ask for forecasts of these sensors after new data for events in [start, end].

    Returns the enqueued jobs (none yet: forecasting jobs come with the forecasting module).
    """
    wanted = sensors_to_forecast(sensors)
    current_app.logger.debug(
        f"New data for sensors {[s.id for s in wanted]} from {start} to {end}; "
        "forecasting jobs are not available yet."
    )
    return []
