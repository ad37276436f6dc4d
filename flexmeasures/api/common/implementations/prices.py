"""Price data of markets, in the market's unit (e.g. EUR/MWh)."""

from __future__ import annotations

from typing import Any

from flexmeasures.api.common.entities import resolve_market
from flexmeasures.api.common.implementations.timeseries import post_time_series
from flexmeasures.api.common.messages import MessageError, SeriesGroup
from flexmeasures.api.common.responses import ResponseTuple
from flexmeasures.data.models import Market


def _resolve(address: str, group: SeriesGroup) -> Market:
    return resolve_market(address)


def check_price_unit(market: Market, group: SeriesGroup) -> None:
    """Raise INVALID_UNIT unless the prices come in the market's unit."""
    if group.unit != market.unit:
        raise MessageError(
            "INVALID_UNIT", f"Data for {market.name} prices should be given in {market.unit}."
        )


def post_price_data(version, message: dict[str, Any]) -> ResponseTuple:
    """Store prices for one or more markets (daily and weekly prices are upsampled)."""
    return post_time_series(version, message, "market", _resolve, check_price_unit)
