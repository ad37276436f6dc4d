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
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd
from flask import current_app
from sqlalchemy import select

from flexmeasures.data import db
from flexmeasures.data.models import Asset, TradingOrder, TradingSetting
from flexmeasures.market.connector import MarketConnector, MarketConnectorError, idempotency_key
from flexmeasures.market.strategy import OfferSettings, evaluate_slots, offer_strategy
from flexmeasures.market.trading_inputs import (
    TradingError,
    TradingInputs,
    quarter_hours,
    read_inputs,
)

QUARTER_HOUR = timedelta(minutes=15)
SUBMIT_WORKERS = 8
"""Orders submitted at a time by ``place_many``."""
COMMIT_EVERY = 50
"""Submit answers stored per commit (the idempotency keys are committed before sending)."""


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


def offer_settings(
    asset: Asset, setting: TradingSetting | None = None
) -> tuple[OfferSettings, bool]:
    """The asset's offer settings (its TradingSetting, looked up if not given, over the
    FLEXMEASURES_TRADING_* defaults) and whether it trades at all."""
    config = current_app.config
    if setting is None:
        setting = db.session.get(TradingSetting, asset.id) or TradingSetting(asset_id=asset.id)
    margin = setting.margin_eur_per_kwh
    lead = setting.lead_time_minutes or config["FLEXMEASURES_TRADING_LEAD_TIME_MINUTES"]
    settings = OfferSettings(
        margin_eur_per_kwh=config["FLEXMEASURES_TRADING_MARGIN_EUR_PER_KWH"]
        if margin is None
        else margin,
        battery_wear_eur_per_mwh=setting.battery_wear_eur_per_mwh or 0.0,
        lead_time=timedelta(minutes=lead),
        min_power_w=OfferSettings.min_power_w
        if setting.min_power_w is None
        else setting.min_power_w,
        country_code=setting.country_code,
        location_ids=(setting.location_id,) if setting.location_id else (),
        metering_id=f"flexmeasures-asset-{asset.id}",
        max_block_quarter_hours=setting.max_block_quarter_hours
        or OfferSettings.max_block_quarter_hours,
    )
    return settings, setting.enabled is not False


def run_id_for(asset_id: int, start: datetime, end: datetime, now: datetime) -> str:
    """The strategy run's id: from asset, window and the quarter hour of ``now``."""
    moment = pd.Timestamp(now).tz_convert("UTC").floor(QUARTER_HOUR)
    text = f"{asset_id}|{pd.Timestamp(start).isoformat()}|{pd.Timestamp(end).isoformat()}|{moment}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _plan(
    inputs: TradingInputs, asset_id: int, now: datetime, expected_price: float
) -> TradingPlan:
    """The plan of one asset from inputs read for many (see ``plan_many``)."""
    asset = inputs.assets.get(asset_id)
    if asset is None:
        raise TradingError(f"There is no asset with id {asset_id}.")
    setting = inputs.settings.get(asset_id) or TradingSetting(asset_id=asset_id)
    settings, enabled = offer_settings(asset, setting)
    baseline = inputs.power_w(asset, "forecast")
    schedule = inputs.power_w(asset, "schedule")
    prices = inputs.prices(asset)
    run_id = run_id_for(asset_id, inputs.start, inputs.end, now)
    plan_inputs = (baseline, schedule, expected_price, prices, settings)
    plan = TradingPlan(asset_id, run_id, enabled, plan_inputs, baseline_w=baseline)
    if enabled:
        taken = inputs.taken.get(asset_id, set())
        orders = offer_strategy(baseline, schedule, expected_price, now, prices, settings, taken)
        plan.orders = [
            {**order, "idempotency_key": idempotency_key(asset_id, _start_of(order), run_id)}
            for order in orders
        ]
    return plan


def plan_many(
    asset_ids: Sequence[int],
    start: datetime,
    end: datetime,
    now: datetime,
    expected_price: float | None = None,
) -> dict[int, TradingPlan | TradingError]:
    """What the strategy offers for each asset's quarter hours in [start, end) at ``now``
    (see the module docstring), reading all assets' forecasts, schedules, prices and live
    orders in a few queries (``trading_inputs``): per asset id its plan, or the
    TradingError saying why it has none (unknown asset, missing forecast or schedule).
    TradingError at once for a window not on quarter hours."""
    quarter_hours(start, end)
    price = expected_price
    if price is None:
        price = current_app.config["FLEXMEASURES_TRADING_EXPECTED_PRICE_EUR_PER_KWH"]
    inputs = read_inputs(asset_ids, start, end, now)
    plans: dict[int, TradingPlan | TradingError] = {}
    for asset_id in asset_ids:
        try:
            plans[asset_id] = _plan(inputs, asset_id, now, price)
        except TradingError as exc:
            plans[asset_id] = exc
    _drop_recorded([plan for plan in plans.values() if isinstance(plan, TradingPlan)])
    return plans


