"""Demo data committed in the browser tests' own schema, so that every page shows real
charts: users and assets, and for the days around now (DAYS_BEFORE days before the current
hour to DAYS_AFTER days after) 15-minute power measurements (past) and forecasts (solar
and wind with 10 %, 50 % and 90 % quantiles, so their charts have a band), a battery schedule that
deviates from its forecast (opportunities), hourly day-ahead prices and temperatures.

The values follow smooth daily shapes in Jeju's time (UTC+9), the same every run for the
same hour of the day; only their dates move along with the clock.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import select

from flexmeasures.data import db
from flexmeasures.data.ingest import save_beliefs
from flexmeasures.data.models import Asset, DataSource, Market
from flexmeasures.data.services.structure import add_default_structure
from flexmeasures.data.services.users import create_user
from tests.conftest import TEST_PASSWORD
from tests.factories import make_asset, make_temperature_sensor

ADMIN_EMAIL = "admin@seita.nl"
PROSUMER_EMAIL = "prosumer@seita.nl"
DAYS_BEFORE, DAYS_AFTER = 7, 2  # the analytics page shows the last week by default
QUARTER = timedelta(minutes=15)
JEJU = 9  # hours ahead of UTC
# name → (asset type, latitude, longitude, peak power in MW; None: no data yet)
PROSUMER_ASSETS: dict[str, tuple[str, float, float, float | None]] = {
    "Jeju Haenyeo Museum - PV": ("solar", 33.5236, 126.8634, 0.5),
    "Seongsan wind park": ("wind", 33.4581, 126.9425, 2.0),
    "Suwon battery": ("battery", 33.2805, 126.4828, 0.5),
    "Test station - fast charger": ("charging_station", 33.5544, 126.3379, None),
}


def current_hour() -> datetime:
    """The start of the current hour (UTC): measurements end here, forecasts go on."""
    return datetime.now(UTC).replace(minute=0, second=0, microsecond=0)


def quarters(now: datetime) -> pd.DatetimeIndex:
    """The 15-minute event starts of the demo window around ``now``."""
    start = now - timedelta(days=DAYS_BEFORE)
    return pd.date_range(start, now + timedelta(days=DAYS_AFTER), freq=QUARTER, inclusive="left")


def _hour_of_day(index: pd.DatetimeIndex) -> np.ndarray:
    """Jeju's hour of the day (with fractions) of each time."""
    return ((index.hour + JEJU) % 24 + index.minute / 60).to_numpy(dtype="float64")


def profile(kind: str, index: pd.DatetimeIndex, peak: float) -> np.ndarray:
    """A daily shape of power (MW, consumption positive) or of prices and temperature."""
    hour = _hour_of_day(index)
    day = np.arange(len(index)) / 96
    shapes = {
        "solar": -peak * np.clip(np.sin((hour - 6) / 12 * np.pi), 0, None),
        "wind": -peak * (0.55 + 0.35 * np.sin(day * 2.1) + 0.1 * np.cos(hour / 3)),
        "battery": peak * 0.2 * np.sin((hour - 3) / 12 * np.pi),
        "price": 45 + 25 * np.sin((hour - 11) / 12 * np.pi) + 5 * np.cos(day * 3),
        "temperature": 14 + 5 * np.sin((hour - 9) / 12 * np.pi),
    }
    return np.round(shapes[kind], 4)


def latest_measurement(name: str) -> tuple[datetime, float]:
    """The time and value (MW) of an asset's most recent measurement."""
    type_name, _, _, peak = PROSUMER_ASSETS[name]
    last = pd.DatetimeIndex([current_hour() - QUARTER])
    return last[0].to_pydatetime(), float(profile(type_name, last, peak)[0])


def beliefs(sensor_id: int, source_id: int, index, values, horizon, probability=0.5):
    """A belief frame: one value per event start, all with one horizon and probability."""
    return pd.DataFrame(
        {
            "sensor_id": sensor_id,
            "event_start": index,
            "belief_horizon": horizon,
            "source_id": source_id,
            "cumulative_probability": probability,
            "event_value": values,
        }
    )


