"""Verification and settlement of a flexibility contract: pure arithmetic (pandas, no database).

Units: energy in kWh per quarter hour, prices and amounts in EUR, percentages 0-100. Every
series is indexed by the *start* of its quarter hour (timezone-aware, UTC); the service turns
the seed's data points (stamped at the end of each reading interval) into such series.

Verification (``verify``), per quarter hour of the contract:

- scheduled = the contracted energy (the trade's power x 0.25 h);
- delivered = baseline - metering, floored at 0 (consuming more than the baseline delivers
  nothing, it does not count against other quarter hours) and capped at the scheduled energy
  (delivering more than ordered earns nothing extra);
- delivered % = delivered / scheduled x 100.

The contract is verified as a **success** when the delivered energy summed over the contract
is at least ``success_threshold_pct`` (default 90) % of the scheduled energy; otherwise it
failed. Missing baseline or metering values for a contracted quarter hour are an error
(``ValueError``, naming the quarter hours), not a silent zero.

Settlement (``settle``), per quarter hour, at the trade's price p (EUR/kWh):

- ordered = scheduled energy, delivered as verified, missing = ordered - delivered (>= 0);
- payment = delivered x p (what the buyer pays the seller for the energy delivered);
- penalty = missing x p x ``penalty_factor`` (default 1.0: a shortfall costs the seller what it
  would have earned for it once more);
- net amount = payment - penalty (to the seller; negative means the seller pays).

A settlement completes as a success when the verification succeeded, and as failed otherwise
(it is still computed, so the penalty is known).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pandas as pd

QUARTER_HOUR = timedelta(minutes=15)
DEFAULT_SUCCESS_THRESHOLD_PCT = 90.0
DEFAULT_PENALTY_FACTOR = 1.0
_DECIMALS = 6  # rounding in to_dict(): kWh, EUR and % to 6 decimals (hides float noise only)


def contracted_energy(
    power_w: float, delivery_start: datetime, delivery_end: datetime
) -> pd.Series:
    """Contracted energy per quarter hour (kWh) of a trade of ``power_w`` W over its window."""
    index = pd.date_range(delivery_start, delivery_end, freq=QUARTER_HOUR, inclusive="left")
    return pd.Series(power_w * 0.25 / 1000, index=index, name="scheduled_kwh", dtype=float)


def _aligned(series: pd.Series, index: pd.DatetimeIndex, name: str) -> pd.Series:
    """``series`` on ``index``; ValueError naming the quarter hours it has no value for."""
    values = series.astype(float).reindex(index)
    missing = values.index[values.isna()]
    if len(missing):
        first = ", ".join(t.isoformat() for t in missing[:3])
        raise ValueError(
            f"{name} has no value for {len(missing)} contracted quarter hour(s), e.g. {first}"
        )
    return values


def _check_index(contracted_kwh: pd.Series) -> None:
    """The contracted energy must be indexed by distinct, timezone-aware quarter-hour starts."""
    index = contracted_kwh.index
    if not isinstance(index, pd.DatetimeIndex) or index.tz is None:
        raise ValueError("series must be indexed by timezone-aware quarter-hour starts")
    if not index.is_unique or (index != index.floor(QUARTER_HOUR)).any():
        raise ValueError("series must be indexed by distinct quarter-hour starts (:00, :15, ...)")
    if (contracted_kwh < 0).any() or contracted_kwh.isna().any():
        raise ValueError("contracted energy must be a number >= 0 in every quarter hour")


def _pct(part: float, whole: float) -> float:
    """``part`` as a percentage of ``whole``; 100 when nothing was asked for."""
    return 100.0 if whole <= 0 else part / whole * 100


def _rounded(value: float) -> float:
    """A float for JSON, rounded to hide float noise."""
    return round(float(value), _DECIMALS)


def _iso(moment: pd.Timestamp) -> str:
    """ISO 8601 in UTC with a Z, as the seed writes times."""
    return moment.tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%SZ")


def _rows(frame: pd.DataFrame) -> list[dict]:
    """JSON-able rows of a per-quarter-hour frame, each with its start and end (ISO 8601)."""
    rows = []
    for start, values in frame.iterrows():
        row = {"start": _iso(start), "end": _iso(start + QUARTER_HOUR)}
        row.update({column: _rounded(value) for column, value in values.items()})
        rows.append(row)
    return rows


@dataclass(frozen=True)
class VerificationResult:
    """Per quarter hour (``frame``, columns baseline_kwh, metering_kwh, scheduled_kwh,
    delivered_kwh, delivered_pct) and overall outcome of a contract's verification."""

    frame: pd.DataFrame
    success_threshold_pct: float

    @property
    def scheduled_kwh(self) -> float:
        """Total contracted energy (kWh)."""
        return float(self.frame["scheduled_kwh"].sum())

    @property
    def delivered_kwh(self) -> float:
        """Total delivered energy (kWh), after flooring and capping per quarter hour."""
        return float(self.frame["delivered_kwh"].sum())

    @property
    def delivered_pct(self) -> float:
        """Total delivered energy as % of the contracted energy (100 for an empty contract)."""
        return _pct(self.delivered_kwh, self.scheduled_kwh)

    @property
    def success(self) -> bool:
        """True when the delivered % reaches the success threshold."""
        return self.delivered_pct >= self.success_threshold_pct - 1e-9

    @property
    def status(self) -> str:
        """The contract status this verification leads to."""
        return f"verification_completed_{'success' if self.success else 'failed'}"

    def to_dict(self) -> dict:
        """JSON-able summary: status, totals (kWh, %), threshold and the quarter hours."""
        frame = self.frame
        return {
            "status": self.status,
            "success": self.success,
            "success_threshold_pct": _rounded(self.success_threshold_pct),
            "baseline_kwh": _rounded(frame["baseline_kwh"].sum()),
            "metering_kwh": _rounded(frame["metering_kwh"].sum()),
            "scheduled_kwh": _rounded(self.scheduled_kwh),
            "delivered_kwh": _rounded(self.delivered_kwh),
            "delivered_pct": _rounded(self.delivered_pct),
            "unit": "kWh",
            "quarter_hours": _rows(frame),
        }


