"""The marketplace's WebSocket streams, end to end: a live server over TLS (self-signed
certificate), ``websocket-client`` as GLocalFlex's examples use it, orders through the REST
API, stream messages fanned out through Redis (the test Redis)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import requests
import websocket
from itsdangerous import TimestampSigner

from flexmeasures.data import db
from flexmeasures.market import outbox
from flexmeasures.market.fanout import publish_committed
from flexmeasures.market.outbox import record_stream_message

from .live_streams import Market, connect, order, receive, submit

STREAMS = ("trade", "orderbook", "ticker")


@pytest.fixture
def market(live_tls_market) -> Market:
    """The shared live TLS marketplace (tests/market/conftest.py)."""
    return live_tls_market


def record(market: Market, stream: str, message: dict[str, Any], user: str | None = None) -> int:
    """Commit a stream message through the outbox (as the service does); its sequence."""
    with market.app.app_context():
        user_id = market.user_ids[user] if user else None
        row = record_stream_message(db.session, stream, message, user_id)
        db.session.commit()
        return row.sequence


def receive_until(ws: websocket.WebSocket, kind: str) -> dict[str, Any]:
    """The next message of the given type (others are skipped)."""
    while True:
        message = receive(ws)
        if message["type"] == kind:
            return message


@pytest.mark.parametrize("path", [f"/api/v1/ws/{s}{slash}" for s in STREAMS for slash in "/ "])
def test_each_stream_confirms_the_connection_first(market, path):
    ws = connect(market.ws_url(path.strip()), market.tokens["seller"])
    control = receive(ws)
    ws.close()
    stream = path.strip().rstrip("/").rsplit("/", 1)[-1]
    assert control["type"] == "control" and control["status"] == "success"
    assert control["data"]["message"] == "Connected to the WebSocket API"
    assert control["data"]["stream"] == stream
    assert isinstance(control["data"]["sequence"], int)


@pytest.mark.parametrize("parameter", ["token", "access_token"])
def test_a_token_in_the_query_authenticates_browsers(market, parameter):
    url = f"{market.ws_url('/api/v1/ws/ticker/')}?{parameter}={market.tokens['buyer']}"
    ws = connect(url)
    assert receive(ws)["type"] == "control"
    ws.close()


def expired_token(market: Market, monkeypatch) -> str:
    """An access token issued two hours ago (the lifetime is one hour)."""
    from flexmeasures.data.models.user import User
    from flexmeasures.market.tokens import issue_tokens

    issued = int(dt.datetime.now(dt.UTC).timestamp()) - 7200
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: issued)
    with market.app.app_context():
        token = issue_tokens(db.session.get(User, market.user_ids["seller"]))["access_token"]
        db.session.remove()
    monkeypatch.undo()
    return token


@pytest.mark.parametrize("token", ["nonsense", None, "expired"])
@pytest.mark.parametrize("query", [False, True])
def test_a_bad_missing_or_expired_token_is_refused_with_401(market, monkeypatch, token, query):
    if token == "expired":
        token = expired_token(market, monkeypatch)
    with pytest.raises(websocket.WebSocketBadStatusException) as refused:
        connect(market.ws_url("/api/v1/ws/trade/"), token, query_token=query)
    assert refused.value.status_code == 401
    assert b"invalid_token" in refused.value.resp_body


def next_control_frame(ws: websocket.WebSocket) -> tuple[int, bytes]:
    """The opcode and payload of the next control frame, passing over stream messages (an
    orderbook_update of an earlier test may still be on its way to every subscriber)."""
    while True:
        opcode, frame = ws.recv_data_frame(control_frame=True)
        if opcode not in (websocket.ABNF.OPCODE_TEXT, websocket.ABNF.OPCODE_BINARY):
            return opcode, frame.data


def test_pings_are_answered(market):
    ws = connect(market.ws_url("/api/v1/ws/orderbook"), market.tokens["seller"])
    receive(ws)
    for payload in (b"1", b"2"):
        ws.ping(payload)
        assert next_control_frame(ws) == (websocket.ABNF.OPCODE_PONG, payload)
    ws.close()


def test_a_trade_reaches_all_three_streams_in_the_seeds_shapes(market):
    seller_trade = connect(market.ws_url("/api/v1/ws/trade/"), market.tokens["seller"])
    buyer_trade = connect(market.ws_url("/api/v1/ws/trade/"), market.tokens["buyer"])
    book = connect(market.ws_url("/api/v1/ws/orderbook/"), market.tokens["buyer"])
    ticker = connect(market.ws_url("/api/v1/ws/ticker/"), market.tokens["viewer"])
    sockets = (seller_trade, buyer_trade, book, ticker)
    starts = {ws: receive(ws)["data"]["sequence"] for ws in sockets}
    low_bid = submit(market, "buyer", order("buy", 0.05, hours_ahead=4))
    sell = submit(market, "seller", order("sell", 0.10))
    buy = submit(market, "buyer", order("buy", 0.20))

    updates = [receive(seller_trade) for _ in range(5)]
    assert [(u["type"], u["name"], u["data"].get("order_id")) for u in updates] == [
        ("order_status_update", "pending", sell["order_id"]),
        ("order_status_update", "accepted", sell["order_id"]),
        ("order_status_update", "matching_active", sell["order_id"]),
        ("order_status_update", "filled", sell["order_id"]),
        ("contract_status_update", "verification_initiated", None),
    ]
    assert updates[-1]["data"]["sell_order_id"] == sell["order_id"]
    assert [u["sequence"] for u in updates] == list(
        range(starts[seller_trade] + 1, starts[seller_trade] + 6)
    )
    buyer_updates = []
    while not buyer_updates or buyer_updates[-1]["type"] != "contract_status_update":
        buyer_updates.append(receive(buyer_trade))
    buyer_orders = {u["data"].get("order_id") for u in buyer_updates[:-1]}
    assert buyer_orders == {low_bid["order_id"], buy["order_id"]}  # never the seller's order
    assert buyer_updates[-1]["data"]["buy_order_id"] == buy["order_id"]

    books = [receive(book) for _ in range(3)]
    assert [b["sequence"] for b in books] == list(range(starts[book] + 1, starts[book] + 4))
    assert all(b["type"] == "orderbook_update" for b in books)
    bids, asks = books[1]["data"]["bids"], books[1]["data"]["asks"]
    assert "0.05" in bids and asks["0.1"][0]["side"] == "sell"  # both resting
    assert asks["0.1"][0]["power"] == 1000 and asks["0.1"][0]["energy"] == pytest.approx(1.0)
    assert "0.1" not in books[2]["data"]["asks"]  # filled by the buy

    tick = receive(ticker)
    assert tick["type"] == "ticker_update" and tick["sequence"] == starts[ticker] + 1
    assert tick["data"]["price"] == 0.10 and tick["data"]["power"] == 1000
    assert tick["data"]["energy"] == pytest.approx(1.0)
    assert tick["data"]["location"]["country_code"] == "FI"
    assert buy["status"] == "filled"
    for ws in starts:
        ws.close()


def test_orderbook_bids_descend_and_asks_ascend(market):
    book = connect(market.ws_url("/api/v1/ws/orderbook/"), market.tokens["viewer"])
    receive(book)
    for price in (0.02, 0.04, 0.03):
        submit(market, "buyer", order("buy", price, hours_ahead=6))
    for price in (0.90, 0.70, 0.80):
        submit(market, "seller", order("sell", price, hours_ahead=6))
    last = [receive(book) for _ in range(6)][-1]["data"]
    bid_prices = [float(price) for price in last["bids"]]
    ask_prices = [float(price) for price in last["asks"]]
    assert bid_prices == sorted(bid_prices, reverse=True) and {0.02, 0.03, 0.04} <= {*bid_prices}
    assert ask_prices == sorted(ask_prices) and {0.7, 0.8, 0.9} <= {*ask_prices}
    book.close()


def test_the_trade_stream_carries_only_the_users_own_messages(market):
    seller = connect(market.ws_url("/api/v1/ws/trade"), market.tokens["seller"])
    first = receive(seller)["data"]["sequence"]
    record(market, "trade", {"type": "order_status_update", "data": {"order_id": -1}}, "buyer")
    sequence = record(market, "trade", {"type": "order_status_update", "data": {}}, "seller")
    message = receive(seller)
    assert message["sequence"] == sequence == first + 1  # the buyer's message never came
    seller.close()


def test_a_client_resumes_after_a_gap(market):
    ws = connect(market.ws_url("/api/v1/ws/ticker/"), market.tokens["viewer"])
    seen = receive(ws)["data"]["sequence"]
    ws.close()
    missed = [
        record(market, "ticker", {"type": "ticker_update", "data": {"n": n}}) for n in (0, 1, 2)
    ]
    ws = connect(market.ws_url("/api/v1/ws/ticker/"), market.tokens["viewer"])
    assert receive(ws)["data"]["sequence"] == missed[-1]
    ws.send(json.dumps({"action": "resume", "after_sequence": seen}))
    replayed = [receive(ws) for _ in missed]
    assert [(m["sequence"], m["data"]["n"]) for m in replayed] == list(
        zip(missed, (0, 1, 2), strict=True)
    )
    done = receive(ws)
    assert done["type"] == "control" and done["data"] == {
        "message": "Resumed",
        "stream": "ticker",
        "sequence": missed[-1],
        "action": "resume",
    }
    live = record(market, "ticker", {"type": "ticker_update", "data": {"n": 3}})
    assert receive(ws)["sequence"] == live == missed[-1] + 1
    ws.close()


@contextmanager
def unpublished() -> Iterator[None]:
    """Commits in this block are recorded in the outbox but never published (as if Redis
    had lost them)."""
    outbox.on_commit_listeners.remove(publish_committed)
    try:
        yield
    finally:
        outbox.on_commit_listeners.append(publish_committed)


def test_a_live_message_lost_on_the_way_is_replayed_from_the_outbox(market):
    ws = connect(market.ws_url("/api/v1/ws/ticker/"), market.tokens["viewer"])
    start = receive(ws)["data"]["sequence"]
    with unpublished():
        lost = record(market, "ticker", {"type": "expired_order_update", "data": {"n": 1}})
    published = record(market, "ticker", {"type": "ticker_update", "data": {"n": 2}})
    messages = [receive(ws), receive(ws)]
    assert [m["sequence"] for m in messages] == [lost, published] == [start + 1, start + 2]
    assert [m["type"] for m in messages] == ["expired_order_update", "ticker_update"]
    ws.close()


def test_a_quiet_stream_finds_a_message_that_never_arrived(market, monkeypatch):
    monkeypatch.setattr("flexmeasures.market.streams.IDLE_CHECK_SECONDS", 0.2)
    ws = connect(market.ws_url("/api/v1/ws/ticker/"), market.tokens["viewer"])
    start = receive(ws)["data"]["sequence"]
    with unpublished():
        lost = record(market, "ticker", {"type": "ticker_update", "data": {"n": 1}})
    assert receive(ws)["sequence"] == lost == start + 1  # no later message needed
    ws.close()


def test_snapshots_give_the_state_after_the_last_message(market):
    book = connect(market.ws_url("/api/v1/ws/orderbook/"), market.tokens["seller"])
    receive(book)
    bid = submit(market, "buyer", order("buy", 0.01, hours_ahead=8))
    latest = receive(book)
    book.send(json.dumps({"action": "snapshot"}))
    snapshot = receive(book)
    assert snapshot["type"] == "snapshot" and snapshot["stream"] == "orderbook"
    assert snapshot["sequence"] == latest["sequence"] and snapshot["data"] == latest["data"]
    book.close()

    trade = connect(market.ws_url("/api/v1/ws/trade/"), market.tokens["buyer"])
    receive(trade)
    trade.send(json.dumps({"action": "snapshot"}))
    snapshot = receive(trade)
    orders = {o["order_id"]: o.get("status") for o in snapshot["data"]["orders"]}
    with market.app.app_context():
        expected = outbox.latest_sequence("trade", market.user_ids["buyer"])
        db.session.remove()
    assert snapshot["sequence"] == expected
    assert orders[bid["order_id"]] == "matching_active"  # its last of pending, accepted, ...
    trade.close()


@pytest.mark.parametrize(
    "request_, complaint",
    [
        ("hello", "Not JSON"),
        ('{"action": "subscribe"}', "one of: resume, snapshot"),
        ('{"action": "resume", "after_sequence": -1}', "whole number >= 0"),
        ('{"action": "resume", "after_sequence": 999999}', "ahead of the stream"),
    ],
)
def test_a_bad_request_is_answered_with_an_error_and_the_stream_goes_on(
    market, request_, complaint
):
    ws = connect(market.ws_url("/api/v1/ws/ticker/"), market.tokens["viewer"])
    receive(ws)
    ws.send(request_)
    error = receive(ws)
    assert error["type"] == "control" and error["status"] == "error"
    assert complaint in error["data"]["message"]
    sequence = record(market, "ticker", {"type": "ticker_update", "data": {}})
    assert receive(ws)["sequence"] == sequence
    ws.close()


@pytest.mark.parametrize("path", ["/api/v1/ws/ticker/", "/api/v1/ws/trade"])
def test_a_request_without_websocket_upgrade_is_told_to_upgrade(market, path):
    response = requests.get(market.https_url(path), verify=str(market.cert_file), timeout=30)
    assert response.status_code == 426 and response.headers["Upgrade"] == "websocket"
    assert "is a WebSocket stream" in response.json()["error_description"]
