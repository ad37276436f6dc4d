"""From an asset's flexibility to sell orders on a marketplace (the job around ``strategy.py``).

For an asset and a delivery window [start, end) at order time ``now``:

- **baseline** (W per quarter hour) = the asset's forecast: the most recent prognosis
  beliefs (forecasters' and users' prognoses) recorded at or before ``now``;
- **schedule** (W per quarter hour) = the asset's most recent schedule (beliefs of the
  scheduler's data source);
- **own prices** (EUR/MWh) = the asset's market prices known at ``now`` (for the lost
  arbitrage part of the cost of deviating);
- the offer strategy (``flexmeasures.market.strategy``) turns flexibility = schedule -
  baseline into sell orders: price = cost of deviating (lost arbitrage + the asset's battery
  wear) + margin, expiring a lead time before delivery, for the quarter hours whose
  expected value (``expected_price`` against the cost) is positive, earliest first, in
  blocks of consecutive quarter hours of equal power (at most the asset's
  ``max_block_quarter_hours``) priced at their dearest quarter hour.

Each order gets an idempotency key from asset, block start and strategy run (the run id is
derived from asset, window and the quarter hour of ``now``), so a retried or repeated run
never sells twice; a quarter hour within a live order of ours (not cancelled or expired) is
not offered again (a new block never spans it). Orders are recorded (``TradingOrder``,
status "new") and committed before they are submitted, so a crash in between is repaired by
the next run (same key: the marketplace answers the first order). Assets with trading
switched off (``TradingSetting.enabled``) offer nothing. Powers in W (consumption
positive), prices in EUR/kWh unless said otherwise.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pandas as pd
from flask import current_app
from sqlalchemy import select

from flexmeasures.data import db
from flexmeasures.data.models import Asset, TradingOrder, TradingSetting
from flexmeasures.data.queries import resample_events, search_beliefs
from flexmeasures.data.services.data_sources import PROGNOSES, source_ids_of_kind
from flexmeasures.market.connector import MarketConnector, MarketConnectorError, idempotency_key
from flexmeasures.market.strategy import OfferSettings, evaluate_slots, offer_strategy

QUARTER_HOUR = timedelta(minutes=15)
W_PER_MW = 1_000_000
DEAD_STATUSES = ("cancelled", "expired", "failed")
"""Statuses of our orders that no longer hold their quarter hour."""


class TradingError(ValueError):
    """Trading cannot go ahead as asked (unknown asset, no forecast, no schedule, ...)."""


@dataclass
class TradingPlan:
    """What the strategy would offer for an asset: ``orders`` (dicts in the marketplace's
    order shape, each with ``idempotency_key``), the baseline (W) they were made against
    and ``slots``, the strategy's view per quarter hour (``strategy.evaluate_slots``, worked
    out when asked for: a dry run shows it, submitting does not need it)."""

    asset_id: int
    run_id: str
    enabled: bool
    inputs: tuple[Any, ...]
    orders: list[dict[str, Any]] = field(default_factory=list)
    baseline_w: pd.Series | None = None

    @functools.cached_property
    def slots(self) -> pd.DataFrame:
        """Per quarter hour: flexibility, power offered, cost, price, expected value, offer."""
        return evaluate_slots(*self.inputs)


def _quarter_hours(start: datetime, end: datetime) -> pd.DatetimeIndex:
    """The quarter-hour starts of [start, end); TradingError unless both are on a quarter."""
    start, end = pd.Timestamp(start).tz_convert("UTC"), pd.Timestamp(end).tz_convert("UTC")
    if start != start.floor(QUARTER_HOUR) or end != end.floor(QUARTER_HOUR) or end <= start:
        raise TradingError("The window must start and end on quarter hours, start before end.")
    return pd.date_range(start, end, freq=QUARTER_HOUR, inclusive="left")


def _power_w(
    asset: Asset,
    start: datetime,
    end: datetime,
    source_ids: Sequence[int] | None,
    prior: datetime | None,
    what: str,
) -> pd.Series:
    """The asset's most recent power beliefs (of these sources, recorded by ``prior``) per
    quarter hour of [start, end), in W; TradingError naming ``what`` if any is missing."""
    found = search_beliefs([asset.id], start, end, prior=prior, source_ids=source_ids)
    values = pd.Series(found["event_value"].to_numpy(), index=found["event_start"], dtype=float)
    values = resample_events(values, asset.event_resolution, QUARTER_HOUR, start, end)
    if values.isna().any():
        missing = values.index[values.isna()][0].isoformat()
        raise TradingError(f"Asset {asset.id} has no {what} for the quarter hour {missing}.")
    return values * W_PER_MW


def baseline_w(asset: Asset, start: datetime, end: datetime, now: datetime) -> pd.Series:
    """The asset's baseline (W per quarter hour): its forecast as known at ``now``."""
    return _power_w(asset, start, end, source_ids_of_kind(PROGNOSES), now, "forecast")


