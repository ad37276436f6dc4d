"""Verification and settlement through the API: after delivery the seller posts metering
data; the contract is verified per quarter hour, settled, and its statuses are streamed."""

from __future__ import annotations

from datetime import timedelta

import pytest

from flexmeasures.market import outbox

from .conftest import NOW, meter_data, order_body

ORDER = "/api/v1/order"
METERING = "/api/v1/verification/metering"


@pytest.fixture
def contract(client, auth, clock) -> dict:
    """A filled sell (baseline 0.25 kWh per quarter hour, 1000 W from NOW+2h to NOW+3h) and
    the buy it traded with at 0.2 €/kWh; the clock then moves past delivery."""
    buy = client.post(ORDER, json=order_body("buy", price=0.2), headers=auth["buyer"]).get_json()
    sell = client.post(ORDER, json=order_body("sell", price=0.1), headers=auth["seller"]).get_json()
    assert sell["status"] == "filled"
    clock["now"] = NOW + timedelta(hours=3, minutes=5)
    return {"buy": buy["order_id"], "sell": sell["order_id"]}


def post_metering(client, headers, order_id, values):
    """POST metering data (kWh per quarter hour of the delivery) for an order."""
    body = {
        "order_id": order_id,
        "measurement_type": "metering",
        "metering_data": meter_data(values),
    }
    return client.post(METERING, json=body, headers=headers)


def contract_statuses(user_id: int) -> list[str]:
    """The names of the user's contract_status_update messages, in sequence."""
    return [
        m.message["name"]
        for m in outbox.messages_after("trade", user_id, 0)
        if m.message["type"] == "contract_status_update"
    ]


def test_a_delivered_contract_is_verified_and_settled(client, auth, traders, contract):
    # baseline 0.25 kWh per quarter hour; metering 0 → all 0.25 kWh contracted delivered
    response = post_metering(client, auth["seller"], contract["sell"], [0, 0, 0, 0])
    assert response.status_code == 200, response.get_json()
    answer = client.get(f"{ORDER}/{contract['buy']}", headers=auth["buyer"]).get_json()
    [made] = answer["contracts"]
    assert made["status"] == "settlement_completed_success"
    assert made["verification_result"]["delivered_kwh"] == pytest.approx(1.0)
    assert made["verification_result"]["delivered_pct"] == pytest.approx(100)
    assert made["settlement"]["net_eur"] == pytest.approx(0.2)  # 1 kWh at 0.2 €/kWh
    again = post_metering(client, auth["seller"], contract["sell"], [0.25, 0.25, 0.25, 0.25])
    assert again.status_code == 409  # settled contracts stay as they are
    expected = [
        "verification_initiated",
        "verification_completed_success",
        "settlement_initiated",
        "settlement_completed_success",
    ]
    assert contract_statuses(traders["buyer"].id) == expected
    assert contract_statuses(traders["seller"].id) == expected


def test_a_shortfall_fails_verification_and_pays_a_penalty(client, auth, contract):
    # delivered per quarter hour: 0.25, 0.05, 0 (metering above baseline), 0.25 → 0.55 kWh
    post_metering(client, auth["seller"], contract["sell"], [0, 0.2, 0.3, 0])
    answer = client.get(f"{ORDER}/{contract['sell']}", headers=auth["seller"]).get_json()
    [made] = answer["contracts"]
    assert made["status"] == "settlement_completed_failed"
    delivered = [q["delivered_kwh"] for q in made["verification_result"]["quarter_hours"]]
    assert delivered == pytest.approx([0.25, 0.05, 0, 0.25])
    # payment 0.55 kWh x 0.2, penalty 0.45 kWh x 0.2
    assert made["settlement"]["net_eur"] == pytest.approx(0.55 * 0.2 - 0.45 * 0.2)
    assert answer["verification"]["status"] == "metering_received"


def test_metering_must_come_after_delivery_and_cover_it(client, auth, contract, clock):
    clock["now"] = NOW + timedelta(hours=2, minutes=30)
    early = post_metering(client, auth["seller"], contract["sell"], [0, 0, 0, 0])
    assert early.status_code == 422
    clock["now"] = NOW + timedelta(hours=4)
    partial = post_metering(client, auth["seller"], contract["sell"], [0, 0])
    assert partial.status_code == 422
    assert "metering_data.data_points" in partial.get_json()["errors"]


def test_metering_needs_a_filled_sell_of_ones_own(client, auth, contract):
    assert post_metering(client, auth["buyer"], contract["buy"], [0] * 4).status_code == 422
    assert post_metering(client, auth["buyer"], contract["sell"], [0] * 4).status_code == 404
    open_sell = client.post(
        ORDER,
        json=order_body(
            "sell",
            delivery_start="2030-01-07T14:00:00Z",
            delivery_end="2030-01-07T15:00:00Z",
            expiry_time="2030-01-07T13:00:00Z",
        ),
        headers=auth["seller"],
    ).get_json()
    response = post_metering(client, auth["seller"], open_sell["order_id"], [0] * 4)
    assert response.status_code == 409