def made_now_or_earlier(index: pd.DatetimeIndex, now: datetime) -> pd.TimedeltaIndex:
    """Forecast horizons: 6 hours ahead for the past, made now for what is further ahead."""
    return (index - now).map(lambda ahead: max(ahead, pd.Timedelta(hours=6)))


def _past_and_forecast(sensor_id, source_id, index, values, now, spread=0.0) -> list:
    """Measurements before now, forecasts for the whole window (see
    ``made_now_or_earlier``); with a ``spread`` also the 10 % and 90 % quantiles (forecast ∓
    spread × |forecast|)."""
    past = index < now
    frames = [beliefs(sensor_id, source_id, index[past], values[past], timedelta(0))]
    forecast = values * 0.95
    ahead = made_now_or_earlier(index, now)
    frames.append(beliefs(sensor_id, source_id, index, forecast, ahead))
    if spread:
        width = np.abs(forecast) * spread
        frames.append(beliefs(sensor_id, source_id, index, forecast - width, ahead, 0.1))
        frames.append(beliefs(sensor_id, source_id, index, forecast + width, ahead, 0.9))
    return frames


def _battery_schedule(sensor_id: int, scheduler_id: int, now: datetime, peak: float):
    """From now on: as forecast, but charging at full power in the cheapest hours of each
    day and discharging in the dearest ones (so the schedule deviates there)."""
    index = quarters(now)
    future = index[index >= now]
    price = profile("price", future, 0)
    forecast = profile("battery", future, peak) * 0.95
    schedule = np.where(price < 30, peak, np.where(price > 65, -peak, forecast))
    return beliefs(sensor_id, scheduler_id, future, schedule, future - now + QUARTER)


def add_time_series(assets: dict[str, Asset], source_id: int) -> None:
    """The power, prices and temperatures of the demo window (see the module doc)."""
    now = current_hour()
    index = quarters(now)
    frames = []
    for name, (type_name, _, _, peak) in PROSUMER_ASSETS.items():
        if peak is not None:
            values = profile(type_name, index, peak)
            spread = {"solar": 0.15, "wind": 0.1}.get(type_name, 0.0)
            frames += _past_and_forecast(assets[name].id, source_id, index, values, now, spread)
    market = db.session.scalar(select(Market).filter_by(name="epex_da"))
    hours = index[index.minute == 0]
    frames += _past_and_forecast(market.id, source_id, hours, profile("price", hours, 0), now)
    temperature = make_temperature_sensor()
    db.session.flush()
    frames += _past_and_forecast(
        temperature.id, source_id, index, profile("temperature", index, 0), now
    )
    scheduler = DataSource(name="FlexMeasures", type="scheduling script", model="Storage")
    db.session.add(scheduler)
    db.session.flush()
    battery_peak = PROSUMER_ASSETS["Suwon battery"][3]
    frames.append(_battery_schedule(assets["Suwon battery"].id, scheduler.id, now, battery_peak))
    save_beliefs(pd.concat(frames, ignore_index=True))


def add_demo_data() -> dict[str, Asset]:
    """Add the standard structure, an admin and a prosumer owning PROSUMER_ASSETS, and the
    time series of the days around now. Does not commit."""
    add_default_structure()
    create_user(ADMIN_EMAIL, TEST_PASSWORD, "admin", roles=["admin"])
    prosumer = create_user(PROSUMER_EMAIL, TEST_PASSWORD, "prosumer", roles=["Prosumer"])
    source = db.session.scalar(select(DataSource).filter_by(user_id=prosumer.id))
    assets = {
        name: make_asset(prosumer, name, type_name, latitude=latitude, longitude=longitude)
        for name, (type_name, latitude, longitude, _) in PROSUMER_ASSETS.items()
    }
    add_time_series(assets, source.id)
    return assets
