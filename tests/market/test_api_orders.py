"""The marketplace's order API: submit, match, get, cancel, list, idempotency, statuses,
expiry, authentication, authorisation and the rate limit."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import text

from flexmeasures.market import outbox, service

from .conftest import NOW, at, meter_data, order_body

ORDER = "/api/v1/order"


def submit(client, headers, body, path=ORDER + "/"):
    """POST an order as JSON; return the response."""
    return client.post(path, json=body, headers=headers)


def statuses(user_id: int) -> list[tuple[int, str]]:
    """(order id, status) of the user's order_status_update messages, in sequence."""
    return [
        (m.message["data"]["order_id"], m.message["name"])
        for m in outbox.messages_after("trade", user_id, 0)
        if m.message["type"] == "order_status_update"
    ]


def test_a_buy_rests_and_a_crossing_sell_fills_it(client, auth, traders, clock):
    buy = submit(client, auth["buyer"], order_body("buy", price=0.2))
    assert buy.status_code == 200, buy.get_json()
    buy = buy.get_json()
    assert buy["status"] == "matching_active"
    assert buy["energy"] == pytest.approx(1.0)  # 1000 W for 1 hour
    sell = submit(client, auth["seller"], order_body("sell", price=0.1)).get_json()
    assert sell["status"] == "filled"
    answer = client.get(f"{ORDER}/{buy['order_id']}", headers=auth["buyer"]).get_json()
    assert answer["order"]["status"] == "filled"
    [contract] = answer["contracts"]
    assert contract["status"] == "verification_initiated"
    assert contract["price"] == 0.2  # pay-as-bid: the resting buy's price
    assert contract["energy"] == pytest.approx(1.0)
    buyer_id = traders["buyer"].id
    assert statuses(buyer_id) == [
        (buy["order_id"], "pending"),
        (buy["order_id"], "accepted"),
        (buy["order_id"], "matching_active"),
        (buy["order_id"], "filled"),
    ]
    [ticker] = outbox.messages_after("ticker", None, 0)
    assert ticker.message["type"] == "ticker_update"
    assert ticker.message["data"]["price"] == 0.2


def test_a_buy_fills_partially_across_sells(client, auth, clock):
    buy = submit(client, auth["buyer"], order_body("buy", power=3000, price=0.3)).get_json()
    for price in (0.1, 0.2):
        sell = submit(client, auth["seller"], order_body("sell", price=price)).get_json()
        assert sell["status"] == "filled"
    answer = client.get(f"{ORDER}/{buy['order_id']}", headers=auth["buyer"]).get_json()
    assert answer["order"]["status"] == "partial_filled"
    assert answer["order"]["remaining_energy"] == pytest.approx(1.0)
    assert [c["price"] for c in answer["contracts"]] == [0.3, 0.3]
    book = outbox.messages_after("orderbook", None, 0)[-1].message["data"]
    assert list(book["bids"]) == ["0.3"] and book["asks"] == {}
    assert book["bids"]["0.3"][0]["energy"] == pytest.approx(1.0)  # what is left of 3 kWh


def test_a_sell_without_baseline_waits_for_it(client, auth, traders, clock):
    submit(client, auth["buyer"], order_body("buy", price=0.2))
    body = order_body("sell")
    del body["baseline"]
    sell = submit(client, auth["seller"], body).get_json()
    assert sell["status"] == "awaiting_baseline_data"
    answer = client.post(
        "/api/v1/verification/baseline",
        json={"order_id": sell["order_id"], "metering_data": meter_data([0.25] * 4)},
        headers=auth["seller"],
    )
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["status"] == "filled"
    assert [s for _, s in statuses(traders["seller"].id)] == [
        "pending",
        "awaiting_baseline_data",
        "accepted",
        "matching_active",
        "filled",
    ]


def test_the_baseline_may_come_through_the_metering_endpoint(client, auth, clock):
    body = order_body("sell")
    del body["baseline"]
    sell = submit(client, auth["seller"], body).get_json()
    answer = client.post(
        "/api/v1/verification/metering",
        json={
            "order_id": str(sell["order_id"]),
            "measurement_type": "baseline",
            "metering_data": meter_data([0.25] * 4),
        },
        headers=auth["seller"],
    )
    assert answer.get_json()["status"] == "matching_active"


