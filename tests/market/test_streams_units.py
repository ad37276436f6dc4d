"""The pure parts of the streams: the client protocol, the snapshot fold, the fan-out's
in-process delivery, and the TLS context's errors."""

from __future__ import annotations

import queue
import uuid

import pytest
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from flexmeasures.market.fanout import FanOut
from flexmeasures.market.stream_protocol import (
    RequestError,
    StreamRequest,
    bearer_token,
    build_snapshot,
    next_step,
    parse_request,
)
from flexmeasures.utils.tls import TLSConfigurationError, server_ssl_context
from tests.conftest import TEST_REDIS_URL

from .live_streams import self_signed_certificate


@pytest.mark.parametrize(
    "text, expected",
    [
        ('{"action": "snapshot"}', StreamRequest("snapshot")),
        ('{"action": "resume", "after_sequence": 0}', StreamRequest("resume", 0)),
        ('{"action": "resume", "after_sequence": 42}', StreamRequest("resume", 42)),
    ],
)
def test_requests_are_parsed(text, expected):
    assert parse_request(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "[]",
        '{"action": "subscribe"}',
        '{"action": "resume"}',
        '{"action": "resume", "after_sequence": "3"}',
        '{"action": "resume", "after_sequence": 1.5}',
        '{"action": "resume", "after_sequence": true}',
        '{"action": "resume", "after_sequence": -2}',
    ],
)
def test_bad_requests_are_refused_with_a_reason(text):
    with pytest.raises(RequestError):
        parse_request(text)


@pytest.mark.parametrize(
    "last, sequence, step", [(4, 5, "send"), (4, 4, "skip"), (4, 2, "skip"), (4, 7, "gap")]
)
def test_live_messages_are_sent_in_sequence_or_fill_a_gap_first(last, sequence, step):
    assert next_step(last, sequence) == step


@pytest.mark.parametrize(
    "header, token",
    [
        ("Bearer abc.def", "abc.def"),
        ("bearer abc", "abc"),
        ("abc.def", "abc.def"),  # as the platform's middleware leaves "Bearer <token>"
        ("Basic dXNlcjpwYXNz", None),
        ("", None),
        (None, None),
    ],
)
def test_bearer_tokens_are_read_from_the_authorization_header(header, token):
    assert bearer_token(header) == token


def test_an_orderbook_snapshot_is_the_last_book():
    books = [
        {"type": "orderbook_update", "sequence": 1, "data": {"bids": {"1": []}, "asks": {}}},
        {"type": "orderbook_update", "sequence": 2, "data": {"bids": {}, "asks": {"2": []}}},
    ]
    assert build_snapshot("orderbook", books) == {
        "type": "snapshot",
        "stream": "orderbook",
        "sequence": 2,
        "data": {"bids": {}, "asks": {"2": []}},
    }
    assert build_snapshot("orderbook", [])["data"] == {"bids": {}, "asks": {}}


def test_a_ticker_snapshot_has_the_last_trade_and_expiry():
    ticks = [
        {"type": "ticker_update", "sequence": 1, "data": {"price": 0.1}},
        {"type": "expired_order_update", "sequence": 2, "data": {"price": 0.3}},
        {"type": "ticker_update", "sequence": 3, "data": {"price": 0.2}},
    ]
    snapshot = build_snapshot("ticker", ticks)
    assert snapshot["sequence"] == 3
    assert snapshot["data"] == {"last_trade": {"price": 0.2}, "last_expired_order": {"price": 0.3}}


def test_a_trade_snapshot_has_the_latest_state_of_each_order_and_contract():
    messages = [
        {"type": "order_status_update", "data": {"order_id": 1, "status": "pending"}},
        {"type": "order_status_update", "data": {"order_id": 2, "status": "pending"}},
        {"type": "order_status_update", "data": {"order_id": 1, "status": "filled"}},
        {"type": "contract_status_update", "data": {"contract_id": 9, "status": "a"}},
        {"type": "contract_status_update", "data": {"contract_id": 9, "status": "b"}},
    ]
    for sequence, message in enumerate(messages, start=1):
        message["sequence"] = sequence
    snapshot = build_snapshot("trade", messages)
    assert snapshot["sequence"] == 5
    assert snapshot["data"] == {
        "orders": [{"order_id": 1, "status": "filled"}, {"order_id": 2, "status": "pending"}],
        "contracts": [{"contract_id": 9, "status": "b"}],
    }


def message(stream: str, sequence: int, user_id: int | None = None) -> dict:
    """A committed message as the outbox hands it to its listeners."""
    body = {"type": "x", "sequence": sequence}
    return {"id": sequence, "stream": stream, "user_id": user_id, "sequence": sequence, **body}