def _drop_recorded(plans: list[TradingPlan]) -> None:
    """Leave out of the plans the orders already recorded under their idempotency key (e.g.
    refused for good earlier in the same run: the same key would be refused again)."""
    keys = [order["idempotency_key"] for plan in plans for order in plan.orders]
    if not keys:
        return
    query = select(TradingOrder.idempotency_key).where(TradingOrder.idempotency_key.in_(keys))
    recorded = set(db.session.scalars(query))
    for plan in plans:
        plan.orders = [o for o in plan.orders if o["idempotency_key"] not in recorded]


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
    plan = plan_many([asset_id], start, end, now, expected_price)[asset_id]
    if isinstance(plan, TradingError):
        raise plan
    return plan


def _start_of(order: dict[str, Any]) -> datetime:
    """An order dict's delivery start, aware UTC."""
    return pd.Timestamp(order["delivery_start"]).to_pydatetime()


def record_plans(plans: Iterable[TradingPlan], market_url: str) -> list[TradingOrder]:
    """Record the plans' orders as ours (status "new"; one flush, not committed)."""
    rows = []
    for plan in plans:
        for order in plan.orders:
            start, end = _start_of(order), pd.Timestamp(order["delivery_end"]).to_pydatetime()
            baselines = plan.baseline_w.loc[quarter_hours(start, end)]
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


def record_plan(plan: TradingPlan, market_url: str) -> list[TradingOrder]:
    """Record one plan's orders as ours (status "new"; flushed, not committed)."""
    return record_plans([plan], market_url)


def unsubmitted_orders(asset_ids: list[int] | None = None) -> list[TradingOrder]:
    """Our recorded orders the marketplace has not confirmed yet (status "new")."""
    query = select(TradingOrder).where(TradingOrder.status == "new")
    if asset_ids is not None:
        query = query.where(TradingOrder.asset_id.in_(asset_ids))
    return list(db.session.scalars(query.order_by(TradingOrder.id)))


def _iso(moment: datetime) -> str:
    """A time as the marketplace writes it: 2026-02-26T11:00:00Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def meter_data(metering_id: str, points_kwh: pd.Series, now: datetime) -> dict[str, Any]:
    """A meter data object of the marketplace from energies (kWh) per quarter hour (indexed
    by quarter-hour start): data points stamped with the END of their quarter hour."""
    starts = list(points_kwh.index)
    return meter_data_of(metering_id, starts, points_kwh.to_numpy().tolist(), now)


def meter_data_of(
    metering_id: str, starts: Sequence[datetime], values_kwh: Sequence[float], now: datetime
) -> dict[str, Any]:
    """``meter_data`` from plain lists: the quarter-hour starts and their energies (kWh)."""
    ends = [_iso(start + QUARTER_HOUR) for start in starts]
    return {
        "metering_id": metering_id,
        "created_at": _iso(now),
        "reading_start": _iso(starts[0]),
        "reading_end": ends[-1],
        "resolution": 900,
        "unit_measured": "kWh",
        "data_points": [
            {"timestamp": end, "value": float(value)}
            for end, value in zip(ends, values_kwh, strict=True)
        ],
    }


def _baseline_values_w(row: TradingOrder) -> tuple[list[datetime], list[float]]:
    """A recorded order's quarter-hour starts and baseline (W) of each (see
    ``order_baselines_w``), as plain lists."""
    slots = int((row.delivery_end - row.delivery_start) / QUARTER_HOUR)
    values = row.baselines_w if row.baselines_w else [row.baseline_w] * slots
    if len(values) != slots or row.delivery_start + slots * QUARTER_HOUR != row.delivery_end:
        raise TradingError(f"Order {row.id} has {len(values)} baselines for {slots} slots.")
    return [row.delivery_start + i * QUARTER_HOUR for i in range(slots)], list(values)


def order_baselines_w(row: TradingOrder) -> pd.Series:
    """A recorded order's baseline (W) per quarter hour of its delivery window (indexed by
    quarter-hour start); an order from before blocks has one, ``baseline_w``."""
    index = quarter_hours(row.delivery_start, row.delivery_end)
    _, values = _baseline_values_w(row)
    return pd.Series(values, index=index, dtype=float)


def order_body(row: TradingOrder, setting: TradingSetting | None = None) -> dict[str, Any]:
    """The sell order to submit for a recorded order, with its baseline (kWh per quarter
    hour of its window) and the asset's location (its TradingSetting, looked up if not
    given; none: any). Plain Python (no pandas): it is built for every order submitted."""
    if setting is None:
        setting = db.session.get(TradingSetting, row.asset_id)
    location_id = setting.location_id if setting else None
    starts, baseline_w = _baseline_values_w(row)
    baseline_kwh = [value * 0.25 / 1000 for value in baseline_w]
    metering_id = f"flexmeasures-asset-{row.asset_id}"
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
        "baseline": meter_data_of(metering_id, starts, baseline_kwh, row.created_at),
    }


def _send(
    connector: MarketConnector, body: dict[str, Any], key: str
) -> dict[str, Any] | MarketConnectorError:
    """Submit one order body; the marketplace's answer, or its refusal (not raised)."""
    try:
        return connector.submit_order(body, key)
    except MarketConnectorError as exc:
        return exc


