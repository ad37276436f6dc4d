"""From an asset's flexibility to sell orders on a GLocalFlex-compatible marketplace (pure).

Inputs are pandas series per quarter hour (index: quarter-hour starts, timezone-aware);
outputs are plain data: order dicts in the marketplace's order shape, ready to post.

**Sign convention.** Powers follow the platform's convention: W, *consumption positive*
(production negative). The flexibility of a quarter hour is ``schedule - baseline`` (W), where
the baseline is the asset's forecast. The marketplace verifies a sell as
``delivered = baseline - metering`` (metered consumption below the baseline), so only a
*consumption decrease or production increase* (flexibility < 0) can be sold: it becomes a
``"sell"`` order of power ``-flexibility`` W (> 0). A consumption increase (flexibility > 0)
would verify as nothing delivered, so it is not offered.

**Cost of deviating** (EUR/kWh) per quarter hour t, given the asset's own energy prices
(EUR/MWh, e.g. its day-ahead tariff) over the planning horizon:

- lost arbitrage = (highest own price in the horizon - own price at t) / 1000: a kWh the
  asset delivers to the market at t is a kWh it could otherwise have used at its most valuable
  moment in its own schedule, while it saves only the own price at t;
- battery wear = ``battery_wear_eur_per_mwh`` / 1000 per kWh delivered.

**Offers.** A quarter hour is offered when its expected value is positive:
``(expected market price - cost) x energy > 0``, with energy = power x 0.25 h. Its price is
``cost + margin`` (EUR/kWh, rounded up to 0.0001 so it never falls below cost + margin).
Quarter hours whose expiry (``lead_time`` before their start) would not be in the future,
powers below ``min_power_w`` and quarter hours without an expected market price are not
offered. Power is rounded down to whole W (never offer more than the schedule gives).

**Blocks.** Consecutive offered quarter hours with the same power (W, after rounding down)
make one sell order over their contiguous delivery window, at most
``max_block_quarter_hours`` long (default 4 = one hour, which matches hourly tariffs; 1 = one
order per quarter hour). A block ends at a change of power, at a quarter hour not offered (a
gap) and at the cap. Its price is the *highest* of its quarter hours' prices, so no quarter
hour sells below its own cost + margin; its expiry is ``lead_time`` before the block's start
(a block is only offered while its first quarter hour is still offerable); its baseline
object (with ``metering_id``) has one data point per quarter hour of the block. Sells fill
all-or-nothing and only against a buy whose window contains the sell's, so a longer block
matches fewer buys (none shorter than itself): a cap of 1 sells to the most buyers, a
longer cap makes fewer orders. Orders come earliest first.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import pandas as pd

QUARTER_HOUR = timedelta(minutes=15)
HOURS_PER_SLOT = 0.25


@dataclass(frozen=True)
class OfferSettings:
    """How an asset offers its flexibility (see the module docstring).

    - margin_eur_per_kwh: added to the cost of deviating to make the price (EUR/kWh, >= 0);
    - battery_wear_eur_per_mwh: wear cost per MWh delivered (EUR/MWh, >= 0);
    - lead_time: how long before delivery start an offer expires (> 0);
    - min_power_w: smaller deviations are not offered (W, >= 0);
    - country_code / location_ids: the order's location (None / empty = any);
    - metering_id: if given, each order carries its baseline (the seed's baseline object with
      this metering id), so the marketplace can match it at once;
    - max_block_quarter_hours: the longest sell order, in quarter hours (>= 1; see Blocks).
    """

    margin_eur_per_kwh: float = 0.01
    battery_wear_eur_per_mwh: float = 0.0
    lead_time: timedelta = timedelta(hours=1)
    min_power_w: float = 1.0
    country_code: str | None = None
    location_ids: tuple[str, ...] = ()
    metering_id: str | None = None
    max_block_quarter_hours: int = 4

    def __post_init__(self) -> None:
        """Reject settings that make no sense, with a ValueError naming the setting."""
        for name in ("margin_eur_per_kwh", "battery_wear_eur_per_mwh", "min_power_w"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0")
        if self.lead_time <= timedelta(0):
            raise ValueError("lead_time must be positive")
        if self.max_block_quarter_hours < 1:
            raise ValueError("max_block_quarter_hours must be at least 1")


def _check_quarter_hours(series: pd.Series, name: str) -> None:
    """ValueError unless the series is indexed by distinct timezone-aware quarter-hour starts."""
    index = series.index
    if not isinstance(index, pd.DatetimeIndex) or index.tz is None:
        raise ValueError(f"{name} must be indexed by timezone-aware quarter-hour starts")
    if not index.is_unique or (index != index.floor(QUARTER_HOUR)).any():
        raise ValueError(f"{name} must be indexed by distinct quarter-hour starts (:00, :15, ...)")


def flexibility(baseline_w: pd.Series, schedule_w: pd.Series) -> pd.Series:
    """Flexibility per quarter hour of the schedule: schedule - baseline (W, consumption
    positive). ValueError if the baseline misses a quarter hour of the schedule."""
    _check_quarter_hours(schedule_w, "schedule")
    _check_quarter_hours(baseline_w, "baseline")
    baseline = baseline_w.astype(float).reindex(schedule_w.index)
    if baseline.isna().any():
        missing = baseline.index[baseline.isna()][0].isoformat()
        raise ValueError(f"baseline has no value for the schedule's quarter hour {missing}")
    return (schedule_w.astype(float) - baseline).rename("flexibility_w")


def deviation_cost(
    index: pd.DatetimeIndex,
    own_prices_eur_per_mwh: pd.Series | None,
    battery_wear_eur_per_mwh: float = 0.0,
) -> pd.Series:
    """Cost of delivering one kWh of flexibility per quarter hour (EUR/kWh): lost arbitrage
    (highest own price minus own price at t) plus battery wear, both from EUR/MWh.
    Without own prices the lost arbitrage is 0."""
    wear = battery_wear_eur_per_mwh / 1000
    if own_prices_eur_per_mwh is None:
        return pd.Series(wear, index=index, name="cost_eur_per_kwh")
    prices = own_prices_eur_per_mwh.astype(float).reindex(index)
    if prices.isna().any():
        raise ValueError("own prices must cover every quarter hour of the schedule")
    return ((prices.max() - prices) / 1000 + wear).rename("cost_eur_per_kwh")


def evaluate_slots(
    baseline_w: pd.Series,
    schedule_w: pd.Series,
    market_price_eur_per_kwh: pd.Series | float,
    own_prices_eur_per_mwh: pd.Series | None = None,
    settings: OfferSettings | None = None,
) -> pd.DataFrame:
    """Per quarter hour: flexibility_w, offer_power_w (W), energy_kwh, cost_eur_per_kwh,
    market_price_eur_per_kwh, expected_value_eur, price_eur_per_kwh and ``offer`` (bool) as
    the strategy sees them (for a dry run; ``offer_strategy`` turns the offered rows into
    orders). See the module docstring for the rules."""
    settings = settings or OfferSettings()
    flex = flexibility(baseline_w, schedule_w)
    index = flex.index
    power = np.floor(np.clip(-flex.to_numpy(), 0, None))
    energy = power * HOURS_PER_SLOT / 1000
    cost = deviation_cost(index, own_prices_eur_per_mwh, settings.battery_wear_eur_per_mwh)
    cost = cost.to_numpy()
    if isinstance(market_price_eur_per_kwh, pd.Series):
        market = market_price_eur_per_kwh.astype(float).reindex(index).to_numpy()
    else:
        market = np.full(len(index), float(market_price_eur_per_kwh))
    value = (market - cost) * energy
    price = np.ceil((cost + settings.margin_eur_per_kwh) * 10_000 - 1e-9) / 10_000
    offer = (power >= max(settings.min_power_w, 1)) & (value > 0)  # no market price: False
    return pd.DataFrame(
        {
            "flexibility_w": flex.to_numpy(),
            "offer_power_w": power,
            "energy_kwh": energy,
            "cost_eur_per_kwh": cost,
            "market_price_eur_per_kwh": market,
            "expected_value_eur": value,
            "price_eur_per_kwh": price,
            "offer": offer,
        },
        index=index,
    )


def _iso(moment: datetime) -> str:
    """UTC time as the seed writes it: 2026-02-26T11:00:00Z."""
    return pd.Timestamp(moment).tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%SZ")


def _baseline_object(baseline_w: pd.Series, metering_id: str, now: datetime) -> dict:
    """The seed's baseline object for a block of quarter hours (``baseline_w`` in W per
    quarter hour start): kWh per quarter hour, each stamped at the quarter hour's end."""
    ends = [start + QUARTER_HOUR for start in baseline_w.index]
    return {
        "metering_id": metering_id,
        "created_at": _iso(now),
        "reading_start": _iso(baseline_w.index[0]),
        "reading_end": _iso(ends[-1]),
        "resolution": 900,
        "unit_measured": "kWh",
        "data_points": [
            {"timestamp": _iso(end), "value": float(value) * HOURS_PER_SLOT / 1000}
            for end, value in zip(ends, baseline_w.to_numpy(), strict=True)
        ],
    }