def test_prices_that_do_not_cross_and_other_countries_do_not_trade(client, auth, clock):
    submit(client, auth["buyer"], order_body("buy", price=0.1))
    cheap = submit(client, auth["seller"], order_body("sell", price=0.2)).get_json()
    elsewhere = order_body("sell", price=0.05, location={"location_id": None, "country_code": "FI"})
    far = submit(client, auth["seller"], elsewhere).get_json()
    assert cheap["status"] == far["status"] == "matching_active"


def test_curl_style_json_without_content_type_is_read(client, auth, clock):
    response = client.post(
        ORDER,
        data=json.dumps(order_body("buy")),
        headers={**auth["buyer"], "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 200, response.get_json()


def test_any_location_and_millisecond_times_are_accepted(client, auth, clock):
    body = order_body(
        "buy",
        location={"location_id": [None], "country_code": ""},
        expiry_time=(NOW + timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
        delivery_start=at(2)[:-1] + ".000Z",
    )
    response = submit(client, auth["buyer"], body, path=ORDER)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["location"] == {"location_id": [], "country_code": ""}


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"side": "hold"}, "side"),
        ({"power": 0}, "power"),
        ({"price": "cheap"}, "price"),
        ({"delivery_start": at(2)[:-3] + "07Z"}, "delivery_start"),
        ({"delivery_end": at(1.5)}, "delivery_end"),
        ({"expiry_time": at(2.5)}, "expiry_time"),
        ({"location": {"country_code": "NL"}}, "location"),
    ],
)
def test_broken_rules_are_422_naming_the_field(client, auth, clock, changes, field):
    response = submit(client, auth["buyer"], {**order_body("buy"), **changes})
    assert response.status_code == 422
    assert response.get_json()["detail"][0]["loc"][:2] == ["body", field]
    assert client.get(ORDER, headers=auth["buyer"]).get_json()["count"] == 0  # nothing stored


def test_a_body_that_is_no_json_is_422(client, auth, clock):
    response = client.post(ORDER, data="side=buy", headers=auth["buyer"])
    assert response.status_code == 422
    assert response.get_json()["errors"] == {"body": ["must be a JSON object"]}


def test_a_retried_submit_with_the_same_key_returns_the_first_order(client, auth, clock):
    body = order_body("buy", idempotency_key="order-1")
    first = submit(client, auth["buyer"], body)
    again = submit(client, auth["buyer"], {**body, "price": 9})
    assert again.get_json()["order_id"] == first.get_json()["order_id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    by_header = client.post(
        ORDER, json=order_body("buy"), headers={**auth["buyer"], "Idempotency-Key": "order-1"}
    )
    assert by_header.get_json()["order_id"] == first.get_json()["order_id"]
    other_user = submit(client, auth["seller"], order_body("sell", idempotency_key="order-1"))
    assert other_user.get_json()["order_id"] != first.get_json()["order_id"]
    assert client.get(ORDER, headers=auth["buyer"]).get_json()["count"] == 1


def test_cancel_an_open_order_but_not_a_filled_one(client, auth, clock):
    buy = submit(client, auth["buyer"], order_body("buy", price=0.2)).get_json()
    other = submit(client, auth["buyer"], order_body("buy", price=0.05)).get_json()
    submit(client, auth["seller"], order_body("sell", price=0.1))
    refused = client.delete(f"{ORDER}/{buy['order_id']}", headers=auth["buyer"])
    assert refused.status_code == 409
    cancelled = client.delete(f"{ORDER}/{other['order_id']}", headers=auth["buyer"])
    assert cancelled.get_json()["status"] == "cancelled"
    by_post = client.post(f"{ORDER}/{other['order_id']}/cancel", headers=auth["buyer"])
    assert by_post.status_code == 409
    book = outbox.messages_after("orderbook", None, 0)[-1].message["data"]
    assert book == {"bids": {}, "asks": {}}


def test_other_users_orders_are_not_found(client, auth, clock):
    buy = submit(client, auth["buyer"], order_body("buy")).get_json()
    assert client.get(f"{ORDER}/{buy['order_id']}", headers=auth["seller"]).status_code == 404
    assert client.delete(f"{ORDER}/{buy['order_id']}", headers=auth["seller"]).status_code == 404
    assert client.get(f"{ORDER}/{buy['order_id']}", headers=auth["admin"]).status_code == 200