def drain(inbox: queue.SimpleQueue) -> list:
    """Everything in an inbox."""
    items = []
    while not inbox.empty():
        items.append(inbox.get_nowait())
    return items


def test_without_redis_messages_go_to_the_subscribers_of_their_channel():
    fanout = FanOut(redis=None)
    ticker, mine, theirs = (
        fanout.subscribe("ticker", None),
        fanout.subscribe("trade", 7),
        fanout.subscribe("trade", 8),
    )
    fanout.publish([message("ticker", 1), message("trade", 1, user_id=7), message("orderbook", 1)])
    assert [item["stream"] for _, item in drain(ticker.inbox)] == ["ticker"]
    assert [(item["stream"], item["user_id"]) for _, item in drain(mine.inbox)] == [("trade", 7)]
    assert drain(theirs.inbox) == []
    fanout.unsubscribe(ticker)
    fanout.publish([message("ticker", 2)])
    assert drain(ticker.inbox) == [] and fanout.subscriber_count() == 2


class BrokenRedis:
    """A Redis that cannot be reached."""

    def publish(self, channel: str, data: str) -> int:
        raise RedisConnectionError("Connection refused")


def test_when_redis_fails_messages_still_reach_this_process():
    fanout = FanOut(redis=None)
    subscriber = fanout.subscribe("ticker", None)
    fanout.redis = BrokenRedis()  # type: ignore[assignment]
    fanout.publish([message("ticker", 1)])
    assert [kind for kind, _ in drain(subscriber.inbox)] == ["message"]


def test_the_tls_context_names_a_missing_certificate_or_key(tmp_path):
    cert, key = self_signed_certificate(tmp_path)
    assert server_ssl_context(cert, key).minimum_version.name == "TLSv1_2"
    with pytest.raises(TLSConfigurationError, match=r"certificate .*nope.pem \(--cert\) does not"):
        server_ssl_context(tmp_path / "nope.pem", key)
    with pytest.raises(TLSConfigurationError, match=r"private key .*nope.pem \(KEY\) does not"):
        server_ssl_context(cert, tmp_path / "nope.pem", key_option="KEY")


def test_the_tls_context_refuses_a_key_of_another_certificate(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    cert, _ = self_signed_certificate(tmp_path / "a")
    _, other_key = self_signed_certificate(tmp_path / "b")
    with pytest.raises(TLSConfigurationError, match="cannot be used together"):
        server_ssl_context(cert, other_key)
    with pytest.raises(TLSConfigurationError, match="cannot be used together"):
        server_ssl_context(cert, cert)  # a certificate is no key


def test_a_foreign_publication_on_the_redis_channel_does_not_stop_the_fan_out():
    redis = Redis.from_url(TEST_REDIS_URL)
    fanout = FanOut(redis, channel=f"test-fan-out-{uuid.uuid4().hex}")
    subscriber = fanout.subscribe("ticker", None)  # returns once the listener listens
    try:
        redis.publish(fanout.channel, b"not json")
        redis.publish(fanout.channel, b'[{"stream": "ticker", "user_id": null}]')  # no sequence
        fanout.publish([message("ticker", 7)])
        kinds_and_sequences = []
        while not kinds_and_sequences or kinds_and_sequences[-1][0] != "message":
            kind, item = subscriber.inbox.get(timeout=10)
            kinds_and_sequences.append((kind, item and item["sequence"]))
    finally:
        fanout.close()
    assert kinds_and_sequences[-1] == ("message", 7)
    assert {kind for kind, _ in kinds_and_sequences[:-1]} <= {"check"}


def test_committed_messages_reach_this_apps_subscribers_through_redis_or_directly(app):
    from flexmeasures.app import create_app
    from flexmeasures.market.fanout import fanout_of, publish_committed
    from tests.conftest import TEST_DATABASE_URI

    assert fanout_of(app).redis is app.redis_connection  # the test app has Redis
    embedded = create_app(
        "testing",
        settings={"SQLALCHEMY_DATABASE_URI": TEST_DATABASE_URI, "FLEXMEASURES_REDIS_URL": None},
    )
    fanout = fanout_of(embedded)
    assert fanout.redis is None
    subscriber = fanout.subscribe("orderbook", None)
    with embedded.app_context():
        publish_committed([message("orderbook", 3)])
    publish_committed([message("orderbook", 4)])  # outside an app context: not published
    assert [item["sequence"] for _, item in drain(subscriber.inbox)] == [3]
