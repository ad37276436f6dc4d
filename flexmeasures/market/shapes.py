"""JSON shapes of the marketplace: order and contract objects (REST answers) and the stream
messages of the WebSocket seed (order_status_update, contract_status_update, ticker_update,
expired_order_update, orderbook_update). Units: power in W, price in €/kWh, energy in kWh,
times as UTC strings (``2026-02-26T11:00:00Z``).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from flexmeasures.market.models import MarketContract, MarketOrder, MarketTrade
from flexmeasures.market.rules import format_time

SLOT_HOURS = 0.25


def energy_kwh(power_w: float, start: datetime, end: datetime) -> float:
    """Energy (kWh) of a constant power (W) over [start, end)."""
    return power_w * (end - start).total_seconds() / 3600 / 1000


def location(order: MarketOrder) -> dict[str, Any]:
    """The order's location object: ids ([] = any) and country code ("" = any)."""
    return {"location_id": list(order.location_ids or []), "country_code": order.country_code or ""}


def order_object(order: MarketOrder) -> dict[str, Any]:
    """An order as the REST API and the trade stream show it; ``energy`` is the ordered
    energy and ``remaining_energy`` what is still to be traded (kWh)."""
    remaining = order.remaining_w or []
    return {
        "order_id": order.id,
        "side": order.side,
        "power": order.power_w,
        "price": order.price_eur_per_kwh,
        "energy": energy_kwh(order.power_w, order.delivery_start, order.delivery_end),
        "remaining_energy": sum(remaining) * SLOT_HOURS / 1000,
        "delivery_start": format_time(order.delivery_start),
        "delivery_end": format_time(order.delivery_end),
        "expiry_time": format_time(order.expiry_time),
        "location": location(order),
        "status": order.status,
        "has_baseline": order.baseline is not None,
        "has_metering": order.metering is not None,
        "idempotency_key": order.idempotency_key,
        "created_at": format_time(order.created_at),
        "updated_at": format_time(order.updated_at),
    }


def contract_object(contract: MarketContract, details: dict[str, Any] | None = None) -> dict:
    """A contract (one per trade) with its trade's terms; ``details`` may add the
    ``verification_result`` and ``settlement`` objects."""
    trade: MarketTrade = contract.trade
    return {
        "contract_id": contract.id,
        "trade_id": trade.id,
        "buy_order_id": trade.buy_order_id,
        "sell_order_id": trade.sell_order_id,
        "status": contract.status,
        "power": trade.power_w,
        "price": trade.price_eur_per_kwh,
        "energy": trade.energy_kwh,
        "delivery_start": format_time(trade.delivery_start),
        "delivery_end": format_time(trade.delivery_end),
        "created_at": format_time(contract.created_at),
        "updated_at": format_time(contract.updated_at),
        **(details or {}),
    }


def event(kind: str, now: datetime, data: dict[str, Any], name: str | None = None) -> dict:
    """A stream message of the WebSocket seed: type, (name,) created_at and data."""
    message: dict[str, Any] = {"type": kind}
    if name is not None:
        message["name"] = name
    return {**message, "created_at": format_time(now), "data": data}


def event_text(kind: str, now: datetime, data_text: str) -> str:
    """The JSON text of ``event(kind, now, data)`` for data given as JSON text."""
    fields = json.dumps({"type": kind, "created_at": format_time(now)})
    return f'{fields[:-1]}, "data": {data_text}}}'


def market_data(order: MarketOrder, power_w: float, start: datetime, end: datetime) -> dict:
    """The ticker's description of a flexibility event: price, window, energy, power and the
    (sell) order's location (no coordinates are known: they are null)."""
    return {
        "price": order.price_eur_per_kwh,
        "delivery_start": format_time(start),
        "delivery_end": format_time(end),
        "energy": energy_kwh(power_w, start, end),
        "power": power_w,
        "location": {**location(order), "coordinates": {"latitude": None, "longitude": None}},
    }


def ticker_update(trade: MarketTrade, sell: MarketOrder, now: datetime) -> dict[str, Any]:
    """The ticker message of a closed trade (at the trade's price)."""
    data = market_data(sell, trade.power_w, trade.delivery_start, trade.delivery_end)
    data["price"] = trade.price_eur_per_kwh
    return event("ticker_update", now, {"closed_at": format_time(trade.created_at), **data})


def expired_order_update(order: MarketOrder, now: datetime) -> dict[str, Any]:
    """The ticker message of an order that expired in the order book."""
    power = max(order.remaining_w or [order.power_w])
    data = market_data(order, power, order.delivery_start, order.delivery_end)
    return event("expired_order_update", now, {"expired_at": format_time(now), **data})


def price_key(price: float) -> str:
    """A price level as an object key: "0.1", "1", "0.125"."""
    return f"{price:.6f}".rstrip("0").rstrip(".")


def book_entry(order: MarketOrder) -> dict[str, Any]:
    """An order as the order book shows it (energy: what is left to trade, kWh)."""
    return {
        "side": order.side,
        "power": order.power_w,
        "price": order.price_eur_per_kwh,
        "delivery_start": format_time(order.delivery_start),
        "delivery_end": format_time(order.delivery_end),
        "location": location(order),
        "energy": sum(order.remaining_w or []) * SLOT_HOURS / 1000,
    }