def _store_answer(
    row: TradingOrder, outcome: dict[str, Any] | MarketConnectorError, counts: dict[str, int]
) -> None:
    """Keep a submit's outcome on the recorded order: the marketplace's order id and status,
    or the error (a refusal for good, a 4xx but 429, marks it failed)."""
    if isinstance(outcome, MarketConnectorError):
        row.error = str(outcome)
        if outcome.status is not None and 400 <= outcome.status < 500 and outcome.status != 429:
            row.status = "failed"  # refused for good; retrying would not help
        counts["failed"] += 1
    else:
        row.market_order_id = outcome["order_id"]
        if row.status == "new":
            row.status = outcome.get("status") or "pending"
        row.error = None
        counts["submitted"] += 1
    row.updated_at = pd.Timestamp.now(tz="UTC").to_pydatetime()


def submit_orders(
    connector: MarketConnector, rows: list[TradingOrder], workers: int = 1
) -> dict[str, int]:
    """Submit recorded orders, ``workers`` at a time, each with its idempotency key (which
    was committed before: a crash before an answer is stored only makes the next run
    resubmit it, and the marketplace answers the first order). The answers (order id and
    status, or the error) are stored in order and committed every COMMIT_EVERY orders; each
    row is read again first, as the trade stream may have told us more meanwhile. Returns
    counts per outcome ("submitted", "failed")."""
    query = select(TradingSetting).where(
        TradingSetting.asset_id.in_({row.asset_id for row in rows})
    )
    settings = {setting.asset_id: setting for setting in db.session.scalars(query)}
    sends = [(order_body(row, settings.get(row.asset_id)), row.idempotency_key) for row in rows]
    ids = [row.id for row in rows]  # read now: a commit expires the rows
    counts = {"submitted": 0, "failed": 0}
    with ThreadPoolExecutor(max_workers=max(workers, 1)) as pool:
        outcomes = iter(pool.map(lambda send: _send(connector, *send), sends))
        for first in range(0, len(rows), COMMIT_EVERY):
            chunk_ids = ids[first : first + COMMIT_EVERY]
            fresh = select(TradingOrder).where(TradingOrder.id.in_(chunk_ids))
            db.session.scalars(fresh.execution_options(populate_existing=True)).all()
            for row in rows[first : first + COMMIT_EVERY]:
                _store_answer(row, next(outcomes), counts)
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


def place_many(
    connector: MarketConnector,
    asset_ids: Sequence[int],
    start: datetime,
    end: datetime,
    now: datetime,
    expected_price: float | None = None,
) -> tuple[dict[int, TradingPlan | TradingError], dict[str, int]]:
    """Plan the assets' orders together (``plan_many``), record every plan's orders in one
    commit, then submit them and any earlier order of these assets still unconfirmed,
    SUBMIT_WORKERS at a time; per asset id its plan or why it has none, and the submit
    counts."""
    plans = plan_many(asset_ids, start, end, now, expected_price)
    made = [plan for plan in plans.values() if isinstance(plan, TradingPlan)]
    record_plans(made, connector.settings.base_url)
    db.session.commit()
    counts = submit_orders(connector, unsubmitted_orders(list(asset_ids)), SUBMIT_WORKERS)
    return plans, counts


def trading_assets() -> list[int]:
    """The ids of the assets whose trading is switched on (they have an enabled setting)."""
    query = select(TradingSetting.asset_id).where(TradingSetting.enabled.is_(True))
    return list(db.session.scalars(query.order_by(TradingSetting.asset_id)))
