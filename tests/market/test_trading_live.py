"""Trading end to end against our marketplace served over TLS: forecast -> schedule -> orders
-> a buyer fills -> delivery measured -> metering submitted -> settlement stored, with the
trade stream dropped and the marketplace restarted in the middle.

The platform and the marketplace share a database schema (as one FlexMeasures instance
would) but run as separate apps; the marketplace's clock is frozen at the order time, then
moved past delivery."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import func, select
from werkzeug.serving import make_server

from flexmeasures.data import db
from flexmeasures.data.models import (
    Asset,
    Commitment,
    TradingContract,
    TradingOrder,
    TradingSetting,
    TradingStatusChange,
    User,
)
from flexmeasures.market.connector import ConnectorSettings, MarketConnector
from flexmeasures.market.delivery import submit_due_metering
from flexmeasures.market.fanout import fanout_of
from flexmeasures.market.models import MarketOrder
from flexmeasures.market.outbox import latest_sequence
from flexmeasures.market.reporting import order_lines
from flexmeasures.market.tokens import issue_tokens
from flexmeasures.market.trade_stream import TradeStreamFollower, _websocket_connect, cursor
from flexmeasures.market.trading import order_body, place_orders
from flexmeasures.utils.tls import server_ssl_context
from tests.conftest import TEST_DATABASE_URI, TEST_PASSWORD
from tests.live_server import migrated_app, recreate_schema

from .live_streams import self_signed_certificate
from .trading_setup import add_forecast, add_measurements, add_prices, add_trading_battery, schedule

T0 = datetime(2030, 1, 7, 8, 0, tzinfo=UTC)  # order time
START, END = T0 + timedelta(hours=2), T0 + timedelta(hours=3)
AFTER_DELIVERY = END + timedelta(minutes=5)


class MarketServer:
    """Our marketplace served over TLS on one port; ``restart`` serves a fresh app (a new
    process would do the same: its book comes back from the database) on the same port."""

    def __init__(self, schema: str, cert: Path, key: Path) -> None:
        self.schema = schema
        self.context = server_ssl_context(cert, key)
        self.port = 0
        self.server: Any = None

    def start(self) -> None:
        """Serve a new app of the marketplace (on the same port after the first start)."""
        settings = {"FLEXMEASURES_MARKET_STREAMS_CHANNEL": f"trading-{self.schema}"}
        first = self.server is None
        self.app = migrated_app(TEST_DATABASE_URI, self.schema, None, settings, fresh=first)
        self.server = make_server(
            "127.0.0.1", self.port, self.app, threaded=True, ssl_context=self.context
        )
        self.port = self.server.server_port
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        """Stop serving (open streams go with the app's fan-out)."""
        self.server.shutdown()
        self.server.server_close()
        fanout_of(self.app).close()
        with self.app.app_context():
            db.engine.dispose()

    @property
    def url(self) -> str:
        """The marketplace's base URL."""
        return f"https://127.0.0.1:{self.port}"


@contextmanager
def live_trading(tmp_path: Path) -> Iterator[tuple[MarketServer, Any]]:
    """A marketplace server and the platform's app on a fresh schema."""
    schema = f"trading_{int(time.time() * 1000) % 10**9}"
    cert, key = self_signed_certificate(tmp_path)
    market = MarketServer(schema, cert, key)
    try:
        market.start()  # on a fresh schema, which the platform's app shares
        platform = migrated_app(TEST_DATABASE_URI, schema, None, fresh=False)
        yield market, platform
        market.stop()
    finally:
        recreate_schema(TEST_DATABASE_URI, schema, drop_only=True)


def wait_for(check: Callable[[], bool], what: str, timeout: float = 60) -> None:
    """Wait until ``check`` holds (reading fresh data each time); fail naming ``what``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        db.session.rollback()
        if check():
            return
        time.sleep(0.1)
    pytest.fail(f"Timed out waiting for {what}.")


def setup_platform() -> tuple[int, dict[str, str]]:
    """Traders (seller: the platform's account; buyer), and a battery whose schedule
    discharges 10 kW from 10:00 against a forecast of 0, selling in blocks of at most half an
    hour; its id and the traders' tokens."""
    from flexmeasures.data.services.users import create_user

    owner = create_user("owner@trading.example.com", TEST_PASSWORD, "owner", ["Prosumer"])
    tokens = {}
    for name in ("seller", "buyer"):
        user = create_user(f"{name}@trading.example.com", TEST_PASSWORD, name, ["trader"])
        db.session.flush()
        tokens[name] = issue_tokens(user)["access_token"]
    market = add_prices(START, [100.0, 20.0], known_at=T0 - timedelta(days=1))
    asset = add_trading_battery(owner, "trading battery", market)
    db.session.get(TradingSetting, asset.id).max_block_quarter_hours = 2
    add_forecast(asset, START, END + timedelta(hours=1), 0.0, made_at=T0 - timedelta(hours=1))
    db.session.commit()
    schedule(asset, START, END + timedelta(hours=1), soc_at_start=0.02)
    return asset.id, tokens


def buy_everything(market: MarketServer, token: str, cert: str) -> None:
    """The buyer bids 40 kW at 0.5 EUR/kWh for the delivery hour: it takes every sell."""
    body = {
        "side": "buy",
        "power": 40000,
        "price": 0.5,
        "delivery_start": START.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "delivery_end": END.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "expiry_time": (T0 + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "location": {"location_id": [None], "country_code": ""},
    }
    answer = requests.post(
        f"{market.url}/api/v1/order/",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
        verify=cert,
        timeout=30,
    )
    assert answer.status_code == 200, answer.text


def contract_statuses() -> set[str]:
    """Every contract status our orders went through, as recorded."""
    query = select(TradingStatusChange.status).where(TradingStatusChange.subject != "order")
    return set(db.session.scalars(query))


@pytest.mark.slow
def test_trading_end_to_end_with_a_dropped_stream_and_a_restart(tmp_path, monkeypatch):
    clock = {"now": T0}
    monkeypatch.setattr("flexmeasures.market.service.utc_now", lambda: clock["now"])
    cert = str(tmp_path / "cert.pem")
    with live_trading(tmp_path) as (market, platform), platform.app_context():
        asset_id, tokens = setup_platform()

        def connector() -> MarketConnector:
            settings = ConnectorSettings(
                market.url, "seller", TEST_PASSWORD, verify=cert, backoff=0.05, max_backoff=0.5
            )
            return MarketConnector(settings)

        sockets: list[Any] = []

        def connect(*args: Any) -> Any:
            sockets.append(_websocket_connect(*args))
            return sockets[-1]

        follower = TradeStreamFollower(connector(), max_failures=2, connect=connect)
        stop = threading.Event()

        def follow() -> None:
            with platform.app_context():
                follower.run(stop)

        thread = threading.Thread(target=follow, daemon=True)
        thread.start()
        try:
            _trade_deliver_and_settle(market, asset_id, tokens, connector(), sockets, clock, cert)
        finally:
            stop.set()
            thread.join(timeout=30)
        assert follower.connections >= 3  # first, after the drop, after the restart


def _trade_deliver_and_settle(market, asset_id, tokens, connector, sockets, clock, cert):
    """The trading day of the end-to-end test (see the module docstring)."""
    plan, counts = place_orders(connector, asset_id, START, END, T0, expected_price=0.2)
    # 10:00-11:00 in two blocks of half an hour
    assert len(plan.orders) == 2 and counts == {"submitted": 2, "failed": 0}
    wait_for(lambda: sockets, "the trade stream")
    sockets[-1].shutdown()  # the stream drops ...
    buy_everything(market, tokens["buyer"], cert)  # ... while the buyer fills every sell
    wait_for(
        lambda: db.session.scalar(select(func.count(Commitment.id))) == 2,
        "every sold block to become a commitment",
    )
    rows = db.session.scalars(select(TradingOrder).order_by(TradingOrder.delivery_start)).all()
    assert [row.status for row in rows] == ["filled"] * 2
    # a retried submit (same idempotency key) answers the first order: nothing sold twice
    assert connector.submit_order(order_body(rows[0]), rows[0].idempotency_key)["order_id"] == (
        rows[0].market_order_id
    )
    again, _ = place_orders(connector, asset_id, START, END, T0, expected_price=0.2)
    assert again.orders == []
    assert (
        db.session.scalar(select(func.count(MarketOrder.id)).where(MarketOrder.side == "sell")) == 2
    )

    market.stop()  # the marketplace restarts ...
    for ws in sockets:
        ws.shutdown()
    market.start()
    clock["now"] = AFTER_DELIVERY  # ... and delivery happens: 10 kW discharged, as sold
    add_measurements(db.session.get(Asset, asset_id), START, END, -0.01)
    db.session.commit()
    assert submit_due_metering(connector, AFTER_DELIVERY) == {"sent": 2, "waiting": 0}

    seller_id = db.session.scalar(select(User.id).where(User.username == "seller"))
    wait_for(
        lambda: cursor(market.url, "seller").last_sequence == latest_sequence("trade", seller_id),
        "the trade stream to resume after the restart",
    )
    contracts = db.session.scalars(select(TradingContract)).all()
    assert len(contracts) == 2
    for contract in contracts:
        assert contract.energy_kwh == pytest.approx(5.0)  # 10 kW for half an hour
        assert len(contract.verification["quarter_hours"]) == 2
        assert contract.status == "settlement_completed_success"
        assert contract.verification["delivered_pct"] == pytest.approx(100)
        assert contract.net_amount_eur == pytest.approx(
            contract.energy_kwh * contract.price_eur_per_kwh
        )
    assert {
        "verification_initiated",
        "verification_completed_success",
        "settlement_initiated",
        "settlement_completed_success",
    } <= contract_statuses()
    assert any("net" in line for line in order_lines(asset_id))