def schedule_w(asset: Asset, start: datetime, end: datetime) -> pd.Series:
    """The asset's most recent schedule (W per quarter hour)."""
    from flexmeasures.scheduling.jobs import scheduler_source_id

    return _power_w(asset, start, end, [scheduler_source_id()], None, "schedule")


def own_prices(asset: Asset, start: datetime, end: datetime, now: datetime) -> pd.Series | None:
    """The asset's market prices (EUR/MWh per quarter hour) known at ``now``; None if the
    asset has no market or a price is missing (then the lost arbitrage counts as 0)."""
    if asset.market_id is None:
        return None
    market = asset.market
    found = search_beliefs([asset.market_id], start - market.event_resolution, end, prior=now)
    prices = pd.Series(found["event_value"].to_numpy(), index=found["event_start"], dtype=float)
    prices = resample_events(prices, market.event_resolution, QUARTER_HOUR, start, end)
    return None if prices.isna().any() else prices


def offer_settings(asset: Asset) -> tuple[OfferSettings, bool]:
    """The asset's offer settings (its TradingSetting over the FLEXMEASURES_TRADING_*
    defaults) and whether it trades at all."""
    config = current_app.config
    setting = db.session.get(TradingSetting, asset.id) or TradingSetting(asset_id=asset.id)
    margin = setting.margin_eur_per_kwh
    lead = setting.lead_time_minutes or config["FLEXMEASURES_TRADING_LEAD_TIME_MINUTES"]
    settings = OfferSettings(
        margin_eur_per_kwh=config["FLEXMEASURES_TRADING_MARGIN_EUR_PER_KWH"]
        if margin is None
        else margin,
        battery_wear_eur_per_mwh=setting.battery_wear_eur_per_mwh or 0.0,
        lead_time=timedelta(minutes=lead),
        min_power_w=1.0 if setting.min_power_w is None else setting.min_power_w,
        country_code=setting.country_code,
        location_ids=(setting.location_id,) if setting.location_id else (),
        metering_id=f"flexmeasures-asset-{asset.id}",
        max_block_quarter_hours=setting.max_block_quarter_hours or 4,
    )
    return settings, setting.enabled is not False


