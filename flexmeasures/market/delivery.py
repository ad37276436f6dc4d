"""After delivery: prove it with metering data, and keep what the marketplace concludes.

For each filled sell of ours whose delivery has ended and whose metering was not sent yet:
the asset's measurements (meter data beliefs, most recent per event: MW, consumption
positive) over the delivery window become energies per quarter hour (kWh = MW x 0.25 h x
1000), sent as the order's metering data; the marketplace verifies (delivered = baseline -
metering, capped at the contract) and settles. The order's details are then read back and
every contract's verification result and settlement stored (the trade stream brings them
too). An order whose measurements miss a quarter hour waits (its ``error`` says which). A
409 (the marketplace has this order's metering already, e.g. sent just before a crash)
counts as sent.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
from sqlalchemy import select

from flexmeasures.data import db
from flexmeasures.data.models import Asset, TradingOrder
from flexmeasures.data.queries import resample_events, search_beliefs
from flexmeasures.data.services.data_sources import METER_DATA, source_ids_of_kind
from flexmeasures.market.connector import MarketConnector, MarketConnectorError
from flexmeasures.market.trade_stream import apply_contract_update, apply_order_update
from flexmeasures.market.trading import TradingError, meter_data

QUARTER_HOUR = timedelta(minutes=15)
KWH_PER_MW_QUARTER = 250.0  # 1 MW for 0.25 h = 0.25 MWh = 250 kWh


def measured_kwh(asset: Asset, start: datetime, end: datetime) -> pd.Series:
    """The asset's measured energy (kWh, consumption positive) per quarter hour of
    [start, end); TradingError naming the first quarter hour without measurements."""
    found = search_beliefs(
        [asset.id], start, end, source_ids=source_ids_of_kind(METER_DATA), kind="measurements"
    )
    power = pd.Series(found["event_value"].to_numpy(), index=found["event_start"], dtype=float)
    power = resample_events(power, asset.event_resolution, QUARTER_HOUR, start, end)
    if power.isna().any():
        missing = power.index[power.isna()][0].isoformat()
        raise TradingError(f"Asset {asset.id} has no measurements for the quarter hour {missing}.")
    return power * KWH_PER_MW_QUARTER


def delivered_orders(market_url: str, now: datetime) -> list[TradingOrder]:
    """Our filled orders on this marketplace whose delivery ended and whose metering is due."""
    query = select(TradingOrder).where(
        TradingOrder.market_url == market_url,
        TradingOrder.status == "filled",
        TradingOrder.delivery_end <= now,
        TradingOrder.metering_submitted_at.is_(None),
    )
    return list(db.session.scalars(query.order_by(TradingOrder.delivery_start)))


def submit_metering(connector: MarketConnector, row: TradingOrder, now: datetime) -> bool:
    """Send one order's metering data and store the contracts' verification results and
    settlements; True if sent. Missing measurements or a refusal are noted in ``error``.
    Commits."""
    asset = db.session.get(Asset, row.asset_id)
    try:
        kwh = measured_kwh(asset, row.delivery_start, row.delivery_end)
        metering = meter_data(f"flexmeasures-asset-{row.asset_id}", kwh, now)
        connector.submit_metering(row.market_order_id, metering)
    except MarketConnectorError as exc:
        if exc.status != 409:  # 409: it has its metering already (sent before a crash)
            return _wait(row, exc)
    except TradingError as exc:
        return _wait(row, exc)
    row.metering_submitted_at = now
    row.error = None
    details = connector.get_order(row.market_order_id)
    apply_order_update(connector.settings.base_url, details["order"])
    for contract in details.get("contracts", []):
        apply_contract_update(connector.settings.base_url, contract)
    db.session.commit()
    return True


def _wait(row: TradingOrder, reason: Exception) -> bool:
    """Note why an order's metering cannot be sent now (it is tried again later); False."""
    row.error = str(reason)
    db.session.commit()
    return False


def submit_due_metering(connector: MarketConnector, now: datetime) -> dict[str, int]:
    """Send the metering data of every delivered order that is due (see the module doc);
    counts of orders "sent" and "waiting"."""
    counts = {"sent": 0, "waiting": 0}
    for row in delivered_orders(connector.settings.base_url, now):
        counts["sent" if submit_metering(connector, row, now) else "waiting"] += 1
    return counts
