"""Verification and settlement arithmetic (flexmeasures.market.settlement): pure unit tests."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from flexmeasures.market.settlement import contracted_energy, settle, verify

T0 = datetime(2026, 8, 24, 14, 0, tzinfo=UTC)
Q = timedelta(minutes=15)


def series(*values: float, start: datetime = T0) -> pd.Series:
    """kWh per quarter hour from ``start``."""
    return pd.Series(values, index=pd.date_range(start, periods=len(values), freq=Q), dtype=float)


def test_contracted_energy_is_power_times_quarter_hours():
    energy = contracted_energy(4000, T0, T0 + timedelta(hours=1))
    assert list(energy.index) == list(pd.date_range(T0, periods=4, freq=Q))
    assert list(energy) == [1.0] * 4  # 4 kW x 0.25 h


def test_delivered_is_baseline_minus_metering_per_quarter_hour():
    # the seed's metering example: baseline 1 kWh, metering 0.79 and 0.11 kWh
    result = verify(series(1, 1), series(0.79, 0.11), series(1, 1))
    frame = result.frame
    assert list(frame["delivered_kwh"]) == pytest.approx([0.21, 0.89])
    assert list(frame["delivered_pct"]) == pytest.approx([21.0, 89.0])
    assert list(frame["scheduled_kwh"]) == [1.0, 1.0]
    assert result.delivered_kwh == pytest.approx(1.1)
    assert result.delivered_pct == pytest.approx(55.0)


def test_over_delivery_is_capped_at_the_contracted_energy_per_quarter_hour():
    # 2 kWh less than baseline in the first quarter hour cannot make up for the second
    result = verify(series(3, 1), series(1, 1), series(0.5, 0.5))
    assert list(result.frame["delivered_kwh"]) == [0.5, 0.0]
    assert result.delivered_pct == pytest.approx(50.0)
    assert not result.success


def test_consuming_more_than_the_baseline_delivers_nothing_not_less_than_nothing():
    result = verify(series(1, 1), series(1.7, 0.0), series(1, 1))
    assert list(result.frame["delivered_kwh"]) == [0.0, 1.0]
    assert result.delivered_pct == pytest.approx(50.0)


def test_negative_values_for_production_work_the_same():
    # net production: baseline -1 kWh, metered -1.5 kWh: 0.5 kWh more produced = delivered
    result = verify(series(-1.0), series(-1.5), series(0.5))
    assert list(result.frame["delivered_kwh"]) == [0.5]
    assert result.success


@pytest.mark.parametrize(
    "metering, threshold, success",
    [((0.1, 0.1), 90, True), ((0.1, 0.3), 90, False), ((0.1, 0.3), 85, True)],
)
def test_success_when_delivered_share_reaches_the_threshold(metering, threshold, success):
    # delivered (0.9 + 0.9) / 1.8 = 100 %, or (0.9 + 0.7) / 1.8 = 88.9 %
    result = verify(series(1, 1), series(*metering), series(0.9, 0.9), threshold)
    assert result.success is success
    expected = "verification_completed_success" if success else "verification_completed_failed"
    assert result.status == expected


def test_values_outside_the_contract_are_ignored_and_missing_ones_refused():
    baseline = series(5, 1, 1, 5, start=T0 - Q)
    metering = series(0, 0.5, 0.5, 0, start=T0 - Q)
    result = verify(baseline, metering, series(0.5, 0.5))
    assert result.delivered_kwh == pytest.approx(1.0)
    with pytest.raises(ValueError, match="metering has no value for 1"):
        verify(series(1, 1), series(0.5), series(0.5, 0.5))
    with pytest.raises(ValueError, match="baseline"):
        verify(series(1, float("nan")), series(0.5, 0.5), series(0.5, 0.5))


@pytest.mark.parametrize(
    "contracted, message",
    [
        (pd.Series([1.0], index=[pd.Timestamp("2026-08-24T14:07Z")]), "quarter-hour starts"),
        (pd.Series([1.0], index=[pd.Timestamp("2026-08-24T14:00")]), "timezone-aware"),
        (series(-1.0), ">= 0"),
    ],
)
def test_bad_contracts_are_refused(contracted, message):
    with pytest.raises(ValueError, match=message):
        verify(series(1), series(1), contracted)


def test_settlement_per_quarter_hour_with_penalty_for_the_shortfall():
    result = verify(series(1, 1, 1), series(0.0, 0.6, 1.2), series(1, 1, 1))
    settlement = settle(result, price_eur_per_kwh=0.2, penalty_factor=1.5)
    frame = settlement.frame
    assert list(frame["ordered_kwh"]) == [1, 1, 1]
    assert list(frame["delivered_kwh"]) == pytest.approx([1.0, 0.4, 0.0])
    assert list(frame["missing_kwh"]) == pytest.approx([0.0, 0.6, 1.0])
    assert list(frame["payment_eur"]) == pytest.approx([0.2, 0.08, 0.0])
    assert list(frame["penalty_eur"]) == pytest.approx([0.0, 0.6 * 0.2 * 1.5, 1.0 * 0.2 * 1.5])
    assert list(frame["net_eur"]) == pytest.approx([0.2, 0.08 - 0.18, -0.3])
    assert settlement.net_eur == pytest.approx(0.28 - 0.48)
    assert settlement.status == "settlement_completed_failed"


def test_full_delivery_settles_at_the_price_without_penalty():
    result = verify(series(2, 2), series(1, 0.5), series(1, 1))
    settlement = settle(result, price_eur_per_kwh=0.25)
    assert settlement.total("penalty_eur") == 0
    assert settlement.net_eur == pytest.approx(0.5)
    assert settlement.status == "settlement_completed_success"


def test_to_dict_is_json_with_totals_and_quarter_hours():
    result = verify(series(1, 1), series(0.79, 0.11), series(1, 1))
    verification = json.loads(json.dumps(result.to_dict()))
    assert verification["delivered_pct"] == 55.0
    assert verification["quarter_hours"][1] == {
        "start": "2026-08-24T14:15:00Z",
        "end": "2026-08-24T14:30:00Z",
        "baseline_kwh": 1.0,
        "metering_kwh": 0.11,
        "scheduled_kwh": 1.0,
        "delivered_kwh": 0.89,
        "delivered_pct": 89.0,
    }
    settlement = json.loads(json.dumps(settle(result, 0.2).to_dict()))
    assert settlement["missing_kwh"] == 0.9
    assert settlement["net_eur"] == round(1.1 * 0.2 - 0.9 * 0.2, 6)
    assert len(settlement["quarter_hours"]) == 2


@pytest.mark.parametrize("price, factor", [(-0.1, 1.0), (0.1, -1.0)])
def test_settle_refuses_negative_price_or_factor(price, factor):
    result = verify(series(1), series(0), series(1))
    with pytest.raises(ValueError):
        settle(result, price, factor)
