"""What the offer strategy needs of many assets, read in a few queries (``trading.py`` plans
with it; no strategy here).

For assets and a delivery window [start, end) at order time ``now``, one query each reads:
the assets, their trading settings, their forecasts (the most recent prognosis beliefs
recorded at or before ``now``, per sensor and event), their schedules (the most recent
beliefs of the scheduler), the prices of their markets known at ``now`` (often one shared
price sensor) and the delivery windows of their live orders. ``power_w`` and ``prices`` then
cut one asset's series out of these frames, exactly as if it had been read alone. Powers in
W (consumption positive), prices in EUR/MWh, times aware UTC.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pandas as pd
from sqlalchemy import select

from flexmeasures.data import db
from flexmeasures.data.models import Asset, TradingOrder, TradingSetting
from flexmeasures.data.queries import resample_events, search_beliefs
from flexmeasures.data.services.data_sources import PROGNOSES, source_ids_of_kind

QUARTER_HOUR = timedelta(minutes=15)
W_PER_MW = 1_000_000
DEAD_STATUSES = ("cancelled", "expired", "failed")
"""Statuses of our orders that no longer hold their quarter hours."""


class TradingError(ValueError):
    """Trading cannot go ahead as asked (unknown asset, no forecast, no schedule, ...)."""


def quarter_hours(start: datetime, end: datetime) -> pd.DatetimeIndex:
    """The quarter-hour starts of [start, end); TradingError unless both are on a quarter."""
    start, end = pd.Timestamp(start).tz_convert("UTC"), pd.Timestamp(end).tz_convert("UTC")
    if start != start.floor(QUARTER_HOUR) or end != end.floor(QUARTER_HOUR) or end <= start:
        raise TradingError("The window must start and end on quarter hours, start before end.")
    return pd.date_range(start, end, freq=QUARTER_HOUR, inclusive="left")


def _by_sensor(frame: pd.DataFrame) -> dict[int, pd.Series]:
    """Belief values per sensor id: event values indexed by event start."""
    return {
        int(sensor_id): pd.Series(
            part["event_value"].to_numpy(), index=part["event_start"], dtype=float
        )
        for sensor_id, part in frame.groupby("sensor_id", sort=False)
    }


@dataclass
class TradingInputs:
    """Everything read for the assets of one planning round (see the module docstring):
    values per sensor id (MW for assets, EUR/MWh for markets) and the quarter hours (starts)
    within live orders per asset id."""

    start: datetime
    end: datetime
    assets: dict[int, Asset] = field(default_factory=dict)
    settings: dict[int, TradingSetting] = field(default_factory=dict)
    forecasts: dict[int, pd.Series] = field(default_factory=dict)
    schedules: dict[int, pd.Series] = field(default_factory=dict)
    market_prices: dict[int, pd.Series] = field(default_factory=dict)
    taken: dict[int, set[pd.Timestamp]] = field(default_factory=dict)

    def power_w(self, asset: Asset, what: str) -> pd.Series:
        """The asset's "forecast" or "schedule" per quarter hour of the window (W);
        TradingError naming the first quarter hour without one."""
        found = (self.forecasts if what == "forecast" else self.schedules).get(asset.id)
        values = resample_events(
            found if found is not None else pd.Series(dtype=float),
            asset.event_resolution,
            QUARTER_HOUR,
            self.start,
            self.end,
        )
        if values.isna().any():
            missing = values.index[values.isna()][0].isoformat()
            raise TradingError(f"Asset {asset.id} has no {what} for the quarter hour {missing}.")
        return values * W_PER_MW

    def prices(self, asset: Asset) -> pd.Series | None:
        """The asset's market prices (EUR/MWh per quarter hour); None if it has no market or
        a price is missing (then the lost arbitrage counts as 0)."""
        if asset.market_id is None:
            return None
        found = self.market_prices.get(asset.market_id)
        if found is None:
            return None
        resolution = asset.market.event_resolution
        found = found[found.index >= pd.Timestamp(self.start) - resolution]
        prices = resample_events(found, resolution, QUARTER_HOUR, self.start, self.end)
        return None if prices.isna().any() else prices


def read_inputs(
    asset_ids: Sequence[int], start: datetime, end: datetime, now: datetime
) -> TradingInputs:
    """Read what planning the assets' orders for [start, end) at ``now`` needs, in one
    query per kind (see the module docstring); unknown asset ids are left out."""
    from flexmeasures.scheduling.jobs import scheduler_source_id

    inputs = TradingInputs(start, end)
    ids = list(asset_ids)
    inputs.assets = {a.id: a for a in db.session.scalars(select(Asset).where(Asset.id.in_(ids)))}
    query = select(TradingSetting).where(TradingSetting.asset_id.in_(ids))
    inputs.settings = {s.asset_id: s for s in db.session.scalars(query)}
    found = list(inputs.assets)
    prognoses = source_ids_of_kind(PROGNOSES)
    forecasts = search_beliefs(found, start, end, prior=now, source_ids=prognoses)
    inputs.forecasts = _by_sensor(forecasts)
    schedules = search_beliefs(found, start, end, source_ids=[scheduler_source_id()])
    inputs.schedules = _by_sensor(schedules)
    markets = {a.market_id: a.market for a in inputs.assets.values() if a.market_id is not None}
    if markets:
        earliest = start - max(m.event_resolution for m in markets.values())
        inputs.market_prices = _by_sensor(search_beliefs(list(markets), earliest, end, prior=now))
    inputs.taken = taken_slots(found, start, end)
    return inputs


def taken_slots(
    asset_ids: Sequence[int], start: datetime, end: datetime
) -> dict[int, set[pd.Timestamp]]:
    """Per asset id, the quarter-hour starts in [start, end) within a live order of ours
    (every quarter hour of a block)."""
    query = select(
        TradingOrder.asset_id, TradingOrder.delivery_start, TradingOrder.delivery_end
    ).where(
        TradingOrder.asset_id.in_(list(asset_ids)),
        TradingOrder.delivery_start < end,
        TradingOrder.delivery_end > start,
        TradingOrder.status.not_in(DEAD_STATUSES),
    )
    window = quarter_hours(start, end)
    taken: dict[int, set[pd.Timestamp]] = {asset_id: set() for asset_id in asset_ids}
    for asset_id, order_start, order_end in db.session.execute(query):
        inside = (window >= pd.Timestamp(order_start)) & (window < pd.Timestamp(order_end))
        taken[asset_id].update(window[inside])
    return taken