def offer_blocks(slots: pd.DataFrame, max_quarter_hours: int = 4) -> list[pd.DataFrame]:
    """The offered rows of ``slots`` (``evaluate_slots``' frame, or part of it) grouped into
    blocks, earliest first: consecutive quarter hours with the same ``offer_power_w`` (W),
    at most ``max_quarter_hours`` each (see Blocks in the module docstring)."""
    offered = slots[slots["offer"]].sort_index()
    starts = offered.index.asi8
    powers = offered["offer_power_w"].to_numpy()
    step = pd.Timedelta(QUARTER_HOUR).value
    bounds = [0]
    for i in range(1, len(offered)):
        joins = (
            starts[i] == starts[i - 1] + step
            and powers[i] == powers[i - 1]
            and i - bounds[-1] < max_quarter_hours
        )
        if not joins:
            bounds.append(i)
    bounds.append(len(offered))
    return [offered.iloc[a:b] for a, b in zip(bounds, bounds[1:], strict=False) if b > a]


def _order(block: pd.DataFrame, settings: OfferSettings) -> dict:
    """One sell order dict in the marketplace's order shape for a block of offered quarter
    hours: its power (W), its highest price (EUR/kWh), its window, expiring a lead time
    before its start."""
    start = block.index[0]
    return {
        "side": "sell",
        "power": int(block["offer_power_w"].iloc[0]),
        "price": float(block["price_eur_per_kwh"].max()),
        "delivery_start": _iso(start),
        "delivery_end": _iso(block.index[-1] + QUARTER_HOUR),
        "expiry_time": _iso(start - settings.lead_time),
        "location": {
            "location_id": list(settings.location_ids) or [None],
            "country_code": settings.country_code or "",
        },
    }