def test_list_own_orders_filtered_by_status(client, auth, clock):
    first = submit(client, auth["buyer"], order_body("buy")).get_json()
    second = submit(client, auth["buyer"], order_body("buy")).get_json()
    submit(client, auth["seller"], order_body("sell", price=0.5))
    client.delete(f"{ORDER}/{first['order_id']}", headers=auth["buyer"])
    listed = client.get(ORDER + "/", headers=auth["buyer"]).get_json()
    assert [o["order_id"] for o in listed["orders"]] == [second["order_id"], first["order_id"]]
    cancelled = client.get(ORDER + "?status=cancelled", headers=auth["buyer"]).get_json()
    assert [o["order_id"] for o in cancelled["orders"]] == [first["order_id"]]
    response = client.get(ORDER + "?status=gone", headers=auth["buyer"])
    assert response.status_code == 422 and "status" in response.get_json()["errors"]


def test_orders_expire_at_expiry_time_and_before_delivery(client, auth, traders, clock):
    early = submit(client, auth["buyer"], order_body("buy", expiry_time=at(0.5))).get_json()
    late = submit(
        client,
        auth["buyer"],
        order_body("buy", delivery_start=at(4), delivery_end=at(5), expiry_time=at(3.9)),
    ).get_json()
    clock["now"] = NOW + timedelta(minutes=30)
    listed = client.get(ORDER + "?status=expired", headers=auth["buyer"]).get_json()
    assert [o["order_id"] for o in listed["orders"]] == [early["order_id"]]
    clock["now"] = NOW + timedelta(hours=3, minutes=45)  # 15 minutes before its delivery
    answer = client.get(f"{ORDER}/{late['order_id']}", headers=auth["buyer"]).get_json()
    assert answer["order"]["status"] == "expired"
    expired = [m.message for m in outbox.messages_after("ticker", None, 0)]
    assert [m["type"] for m in expired] == ["expired_order_update"] * 2


def test_an_expired_order_does_not_trade(client, auth, clock):
    submit(client, auth["buyer"], order_body("buy", price=0.2, expiry_time=at(0.5)))
    clock["now"] = NOW + timedelta(minutes=31)
    sell = submit(client, auth["seller"], order_body("sell", price=0.1)).get_json()
    assert sell["status"] == "matching_active"


