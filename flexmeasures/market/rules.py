"""The marketplace's input rules, in one place (pure: no Flask, no database).

Orders (the GLocalFlex seed's rules), each broken rule named by its field:

- ``side``: "buy" or "sell";
- ``power``: a number of W, > 0; ``price``: a number of €/kWh, >= 0;
- ``delivery_start`` and ``delivery_end``: UTC, on the quarter hour (minutes 00, 15, 30, 45)
  with seconds 0, in the future, start before end;
- ``expiry_time``: UTC, any precision, in the future and before ``delivery_start``;
  and ``delivery_start`` more than 15 minutes ahead (orders expire 15 minutes before delivery);
- ``location.country_code``: CZ, CH, ES, DE, FI or FR; "" or null means any country;
- ``location.location_id``: a list of ids; null, [] or a list of nulls means any location;
- ``baseline`` (sells): a meter data object (see ``parse_meter_data``);
- ``idempotency_key``: an optional string (at most 255 characters).

Times are ISO 8601: ``2026-02-26T11:00:00Z``, ``2026-02-26T11:00:00.000Z``, ``+00:00`` or no
offset (read as UTC); the seed's ``2026-02-26T10:00:00:100Z`` (milliseconds after a colon) is
read too. Other offsets are refused: the API speaks UTC.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

COUNTRY_CODES = ("CZ", "CH", "ES", "DE", "FI", "FR")
SIDES = ("buy", "sell")
MEASUREMENT_TYPES = ("baseline", "metering")
ENERGY_UNITS = {"kWh": 1.0, "Wh": 0.001, "MWh": 1000.0}
EXPIRY_LEAD = timedelta(minutes=15)  # orders leave the book this long before delivery
MAX_KEY_LENGTH = 255
_TIME = re.compile(
    r"^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:[.:](\d{1,9}))?(Z|[+-]\d{2}:?\d{2})?$"
)


class RuleError(Exception):
    """Input breaking the rules: ``errors`` maps each field (dotted path) to its messages."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors


class _Errors:
    """Collects messages per field."""

    def __init__(self) -> None:
        self.errors: dict[str, list[str]] = {}

    def add(self, name: str, message: str) -> None:
        """Note a broken rule of a field."""
        self.errors.setdefault(name, []).append(message)

    def raise_any(self) -> None:
        """Raise RuleError if any rule was broken."""
        if self.errors:
            raise RuleError(self.errors)


@dataclass
class OrderInput:
    """A valid order: power in W, price in €/kWh, aware UTC datetimes; ``country_code`` and
    ``location_ids`` None mean any; ``baseline`` a normalised meter data object or None."""

    side: str
    power_w: float
    price_eur_per_kwh: float
    delivery_start: datetime
    delivery_end: datetime
    expiry_time: datetime
    country_code: str | None = None
    location_ids: list[str] | None = None
    baseline: dict[str, Any] | None = None
    idempotency_key: str | None = None


@dataclass
class MeterDataInput:
    """Valid baseline or metering data for an order: ``points`` maps the end of each quarter
    hour (aware UTC) to energy in kWh; ``data`` is the normalised object to store."""

    order_id: int
    measurement_type: str
    data: dict[str, Any]
    points: dict[datetime, float] = field(default_factory=dict)


def parse_time(value: Any) -> datetime:
    """An aware UTC datetime from an ISO 8601 string (see the module docstring); ValueError
    saying what is wrong otherwise."""
    if not isinstance(value, str):
        raise ValueError("must be a time string like 2026-02-26T11:00:00Z")
    match = _TIME.match(value.strip())
    if not match:
        raise ValueError(f"'{value}' is not a time like 2026-02-26T11:00:00Z")
    day, clock, fraction, offset = match.groups()
    if offset not in (None, "Z") and offset.replace(":", "")[1:] != "0000":
        raise ValueError(f"'{value}' must be in UTC (end with Z)")
    try:
        moment = datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=UTC)
    except ValueError as exc:
        raise ValueError(f"'{value}' is not a valid time: {exc}") from None
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    return moment.replace(microsecond=micro)