def offer_strategy(
    baseline_w: pd.Series,
    schedule_w: pd.Series,
    market_price_eur_per_kwh: pd.Series | float,
    now: datetime,
    own_prices_eur_per_mwh: pd.Series | None = None,
    settings: OfferSettings | None = None,
    unavailable: Collection[pd.Timestamp] = (),
) -> list[dict]:
    """Sell orders (dicts in the marketplace's order shape: side, power W, price EUR/kWh,
    delivery_start/end and expiry_time in UTC, location, and with ``settings.metering_id``
    the baseline) for the blocks of quarter hours worth offering, earliest first. Quarter
    hours whose expiry (start - lead time) is not after ``now``, and the ``unavailable``
    ones (quarter-hour starts, e.g. already sold), are left out: a block never spans them."""
    settings = settings or OfferSettings()
    slots = evaluate_slots(
        baseline_w, schedule_w, market_price_eur_per_kwh, own_prices_eur_per_mwh, settings
    )
    expired = slots.index - settings.lead_time <= pd.Timestamp(now)
    slots["offer"] &= ~expired & ~slots.index.isin(list(unavailable))
    slots["baseline_w"] = baseline_w.astype(float).reindex(slots.index)
    orders = []
    for block in offer_blocks(slots, settings.max_block_quarter_hours):
        order = _order(block, settings)
        if settings.metering_id:
            order["baseline"] = _baseline_object(block["baseline_w"], settings.metering_id, now)
        orders.append(order)
    return orders