def test_tokens_roles_and_rate_limit(app, client, auth, clock, monkeypatch, queues):
    assert client.get(ORDER).status_code == 401
    bad = client.get(ORDER, headers={"Authorization": "Bearer nonsense"})
    assert bad.status_code == 401 and bad.headers["WWW-Authenticate"].startswith("Bearer")
    assert client.post(ORDER, json=order_body(), headers=auth["prosumer"]).status_code == 403
    monkeypatch.setitem(app.config, "FLEXMEASURES_MARKET_RATE_LIMIT", 2)
    codes = [client.get(ORDER, headers=auth["seller"]).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    limited = client.get(ORDER, headers=auth["seller"])
    assert int(limited.headers["Retry-After"]) >= 1
    assert client.get(ORDER, headers=auth["buyer"]).status_code == 200  # per user


def test_platform_api_v1_still_answers(client, users):
    response = client.get("/api/v1/getService")
    assert response.status_code != 404


def test_the_marketplace_has_its_own_openapi_document_and_swagger_ui(app, client, db):
    document = client.get("/api/market/openapi.json").get_json()
    documented = {
        path.rstrip("/").replace("{order_id}", "<int:order_id>") for path in document["paths"]
    }
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("market_api.") and not rule.rule.endswith("/cancel"):
            assert rule.rule.rstrip("/") in documented
    assert "swagger-ui" in client.get("/api/market/docs").get_data(as_text=True)
    platform = client.get("/api/openapi.json").get_json()
    assert "/api/v1/order" not in platform["paths"]


def test_the_orderbook_update_sorts_bids_down_and_asks_up(client, auth, clock):
    for price in (0.1, 0.3, 0.2, 0.3):
        submit(client, auth["buyer"], order_body("buy", price=price))
    for price in (0.5, 0.4):
        submit(client, auth["seller"], order_body("sell", price=price))
    book = outbox.messages_after("orderbook", None, 0)[-1].message
    assert book["type"] == "orderbook_update"
    assert list(book["data"]["bids"]) == ["0.3", "0.2", "0.1"]
    assert list(book["data"]["asks"]) == ["0.4", "0.5"]
    assert len(book["data"]["bids"]["0.3"]) == 2
    assert book["data"]["asks"]["0.4"][0]["energy"] == pytest.approx(1.0)


def test_the_orderbook_update_shows_the_configured_depth_and_a_snapshot_all(
    app, client, auth, clock, monkeypatch
):
    monkeypatch.setitem(app.config, "FLEXMEASURES_MARKET_ORDERBOOK_DEPTH", 2)
    for price in (0.1, 0.3, 0.2, 0.3):
        submit(client, auth["buyer"], order_body("buy", price=price))
    for price in (0.6, 0.4, 0.5):
        submit(client, auth["seller"], order_body("sell", price=price))
    update = outbox.messages_after("orderbook", None, 0)[-1].message
    assert list(update["data"]["bids"]) == ["0.3", "0.2"]  # the best two levels per side
    assert len(update["data"]["bids"]["0.3"]) == 2  # a level shows all its orders
    assert list(update["data"]["asks"]) == ["0.4", "0.5"]
    sequence, full = service.orderbook_snapshot()
    assert sequence == update["sequence"]
    assert list(full["bids"]) == ["0.3", "0.2", "0.1"]
    assert list(full["asks"]) == ["0.4", "0.5", "0.6"]


def test_the_example_clients_sell_with_an_older_baseline_is_accepted(client, auth, clock):
    """GLocalFlex's REST client sends floats, [null] locations, "" or a country, times with
    milliseconds and a baseline whose data points are {timestamp: value} objects."""
    body = order_body(
        "sell",
        power=1200.0,
        location={"location_id": [None], "country_code": ""},
        expiry_time=(NOW + timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
        baseline={
            "metering_id": "m-1",
            "resolution": 1,
            "direction": "consumption",
            "quality": "estimated",
            "unit_measured": "kWh",
            "data_points": [{"2019-08-24T14:15:00Z": 1}],
        },
    )
    response = submit(client, auth["seller"], body)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["status"] == "matching_active"


def test_a_retry_changes_nothing_and_tells_no_stream(client, auth, traders, clock):
    """The retry's INSERT is refused by the unique key (user, idempotency key): its
    transaction rolls back whole, so it records no stream message and no second order."""
    first = submit(client, auth["buyer"], order_body("buy", idempotency_key="k")).get_json()
    trade_messages = outbox.latest_sequence("trade", traders["buyer"].id)
    book_messages = outbox.latest_sequence("orderbook", None)
    again = submit(client, auth["buyer"], order_body("buy", price=0.3, idempotency_key="k"))
    assert again.status_code == 200
    assert again.get_json() == first
    assert outbox.latest_sequence("trade", traders["buyer"].id) == trade_messages
    assert outbox.latest_sequence("orderbook", None) == book_messages
    assert client.get(ORDER, headers=auth["buyer"]).get_json()["count"] == 1


def test_streams_hear_of_a_submit_only_once_it_is_durable(client, auth, clock, monkeypatch):
    events = []
    monkeypatch.setattr(outbox, "on_commit_listeners", [lambda messages: events.append("heard")])
    flush = service.make_durable

    def make_durable(session):
        events.append("durable")
        flush(session)

    monkeypatch.setattr(service, "make_durable", make_durable)
    assert submit(client, auth["buyer"], order_body("buy")).status_code == 200
    assert events == ["durable", "heard"]


def test_a_submit_whose_durability_is_unconfirmed_is_503_and_a_retry_finds_it(
    client, auth, clock, monkeypatch
):
    heard = []
    monkeypatch.setattr(outbox, "on_commit_listeners", [heard.append])
    with monkeypatch.context() as failing:
        failing.setattr(service, "_DURABLE", text("SELECT 1 / 0"))
        response = submit(client, auth["buyer"], order_body("buy", idempotency_key="k"))
    assert response.status_code == 503
    assert "did not confirm it is on disk" in response.get_json()["detail"]
    assert heard == []
    retry = submit(client, auth["buyer"], order_body("buy", idempotency_key="k"))
    assert retry.status_code == 200
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert client.get(ORDER, headers=auth["buyer"]).get_json()["count"] == 1


def test_a_price_of_minus_zero_is_stored_and_shown_as_zero(client, auth, clock):
    submit(client, auth["buyer"], order_body("buy", price=-0.0))
    order = client.get(ORDER, headers=auth["buyer"]).get_json()["orders"][0]
    assert json.dumps(order["price"]) == "0.0"
    assert list(service.book()["bids"]) == ["0"]