def run_id_for(asset_id: int, start: datetime, end: datetime, now: datetime) -> str:
    """The strategy run's id: from asset, window and the quarter hour of ``now``."""
    moment = pd.Timestamp(now).tz_convert("UTC").floor(QUARTER_HOUR)
    text = f"{asset_id}|{pd.Timestamp(start).isoformat()}|{pd.Timestamp(end).isoformat()}|{moment}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def plan_orders(
    asset_id: int,
    start: datetime,
    end: datetime,
    now: datetime,
    expected_price: float | None = None,
) -> TradingPlan:
    """What the strategy offers for the asset's quarter hours in [start, end) at ``now``
    (see the module docstring); nothing if its trading is switched off. TradingError for an
    unknown asset or a missing forecast or schedule."""
    asset = db.session.get(Asset, asset_id)
    if asset is None:
        raise TradingError(f"There is no asset with id {asset_id}.")
    index = _quarter_hours(start, end)
    settings, enabled = offer_settings(asset)
    price = expected_price
    if price is None:
        price = current_app.config["FLEXMEASURES_TRADING_EXPECTED_PRICE_EUR_PER_KWH"]
    baseline = baseline_w(asset, start, end, now)
    schedule = schedule_w(asset, start, end).reindex(index)
    prices = own_prices(asset, start, end, now)
    run_id = run_id_for(asset_id, start, end, now)
    inputs = (baseline, schedule, price, prices, settings)
    plan = TradingPlan(asset_id, run_id, enabled, inputs, baseline_w=baseline)
    if enabled:
        taken = _taken_slots(asset_id, start, end)
        orders = offer_strategy(baseline, schedule, price, now, prices, settings, taken)
        plan.orders = [
            {**order, "idempotency_key": idempotency_key(asset_id, _start_of(order), run_id)}
            for order in orders
        ]
    return plan


def _start_of(order: dict[str, Any]) -> datetime:
    """An order dict's delivery start, aware UTC."""
    return pd.Timestamp(order["delivery_start"]).to_pydatetime()


def _taken_slots(asset_id: int, start: datetime, end: datetime) -> set[pd.Timestamp]:
    """Quarter-hour starts in [start, end) within a live order of ours for the asset (every
    quarter hour of a block)."""
    query = select(TradingOrder.delivery_start, TradingOrder.delivery_end).where(
        TradingOrder.asset_id == asset_id,
        TradingOrder.delivery_start < end,
        TradingOrder.delivery_end > start,
        TradingOrder.status.not_in(DEAD_STATUSES),
    )
    window = _quarter_hours(start, end)
    taken: set[pd.Timestamp] = set()
    for order_start, order_end in db.session.execute(query):
        inside = (window >= pd.Timestamp(order_start)) & (window < pd.Timestamp(order_end))
        taken.update(window[inside])
    return taken


def record_plan(plan: TradingPlan, market_url: str) -> list[TradingOrder]:
    """Record the plan's orders as ours (status "new"; flushed, not committed)."""
    rows = []
    for order in plan.orders:
        start, end = _start_of(order), pd.Timestamp(order["delivery_end"]).to_pydatetime()
        baselines = plan.baseline_w.loc[_quarter_hours(start, end)]
        rows.append(
            TradingOrder(
                asset_id=plan.asset_id,
                market_url=market_url,
                idempotency_key=order["idempotency_key"],
                run_id=plan.run_id,
                side=order["side"],
                power_w=order["power"],
                price_eur_per_kwh=order["price"],
                baseline_w=float(baselines.iloc[0]),
                baselines_w=[float(value) for value in baselines],
                delivery_start=start,
                delivery_end=end,
                expiry_time=pd.Timestamp(order["expiry_time"]).to_pydatetime(),
                status="new",
            )
        )
    db.session.add_all(rows)
    db.session.flush()
    return rows


def unsubmitted_orders(asset_ids: list[int] | None = None) -> list[TradingOrder]:
    """Our recorded orders the marketplace has not confirmed yet (status "new")."""
    query = select(TradingOrder).where(TradingOrder.status == "new")
    if asset_ids is not None:
        query = query.where(TradingOrder.asset_id.in_(asset_ids))
    return list(db.session.scalars(query.order_by(TradingOrder.id)))


def _iso(moment: datetime) -> str:
    """A time as the marketplace writes it: 2026-02-26T11:00:00Z."""
    return pd.Timestamp(moment).tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%SZ")