def _number(value: Any) -> float:
    """A finite number (bools and strings are refused); ValueError otherwise."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError("must be a number")
    if not math.isfinite(value):
        raise ValueError("must be a finite number")
    return float(value)


def _field(errors: _Errors, name: str, parse: Callable[[Any], Any], value: Any) -> Any:
    """Parse one field, noting its error (and returning None) if it breaks a rule."""
    try:
        return parse(value)
    except ValueError as exc:
        errors.add(name, str(exc))
        return None


def _power(value: Any) -> float:
    """Power in W: a number > 0."""
    power = _number(value)
    if power <= 0:
        raise ValueError("must be greater than 0 (W)")
    return power


def _price(value: Any) -> float:
    """Price in €/kWh: a number >= 0 (-0 is taken as 0, which it equals)."""
    price = _number(value)
    if price < 0:
        raise ValueError("must be 0 or more (€/kWh)")
    return price + 0.0


def _side(value: Any) -> str:
    """'buy' or 'sell'."""
    if value not in SIDES:
        raise ValueError("must be 'buy' or 'sell'")
    return value


def _quarter_hour(value: Any) -> datetime:
    """A delivery time: UTC on the quarter hour with seconds 0."""
    moment = parse_time(value)
    if moment.minute % 15 or moment.second or moment.microsecond:
        raise ValueError("must be on the quarter hour (minutes 00, 15, 30 or 45, seconds 0)")
    return moment


def _country(value: Any) -> str | None:
    """A country code of the marketplace, or None (any) for null or ""."""
    if value is None or value == "":
        return None
    if value not in COUNTRY_CODES:
        raise ValueError(f'must be one of {", ".join(COUNTRY_CODES)} (or "" for any)')
    return value


def _location_ids(value: Any) -> list[str] | None:
    """Location ids (strings), or None (any) for null, [] or a list of nulls."""
    if value is None:
        return None
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(v is None or isinstance(v, str) for v in value):
        raise ValueError("must be a list of location ids (strings or null)")
    ids = sorted({v for v in value if v})
    return ids or None


def _key(value: Any) -> str | None:
    """An idempotency key: a non-empty string of at most 255 characters, or None."""
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_KEY_LENGTH:
        raise ValueError(f"must be a non-empty string of at most {MAX_KEY_LENGTH} characters")
    return value.strip()


def _check_times(errors: _Errors, times: dict[str, datetime | None], now: datetime) -> None:
    """The order of delivery start, delivery end, expiry time and now."""
    start, end, expiry = times["delivery_start"], times["delivery_end"], times["expiry_time"]
    for name, moment in times.items():
        if moment is not None and moment <= now:
            errors.add(name, "must be in the future")
    if start and now < start <= now + EXPIRY_LEAD:
        errors.add("delivery_start", "must be more than 15 minutes ahead (orders expire then)")
    if start and end and start >= end:
        errors.add("delivery_end", "must be after delivery_start")
    if start and expiry and expiry >= start:
        errors.add("expiry_time", "must be before delivery_start")


def _location(errors: _Errors, value: Any) -> tuple[str | None, list[str] | None]:
    """Country code and location ids from the location object (absent: any)."""
    if value is None:
        return None, None
    if not isinstance(value, Mapping):
        errors.add("location", "must be an object with location_id and country_code")
        return None, None
    country = _field(errors, "location.country_code", _country, value.get("country_code"))
    ids = _field(errors, "location.location_id", _location_ids, value.get("location_id"))
    return country, ids


def parse_order(body: Any, now: datetime, idempotency_key: str | None = None) -> OrderInput:
    """A valid order from a request body (a JSON object), checked at ``now`` (aware UTC);
    RuleError naming every broken rule otherwise. ``idempotency_key`` (e.g. from a header)
    is used when the body has none."""
    if not isinstance(body, Mapping):
        raise RuleError({"body": ["must be a JSON object"]})
    errors = _Errors()
    for name in ("side", "power", "price", "delivery_start", "delivery_end", "expiry_time"):
        if body.get(name) is None:
            errors.add(name, "is required")
    errors.raise_any()
    side = _field(errors, "side", _side, body["side"])
    power = _field(errors, "power", _power, body["power"])
    price = _field(errors, "price", _price, body["price"])
    times = {
        "delivery_start": _field(errors, "delivery_start", _quarter_hour, body["delivery_start"]),
        "delivery_end": _field(errors, "delivery_end", _quarter_hour, body["delivery_end"]),
        "expiry_time": _field(errors, "expiry_time", parse_time, body["expiry_time"]),
    }
    _check_times(errors, times, now)
    country, ids = _location(errors, body.get("location"))
    key = _field(errors, "idempotency_key", _key, body.get("idempotency_key", idempotency_key))
    baseline = None
    if side == "sell" and body.get("baseline") is not None:
        baseline = _field(errors, "baseline", lambda b: parse_meter_data(b)[0], body["baseline"])
    errors.raise_any()
    return OrderInput(side, power, price, *times.values(), country, ids, baseline, key)


def _point(point: Any) -> tuple[datetime, float]:
    """(time, value) of a data point: {"timestamp": t, "value": v} or the older {t: v}."""
    if not isinstance(point, Mapping):
        raise ValueError("each data point must be an object with timestamp and value")
    if "timestamp" in point:
        return parse_time(point["timestamp"]), _number(point.get("value"))
    if len(point) == 1:
        ((moment, value),) = point.items()
        return parse_time(moment), _number(value)
    raise ValueError("each data point must be an object with timestamp and value")


def parse_meter_data(data: Any) -> tuple[dict[str, Any], dict[datetime, float]]:
    """A meter data object (baseline or metering) normalised for storage, and its points
    (time → kWh). ``data_points`` is a non-empty list of {"timestamp", "value"} (the older
    {timestamp: value} is read too); ``unit_measured`` kWh (default), Wh or MWh; values are
    stored in kWh. ValueError saying what is wrong otherwise."""
    if not isinstance(data, Mapping):
        raise ValueError("must be an object with data_points")
    unit = data.get("unit_measured") or "kWh"
    if unit not in ENERGY_UNITS:
        raise ValueError(f"unit_measured must be one of {', '.join(ENERGY_UNITS)}")
    raw = data.get("data_points")
    if not isinstance(raw, list) or not raw:
        raise ValueError("data_points must be a non-empty list")
    try:
        pairs = [_point(point) for point in raw]
    except ValueError as exc:
        raise ValueError(f"data_points: {exc}") from None
    points = {moment: value * ENERGY_UNITS[unit] for moment, value in pairs}
    normalised = {
        **{k: v for k, v in data.items() if k != "data_points"},
        "unit_measured": "kWh",
        "data_points": [
            {"timestamp": format_time(moment), "value": value} for moment, value in points.items()
        ],
    }
    return normalised, points


def parse_order_id(value: Any) -> int:
    """An order id: a positive integer (or its digits as a string)."""
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError("must be the id of one of your orders (a positive integer)")
    return value


def parse_meter_submission(body: Any, default_type: str | None = None) -> MeterDataInput:
    """Baseline or metering data for an order from a request body: ``order_id``,
    ``measurement_type`` (baseline or metering; ``default_type`` when absent) and
    ``metering_data`` (a meter data object). RuleError naming the broken rules otherwise."""
    if not isinstance(body, Mapping):
        raise RuleError({"body": ["must be a JSON object"]})
    errors = _Errors()
    order_id = _field(errors, "order_id", parse_order_id, body.get("order_id"))
    kind = body.get("measurement_type") or default_type
    if kind not in MEASUREMENT_TYPES:
        errors.add("measurement_type", "must be 'baseline' or 'metering'")
    parsed = _field(errors, "metering_data", parse_meter_data, body.get("metering_data"))
    errors.raise_any()
    return MeterDataInput(order_id, kind, parsed[0], parsed[1])


@lru_cache(maxsize=4096)
def format_time(moment: datetime) -> str:
    """A UTC time as the API writes it: 2026-02-26T11:00:00Z (milliseconds when not 0).
    Remembers the latest few thousand (the same quarter hours come back in every
    orderbook_update)."""
    moment = moment.astimezone(UTC)
    if moment.microsecond:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
