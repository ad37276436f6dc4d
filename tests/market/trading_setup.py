"""Test data for trading: a small battery with day-ahead prices, a forecast (its baseline),
its schedule and its measurements, written the way the platform writes them."""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
from sqlalchemy import select

from flexmeasures.data import db
from flexmeasures.data.ingest import save_beliefs
from flexmeasures.data.models import Asset, DataSource, Market, TradingSetting, User
from flexmeasures.data.services.structure import add_default_structure
from flexmeasures.scheduling.jobs import make_schedule
from tests.factories import make_asset

QUARTER = timedelta(minutes=15)
HOUR = timedelta(hours=1)


def source(name: str, kind: str) -> int:
    """The id of a data source of this name and type (created if missing)."""
    found = db.session.scalar(select(DataSource.id).filter_by(name=name, type=kind))
    if found is None:
        made = DataSource(name=name, type=kind)
        db.session.add(made)
        db.session.flush()
        found = made.id
    return found


def save_series(sensor_id: int, values: pd.Series, belief_time: datetime, source_id: int) -> None:
    """Save values (per event start) as beliefs recorded at ``belief_time``."""
    step = values.index[1] - values.index[0] if len(values) > 1 else QUARTER
    frame = pd.DataFrame(
        {
            "sensor_id": sensor_id,
            "event_start": values.index,
            "belief_horizon": (values.index + step) - pd.Timestamp(belief_time),
            "source_id": source_id,
            "event_value": values.to_numpy(dtype=float),
        }
    )
    save_beliefs(frame, on_conflict="overwrite")


def quarters(start: datetime, end: datetime) -> pd.DatetimeIndex:
    """Quarter-hour starts of [start, end)."""
    return pd.date_range(start, end, freq=QUARTER, inclusive="left")


def add_prices(start: datetime, hourly_eur_per_mwh: list[float], known_at: datetime) -> Market:
    """The day-ahead market (epex_da) with hourly prices from ``start``."""
    add_default_structure()
    market = db.session.scalar(select(Market).filter_by(name="epex_da"))
    index = pd.date_range(start, periods=len(hourly_eur_per_mwh), freq=HOUR)
    save_series(
        market.id, pd.Series(hourly_eur_per_mwh, index=index), known_at, source("Seita", "script")
    )
    return market


def add_trading_battery(
    owner: User, name: str, market: Market, battery_wear: float = 10.0, **fields
) -> Asset:
    """A 10 kW battery (50 kWh) on the market, trading switched on (lead time 30 minutes)."""
    asset = make_asset(
        owner,
        name=name,
        capacity_in_mw=0.01,
        min_soc_in_mwh=0,
        max_soc_in_mwh=0.05,
        market_id=market.id,
        **fields,
    )
    db.session.flush()
    db.session.add(
        TradingSetting(
            asset_id=asset.id,
            enabled=True,
            battery_wear_eur_per_mwh=battery_wear,
            margin_eur_per_kwh=0.01,
            lead_time_minutes=30,
            min_power_w=1.0,
        )
    )
    db.session.flush()
    return asset


def add_forecast(asset: Asset, start: datetime, end: datetime, mw: float, made_at: datetime):
    """A forecast (baseline) of ``mw`` for [start, end), made at ``made_at``."""
    values = pd.Series(mw, index=quarters(start, end))
    save_series(asset.id, values, made_at, source("FlexMeasures", "forecasting script"))


def add_measurements(asset: Asset, start: datetime, end: datetime, mw: float) -> None:
    """Measured power ``mw`` for [start, end), recorded right after each quarter hour."""
    values = pd.Series(mw, index=quarters(start, end))
    frame_source = source("meter", "user")
    for moment, value in values.items():
        save_series(asset.id, pd.Series([value], index=[moment]), moment + QUARTER, frame_source)


def schedule(asset: Asset, start: datetime, end: datetime, soc_at_start: float) -> dict:
    """Compute and save (commit) the asset's schedule for [start, end)."""
    return make_schedule(asset.id, start, end, soc_at_start)
