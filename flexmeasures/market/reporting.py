"""The trading job's rounds and the listing of our trading (``flexmeasures jobs trade`` and
``flexmeasures show trading``): text lines, no Flask. Powers in W, prices in EUR/kWh,
amounts in EUR, times UTC."""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
from sqlalchemy import select

from flexmeasures.data import db
from flexmeasures.data.models import TradingContract, TradingOrder
from flexmeasures.market.connector import MarketConnector
from flexmeasures.market.delivery import submit_due_metering
from flexmeasures.market.trade_stream import poll_once
from flexmeasures.market.trading import TradingError, place_many, trading_assets

QUARTER_HOUR = timedelta(minutes=15)


def trading_round(
    connector: MarketConnector, now: datetime, horizon: timedelta, poll: bool = True
) -> list[str]:
    """One round of the periodic job: offer each trading asset's flexibility from the next
    quarter hour over ``horizon`` (all assets' inputs read together, their orders recorded in
    one commit and submitted several at a time), send due metering data and (``poll``) poll
    our orders' statuses. Returns what happened, one line per asset and step."""
    start = pd.Timestamp(now).tz_convert("UTC").ceil(QUARTER_HOUR).to_pydatetime()
    plans, counts = place_many(connector, trading_assets(), start, start + horizon, now)
    lines = []
    for asset_id, plan in plans.items():
        if isinstance(plan, TradingError):
            lines.append(f"Asset {asset_id}: nothing offered ({plan})")
        else:
            lines.append(f"Asset {asset_id}: {len(plan.orders)} new order(s).")
    lines.append(f"Submitted {counts['submitted']} order(s), {counts['failed']} failed.")
    if poll:
        lines.append(f"Polled {poll_once(connector)} order(s).")
    metering = submit_due_metering(connector, now)
    lines.append(f"Metering sent for {metering['sent']} order(s), {metering['waiting']} waiting.")
    return lines


def order_lines(asset_id: int | None = None, limit: int = 50) -> list[str]:
    """Our orders, newest delivery first: one line per order (its delivery window, power,
    price and status), one per contract (status, delivered %, net amount), and a total of
    the settled net amounts."""
    query = select(TradingOrder).order_by(TradingOrder.delivery_start.desc(), TradingOrder.id)
    if asset_id is not None:
        query = query.where(TradingOrder.asset_id == asset_id)
    orders = list(db.session.scalars(query.limit(limit)))
    if not orders:
        return ["No trading orders yet."]
    lines = [f"{'order':>6} {'asset':>6} {'delivery (UTC)':<23} {'W':>8} {'EUR/kWh':>8} status"]
    total = 0.0
    for order in orders:
        lines.append(
            f"{order.market_order_id or '-':>6} {order.asset_id:>6} "
            f"{order.delivery_start:%Y-%m-%d %H:%M}-{order.delivery_end:%H:%M} "
            f"{order.power_w:>8.0f} "
            f"{order.price_eur_per_kwh:>8.4f} {order.status}"
            + (f" ({order.error})" if order.error else "")
        )
        for contract in order.contracts:
            lines.append(contract_line(contract))
            total += contract.net_amount_eur or 0.0
    lines.append(f"Settled net amount: {total:.2f} EUR")
    return lines


def contract_line(contract: TradingContract) -> str:
    """A contract of ours: id, status, delivered % and net amount (once settled)."""
    delivered = (contract.verification or {}).get("delivered_pct")
    settled = "" if contract.net_amount_eur is None else f", net {contract.net_amount_eur:.4f} EUR"
    shown = "" if delivered is None else f", delivered {delivered:g} %"
    return (
        f"{'':>6} contract {contract.market_contract_id}: {contract.energy_kwh:g} kWh at "
        f"{contract.price_eur_per_kwh:g} EUR/kWh, {contract.status}{shown}{settled}"
    )


def trading_rows(asset_ids: list[int], start: datetime, end: datetime) -> list[dict]:
    """Our orders for these assets with delivery in [start, end), by delivery: asset name,
    delivery start, power (W), price (EUR/kWh), status, contract statuses and the settled
    net amount (EUR, None until settled), for the opportunities page."""
    from flexmeasures.data.models import Asset

    query = (
        select(TradingOrder, Asset.name)
        .join(Asset, Asset.id == TradingOrder.asset_id)
        .where(
            TradingOrder.asset_id.in_(asset_ids),
            TradingOrder.delivery_start >= start,
            TradingOrder.delivery_start < end,
        )
        .order_by(TradingOrder.delivery_start, TradingOrder.id)
    )
    rows = []
    for order, name in db.session.execute(query):
        amounts = [c.net_amount_eur for c in order.contracts if c.net_amount_eur is not None]
        rows.append(
            {
                "asset": name,
                "delivery_start": order.delivery_start,
                "power_w": order.power_w,
                "price": order.price_eur_per_kwh,
                "status": order.status,
                "contracts": ", ".join(c.status for c in order.contracts) or "-",
                "net_eur": sum(amounts) if amounts else None,
            }
        )
    return rows