def meter_data(metering_id: str, points_kwh: pd.Series, now: datetime) -> dict[str, Any]:
    """A meter data object of the marketplace from energies (kWh) per quarter hour (indexed
    by quarter-hour start): data points stamped with the END of their quarter hour."""
    ends = [start + QUARTER_HOUR for start in points_kwh.index]
    return {
        "metering_id": metering_id,
        "created_at": _iso(now),
        "reading_start": _iso(points_kwh.index[0]),
        "reading_end": _iso(ends[-1]),
        "resolution": 900,
        "unit_measured": "kWh",
        "data_points": [
            {"timestamp": _iso(end), "value": float(value)}
            for end, value in zip(ends, points_kwh.to_numpy(), strict=True)
        ],
    }


def order_baselines_w(row: TradingOrder) -> pd.Series:
    """A recorded order's baseline (W) per quarter hour of its delivery window (indexed by
    quarter-hour start); an order from before blocks has one, ``baseline_w``."""
    index = _quarter_hours(row.delivery_start, row.delivery_end)
    values = row.baselines_w if row.baselines_w else [row.baseline_w] * len(index)
    if len(values) != len(index):
        raise TradingError(f"Order {row.id} has {len(values)} baselines for {len(index)} slots.")
    return pd.Series(values, index=index, dtype=float)


def order_body(row: TradingOrder) -> dict[str, Any]:
    """The sell order to submit for a recorded order, with its baseline (kWh) and the
    asset's location (its TradingSetting; none: any)."""
    setting = db.session.get(TradingSetting, row.asset_id)
    location_id = setting.location_id if setting else None
    baseline = order_baselines_w(row) * 0.25 / 1000
    return {
        "side": row.side,
        "power": int(row.power_w),
        "price": row.price_eur_per_kwh,
        "delivery_start": _iso(row.delivery_start),
        "delivery_end": _iso(row.delivery_end),
        "expiry_time": _iso(row.expiry_time),
        "location": {
            "location_id": [location_id],
            "country_code": (setting.country_code if setting else None) or "",
        },
        "baseline": meter_data(f"flexmeasures-asset-{row.asset_id}", baseline, row.created_at),
    }


def submit_orders(connector: MarketConnector, rows: list[TradingOrder]) -> dict[str, int]:
    """Submit recorded orders (each with its idempotency key); store the marketplace's order
    id and status, or the error. Commits after each order. Returns counts per outcome."""
    counts = {"submitted": 0, "failed": 0}
    for row in rows:
        try:
            answer = connector.submit_order(order_body(row), row.idempotency_key)
        except MarketConnectorError as exc:
            row.error = str(exc)
            if exc.status is not None and 400 <= exc.status < 500 and exc.status != 429:
                row.status = "failed"  # refused for good; retrying would not help
            counts["failed"] += 1
        else:
            db.session.refresh(row)  # the trade stream may have told us more meanwhile
            row.market_order_id = answer["order_id"]
            if row.status == "new":
                row.status = answer.get("status") or "pending"
            row.error = None
            counts["submitted"] += 1
        row.updated_at = pd.Timestamp.now(tz="UTC").to_pydatetime()
        db.session.commit()
    return counts


def place_orders(
    connector: MarketConnector,
    asset_id: int,
    start: datetime,
    end: datetime,
    now: datetime,
    expected_price: float | None = None,
) -> tuple[TradingPlan, dict[str, int]]:
    """Plan the asset's orders, record them (committed), then submit them and any earlier
    order of the asset still unconfirmed; the plan and the submit counts."""
    plan = plan_orders(asset_id, start, end, now, expected_price)
    record_plan(plan, connector.settings.base_url)
    db.session.commit()
    counts = submit_orders(connector, unsubmitted_orders([asset_id]))
    return plan, counts


def trading_assets() -> list[int]:
    """The ids of the assets whose trading is switched on (they have an enabled setting)."""
    query = select(TradingSetting.asset_id).where(TradingSetting.enabled.is_(True))
    return list(db.session.scalars(query.order_by(TradingSetting.asset_id)))