def verify(
    baseline_kwh: pd.Series,
    metering_kwh: pd.Series,
    contracted_kwh: pd.Series,
    success_threshold_pct: float = DEFAULT_SUCCESS_THRESHOLD_PCT,
) -> VerificationResult:
    """Verify delivery per quarter hour of the contract (the index of ``contracted_kwh``).

    All series are kWh per quarter hour indexed by quarter-hour start (UTC). Values of baseline
    and metering outside the contract are ignored; missing ones inside raise ValueError.
    delivered = min(max(baseline - metering, 0), contracted). See the module docstring.
    """
    if not 0 <= success_threshold_pct <= 100:
        raise ValueError("success_threshold_pct must lie between 0 and 100")
    _check_index(contracted_kwh)
    index = contracted_kwh.index
    scheduled = contracted_kwh.astype(float)
    baseline = _aligned(baseline_kwh, index, "baseline")
    metering = _aligned(metering_kwh, index, "metering")
    delivered = (baseline - metering).clip(lower=0).clip(upper=scheduled)
    pct = (delivered / scheduled.where(scheduled > 0) * 100).fillna(100.0)
    frame = pd.DataFrame(
        {
            "baseline_kwh": baseline,
            "metering_kwh": metering,
            "scheduled_kwh": scheduled,
            "delivered_kwh": delivered,
            "delivered_pct": pct,
        },
        index=index,
    )
    return VerificationResult(frame=frame, success_threshold_pct=success_threshold_pct)


@dataclass(frozen=True)
class SettlementResult:
    """Per quarter hour (``frame``, columns ordered_kwh, delivered_kwh, missing_kwh,
    payment_eur, penalty_eur, net_eur) and totals of a contract's settlement."""

    frame: pd.DataFrame
    price_eur_per_kwh: float
    penalty_factor: float
    verification_success: bool

    def total(self, column: str) -> float:
        """Sum of one column over the contract (kWh or EUR)."""
        return float(self.frame[column].sum())

    @property
    def net_eur(self) -> float:
        """Net amount to the seller (EUR): payment minus penalty; negative: the seller pays."""
        return self.total("net_eur")

    @property
    def status(self) -> str:
        """The contract status this settlement leads to (success follows the verification)."""
        return f"settlement_completed_{'success' if self.verification_success else 'failed'}"

    def to_dict(self) -> dict:
        """JSON-able summary: status, price, penalty rule, totals and the quarter hours."""
        totals = {column: _rounded(self.total(column)) for column in self.frame.columns}
        return {
            "status": self.status,
            "price_eur_per_kwh": _rounded(self.price_eur_per_kwh),
            "penalty_factor": _rounded(self.penalty_factor),
            "penalty_rule": "missing_kwh x price_eur_per_kwh x penalty_factor",
            **totals,
            "currency": "EUR",
            "unit": "kWh",
            "quarter_hours": _rows(self.frame),
        }


def settle(
    result: VerificationResult,
    price_eur_per_kwh: float,
    penalty_factor: float = DEFAULT_PENALTY_FACTOR,
) -> SettlementResult:
    """Settle a verified contract at the trade's price (EUR/kWh), per quarter hour.

    payment = delivered x price; penalty = missing x price x penalty_factor (missing = ordered
    - delivered); net = payment - penalty (EUR, to the seller). ValueError for a negative price
    or penalty factor.
    """
    if price_eur_per_kwh < 0:
        raise ValueError("price_eur_per_kwh must be >= 0")
    if penalty_factor < 0:
        raise ValueError("penalty_factor must be >= 0")
    ordered = result.frame["scheduled_kwh"]
    delivered = result.frame["delivered_kwh"]
    missing = (ordered - delivered).clip(lower=0)
    payment = delivered * price_eur_per_kwh
    penalty = missing * price_eur_per_kwh * penalty_factor
    frame = pd.DataFrame(
        {
            "ordered_kwh": ordered,
            "delivered_kwh": delivered,
            "missing_kwh": missing,
            "payment_eur": payment,
            "penalty_eur": penalty,
            "net_eur": payment - penalty,
        }
    )
    return SettlementResult(
        frame=frame,
        price_eur_per_kwh=price_eur_per_kwh,
        penalty_factor=penalty_factor,
        verification_success=result.success,
    )
