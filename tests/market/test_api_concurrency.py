"""Correctness across requests running at once and across a restart, on committed data
(each thread has its own database connection, as web workers do).

These tests commit: the ``committed_traders`` fixture empties the market tables and removes
its users afterwards.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import delete, func, select

from flexmeasures.app import create_app
from flexmeasures.data import db
from flexmeasures.data.models.user import Role, User
from flexmeasures.data.services.users import create_user, delete_user
from flexmeasures.market import models as m
from flexmeasures.market.outbox import StreamMessage, stream_counter
from flexmeasures.market.tokens import issue_tokens

from .conftest import order_body

THREADS = 8
ORDER = "/api/v1/order/"
MARKET_TABLES = (
    StreamMessage.__table__,
    stream_counter,
    m.MarketSettlement.__table__,
    m.MarketVerification.__table__,
    m.MarketContract.__table__,
    m.MarketTrade.__table__,
    m.MarketOrder.__table__,
)


@pytest.fixture
def committed_traders(app: Flask, clock) -> Iterator[dict[str, dict[str, str]]]:
    """Committed traders "maker" and "t0".."t7", as Authorization headers."""
    with app.app_context():
        had_role = db.session.scalar(select(Role).where(Role.name == "trader")) is not None
        names = ["maker", *(f"t{i}" for i in range(THREADS))]
        users = [
            create_user(f"{n}@race.example.com", "a-password", f"race_{n}", ["trader"])
            for n in names
        ]
        db.session.commit()
        headers = {
            name: {"Authorization": f"Bearer {issue_tokens(user)['access_token']}"}
            for name, user in zip(names, users, strict=True)
        }
        try:
            yield headers
        finally:
            _clean_up([user.id for user in users], had_role)


def _clean_up(user_ids: list[int], had_role: bool) -> None:
    """Empty the market tables, delete the users (and the trader role if we made it)."""
    db.session.rollback()
    for table in MARKET_TABLES:
        db.session.execute(delete(table))
    for user_id in user_ids:
        delete_user(db.session.get(User, user_id))
    if not had_role:
        db.session.execute(delete(Role).where(Role.name == "trader"))
    db.session.commit()
    db.session.remove()


def submit_at_once(app: Flask, bodies: list[tuple[dict, dict]]) -> list[int]:
    """POST the (headers, body) orders from one thread each, released together; return
    the status codes."""
    barrier = threading.Barrier(len(bodies))
    codes: list[int] = [0] * len(bodies)

    def post(i: int, headers: dict, body: dict) -> None:
        with app.app_context():
            client = app.test_client()
            barrier.wait()
            codes[i] = client.post(ORDER, json=body, headers=headers).status_code
            db.session.remove()

    threads = [threading.Thread(target=post, args=(i, *hb)) for i, hb in enumerate(bodies)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return codes


def count(model, *where) -> int:
    """Committed rows of a model matching the conditions."""
    with db.engine.connect() as connection:
        query = select(func.count()).select_from(model).where(*where)
        return connection.execute(query).scalar_one()


def test_concurrent_buys_fill_one_sell_once(app, committed_traders):
    with app.test_client() as client:
        sell = client.post(
            ORDER, json=order_body("sell", price=0.1), headers=committed_traders["maker"]
        )
        assert sell.get_json()["status"] == "matching_active"
    takers = [(committed_traders[f"t{i}"], order_body("buy", price=0.2)) for i in range(THREADS)]
    assert submit_at_once(app, takers) == [200] * THREADS
    with app.app_context():
        assert count(m.MarketTrade) == 1
        assert (
            count(m.MarketOrder, m.MarketOrder.side == "buy", m.MarketOrder.status == "filled") == 1
        )
        assert count(m.MarketOrder, m.MarketOrder.status == "matching_active") == THREADS - 1


def test_concurrent_sells_do_not_overfill_a_buy(app, committed_traders):
    with app.test_client() as client:
        client.post(
            ORDER, json=order_body("buy", power=2000, price=0.3), headers=committed_traders["maker"]
        )
    makers = [(committed_traders[f"t{i}"], order_body("sell", price=0.1)) for i in range(THREADS)]
    assert submit_at_once(app, makers) == [200] * THREADS
    with app.app_context():
        assert count(m.MarketTrade) == 2  # 2000 W bought from two sells of 1000 W
        assert (
            count(m.MarketOrder, m.MarketOrder.side == "sell", m.MarketOrder.status == "filled")
            == 2
        )


def test_concurrent_retries_with_one_key_make_one_order(app, committed_traders):
    body = order_body("buy", idempotency_key="same")
    assert submit_at_once(app, [(committed_traders["t0"], body)] * 4) == [200] * 4
    with app.app_context():
        assert count(m.MarketOrder) == 1


def test_trading_resumes_after_a_restart(app, committed_traders):
    with app.test_client() as client:
        buy = client.post(
            ORDER, json=order_body("buy", price=0.2), headers=committed_traders["maker"]
        )
        buy_id = buy.get_json()["order_id"]
    same_services = ("SQLALCHEMY_DATABASE_URI", "FLEXMEASURES_REDIS_URL", "SERVER_NAME")
    restarted = create_app("testing", settings={k: app.config[k] for k in same_services})
    with restarted.app_context(), restarted.test_client() as client:
        sell = client.post(
            ORDER, json=order_body("sell", price=0.1), headers=committed_traders["t1"]
        )
        assert sell.get_json()["status"] == "filled"
        answer = client.get(
            f"/api/v1/order/{buy_id}", headers=committed_traders["maker"]
        ).get_json()
        assert answer["order"]["status"] == "filled"
        db.session.remove()
        db.engine.dispose()


def test_concurrent_writers_get_gap_free_sequences(app, committed_traders):
    """Transactions recording on one channel at once (no market lock): the channel's counter
    row makes them wait, so the numbers run 1..n without gaps or doubles."""
    from flexmeasures.market.outbox import latest_sequence, messages_after, record_stream_message

    barrier = threading.Barrier(THREADS)

    def write(thread: int) -> None:
        with app.app_context():
            barrier.wait()
            for i in range(3):
                record_stream_message(db.session, "ticker", {"type": "t", "i": (thread, i)})
            db.session.commit()
            db.session.remove()

    threads = [threading.Thread(target=write, args=(t,)) for t in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with app.app_context():
        replay = messages_after("ticker", None, 0)
        assert [m.sequence for m in replay] == list(range(1, 3 * THREADS + 1))
        assert latest_sequence("ticker", None) == 3 * THREADS
        by_writer = {}
        for message in replay:  # each transaction's messages are consecutive
            thread, i = message.message["i"]
            by_writer.setdefault(thread, []).append(message.sequence)
        assert all(s == list(range(s[0], s[0] + 3)) for s in by_writer.values())
        db.session.remove()
