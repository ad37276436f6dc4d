"""Baseline and metering data of sell orders, and the verification and settlement of their
contracts (one transaction each, with its stream messages).

- A **baseline** (posted with the sell order, or later to ``/api/v1/verification/baseline``
  or ``/verification/metering`` with ``measurement_type: baseline``) lets a sell that was
  ``awaiting_baseline_data`` into matching; while the sell is open it may be replaced.
- **Metering** data is posted after delivery (``delivery_end`` has passed) for a filled sell.
  Each of its contracts is then verified per quarter hour (``settlement.verify``: delivered
  = min(max(baseline − metering, 0), contracted); a success when at least 90 % of the
  contracted energy was delivered) and settled (``settlement.settle``: payment for what was
  delivered, a penalty of the price for every missing kWh), the contract moving
  verification_initiated → verification_completed_success|failed → settlement_initiated →
  settlement_completed_success|failed (failed when the verification failed).

Data points are energies (kWh) per quarter hour, stamped with the END of their quarter hour
(as the seed's example: reading 14:00–14:30, points 14:15 and 14:30). A quarter hour of the
contract without a baseline point counts as a baseline of 0 kWh (nothing to deliver from);
metering must cover every quarter hour of the contract.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pandas as pd
from sqlalchemy.orm import Session

from flexmeasures.market import models as m
from flexmeasures.market import service, settlement
from flexmeasures.market.models import MarketUser
from flexmeasures.market.rules import MeterDataInput, RuleError, format_time, parse_meter_data
from flexmeasures.market.service import (
    MarketError,
    activate,
    contracts_of,
    expire_due_orders,
    locked_transaction,
    own_order,
    record_orderbook,
    set_contract_status,
)

QUARTER = timedelta(minutes=15)
FINAL = (m.FILLED, m.CANCELLED, m.EXPIRED)


def submit_meter_data(
    user: MarketUser, data: MeterDataInput, now: datetime | None = None
) -> dict[str, Any]:
    """Store baseline or metering data for one of the user's sell orders (and activate or
    verify/settle, see the module docstring). Returns {"order_id", "measurement_type",
    "status" (the order's), "contracts": [...]}; MarketError 404/409 or RuleError 422."""
    now = now or service.utc_now()
    with locked_transaction() as session:
        expired = expire_due_orders(session, now)
        order = own_order(session, user, data.order_id)
        if order.side != "sell":
            raise RuleError({"order_id": ["baseline and metering data are for sell orders only"]})
        if data.measurement_type == "baseline":
            book_changed = _take_baseline(session, order, data.data, now)
        else:
            book_changed = False
            _take_metering(session, order, data, now)
        if book_changed or expired:
            record_orderbook(session, now)
        answer = {
            "order_id": order.id,
            "measurement_type": data.measurement_type,
            "status": order.status,
            "contracts": [c.id for c in contracts_of(order)],
        }
    return answer


def _take_baseline(session: Session, order: m.MarketOrder, baseline: dict, now: datetime) -> bool:
    """Store a sell's baseline; a waiting sell enters matching. True if the book changed."""
    if order.status in FINAL:
        raise MarketError(409, f"Order {order.id} is {order.status}: its baseline is final.")
    order.baseline = baseline
    order.updated_at = now
    if order.status != m.AWAITING_BASELINE_DATA:
        return False
    activate(session, order, now)
    return True


def _take_metering(
    session: Session, order: m.MarketOrder, data: MeterDataInput, now: datetime
) -> None:
    """Store a filled sell's metering data after delivery; verify and settle its contracts."""
    if order.status != m.FILLED:
        raise MarketError(409, f"Order {order.id} is {order.status}: it has no contract to verify.")
    if order.metering is not None:
        raise MarketError(
            409, f"Order {order.id} has its metering data: its contracts are settled."
        )
    if now < order.delivery_end:
        raise RuleError({"measurement_type": ["metering data can only be sent after delivery"]})
    missing = [t for t in _quarter_ends(order) if t not in data.points]
    if missing:
        listed = ", ".join(format_time(t) for t in missing[:4])
        raise RuleError({"metering_data.data_points": [f"missing quarter hours ending {listed}"]})
    order.metering = data.data
    order.updated_at = now
    for contract in contracts_of(order):
        if contract.status == m.VERIFICATION_INITIATED:
            verify_and_settle(session, contract, order, data.points, now)


def _quarter_ends(order: m.MarketOrder) -> list[datetime]:
    """The end times of the quarter hours of the order's delivery window."""
    count = int((order.delivery_end - order.delivery_start) / QUARTER)
    return [order.delivery_start + QUARTER * (i + 1) for i in range(count)]


def series_for(
    starts: pd.DatetimeIndex, points: dict[datetime, float], fill: float = 0.0
) -> pd.Series:
    """Energies (kWh) per quarter hour, indexed by quarter-hour start, from data points
    stamped with the end of their quarter hour; missing ones filled with ``fill``."""
    values = [points.get(start + QUARTER, fill) for start in starts]
    return pd.Series(values, index=starts, dtype=float)


def verify_and_settle(
    session: Session,
    contract: m.MarketContract,
    sell: m.MarketOrder,
    metering: dict[datetime, float],
    now: datetime,
) -> None:
    """Verify a contract's delivery and settle it (``flexmeasures.market.settlement``),
    storing both results and moving the contract through its statuses (a message for buyer
    and seller at each step)."""
    trade = contract.trade
    contracted = settlement.contracted_energy(
        trade.power_w, trade.delivery_start, trade.delivery_end
    )
    starts = contracted.index
    baseline = parse_meter_data(sell.baseline)[1] if sell.baseline else {}
    result = settlement.verify(
        series_for(starts, baseline), series_for(starts, metering), contracted
    )
    verified = result.to_dict()
    session.add(
        m.MarketVerification(contract_id=contract.id, success=result.success, result=verified)
    )
    set_contract_status(session, contract, result.status, now, {"verification_result": verified})
    set_contract_status(session, contract, m.SETTLEMENT_INITIATED, now)
    settled = settlement.settle(result, trade.price_eur_per_kwh)
    details = {"verification_result": verified, "settlement": settled.to_dict()}
    session.add(
        m.MarketSettlement(
            contract_id=contract.id,
            success=result.success,
            net_amount_eur=settled.net_eur,
            result=details["settlement"],
        )
    )
    set_contract_status(session, contract, settled.status, now, details)
