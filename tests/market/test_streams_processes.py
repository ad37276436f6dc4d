"""The streams across server processes: gunicorn (threaded worker) and ``flexmeasures run``
serving TLS themselves, each getting, through Redis, the stream messages committed by
another process (the test's own live server), and answering pings while it streams them
(the server reads in one thread and sends in another, which over TLS must take turns)."""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from typing import IO

import pytest
import requests

from flexmeasures.data import db
from flexmeasures.market.outbox import record_stream_message
from tests.conftest import TEST_DATABASE_URI, TEST_REDIS_URL
from tests.live_server import CLI, ROOT, process_env, stop_process

from .live_streams import Market, connect, receive, receive_until_pong

pytestmark = pytest.mark.slow


@pytest.fixture
def market(live_tls_market) -> Market:
    """The shared live TLS marketplace (tests/market/conftest.py)."""
    return live_tls_market


def free_port() -> int:
    """A TCP port that is free now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def server_process(command: list[str], market: Market, port: int, **settings: str):
    """Run a server process on the market's schema, Redis and pub/sub channel until it
    answers HTTPS on the port (at most 60 s); stop it afterwards."""
    channel = market.app.config["FLEXMEASURES_MARKET_STREAMS_CHANNEL"]
    env = process_env(
        TEST_DATABASE_URI,
        market.schema,
        TEST_REDIS_URL,
        FLEXMEASURES_MARKET_STREAMS_CHANNEL=channel,
        **settings,
    )
    log = tempfile.TemporaryFile()
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_until_served(process, f"https://127.0.0.1:{port}", market, log)
        yield f"127.0.0.1:{port}"
    finally:
        stop_process(process)


def _wait_until_served(process: subprocess.Popen, url: str, market: Market, log: IO[bytes]) -> None:
    """Wait until the process answers HTTPS (with the market's certificate) at the URL;
    fail (with the end of its output) if it ends or takes 60 s."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            requests.get(f"{url}/api/ops/ping", verify=str(market.cert_file), timeout=5)
            return
        except (requests.ConnectionError, requests.Timeout):
            time.sleep(0.2)
    log.seek(0)
    output = log.read().decode(errors="replace")[-2000:]
    raise RuntimeError(f"The server did not start (exit code {process.poll()}):\n{output}")


def record_ticker(market: Market, price: float) -> int:
    """Commit a ticker message in the test's process; its sequence."""
    with market.app.app_context():
        row = record_stream_message(db.session, "ticker", {"type": "ticker_update", "price": price})
        db.session.commit()
        return row.sequence


def assert_streams_from_another_process(market: Market, address: str, query: bool) -> None:
    """A ticker client of the server at ``address`` gets a message committed here."""
    ws = connect(f"wss://{address}/api/v1/ws/ticker/", market.tokens["viewer"], query)
    control = receive(ws)
    assert control["type"] == "control" and control["status"] == "success"
    sequence = record_ticker(market, 0.42)
    message = receive(ws)
    assert message["sequence"] == sequence == control["data"]["sequence"] + 1
    assert message["price"] == 0.42
    assert_pings_are_answered_while_messages_stream(market, ws)
    ws.close()


def assert_pings_are_answered_while_messages_stream(market: Market, ws, count: int = 100) -> None:
    """While ``count`` ticker messages are committed here, the client pings again and again:
    every ping gets its pong, and every message arrives, in order (over TLS, a read and a
    write of the server at the same time break the session: "bad record mac", or a lost
    connection)."""
    sender = threading.Thread(target=lambda: [record_ticker(market, n) for n in range(count)])
    sender.start()
    messages: list[dict] = []
    try:
        while len(messages) < count:
            ws.ping(b"ok")
            assert receive_until_pong(ws, messages) == b"ok"
    finally:
        sender.join()
    assert [message["price"] for message in messages] == list(range(count))


def test_gunicorn_serves_the_streams_over_tls_fanned_out_through_redis(market):
    port = free_port()
    command = [sys.executable, "-m", "gunicorn", "--worker-class", "gthread", "--threads", "8"]
    command += ["--bind", f"127.0.0.1:{port}", "--certfile", str(market.cert_file)]
    command += ["--keyfile", str(market.key_file), "flexmeasures.app:create_app()"]
    with server_process(command, market, port) as address:
        assert_streams_from_another_process(market, address, query=False)


def test_flexmeasures_run_serves_the_streams_over_tls_fanned_out_through_redis(market):
    port = free_port()
    with server_process(
        [*CLI, "run", "--port", str(port)],
        market,
        port,
        FLEXMEASURES_TLS_CERT_FILE=str(market.cert_file),
        FLEXMEASURES_TLS_KEY_FILE=str(market.key_file),
    ) as address:
        assert_streams_from_another_process(market, address, query=True)
