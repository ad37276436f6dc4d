"""Stream examples run as written against a live TLS server: the Python example of
documentation/market-streams.md (host changed), and GLocalFlex's own ``ws_client.py`` when
``FLEXMEASURES_TEST_GLOCALFLEX_CLIENT`` names a checkout of GLocalFlex's example repository
(it is not part of this code base)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from flexmeasures.data import db
from flexmeasures.market.outbox import record_stream_message
from tests.conftest import TEST_PASSWORD

from .live_streams import Market

pytestmark = pytest.mark.slow

DOC = Path(__file__).resolve().parents[2] / "documentation" / "market-streams.md"
DOC_HOST = "localhost:5000"
GLOCALFLEX_CLIENT = os.environ.get("FLEXMEASURES_TEST_GLOCALFLEX_CLIENT")


@pytest.fixture
def market(live_tls_market) -> Market:
    """The shared live TLS marketplace (tests/market/conftest.py)."""
    return live_tls_market


def commit_ticker(market: Market, price: float) -> int:
    """Commit a ticker_update (as a trade does); its sequence."""
    with market.app.app_context():
        message = {"type": "ticker_update", "data": {"price": price}}
        row = record_stream_message(db.session, "ticker", message)
        db.session.commit()
        return row.sequence


def wait_for(condition, what: str, seconds: float = 30) -> None:
    """Wait until the condition holds (checked every 0.05 s); fail after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"Waited {seconds} s for {what}."
        time.sleep(0.05)


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")  # verify=False
def test_the_documented_python_example_runs_as_written(market):
    (example,) = re.findall(r"```python\n(.*?)```", DOC.read_text(), re.S)
    code = example.replace(DOC_HOST, market.servers[0].address)
    namespace = {"YOUR_USERNAME": "viewer", "YOUR_PASSWORD": TEST_PASSWORD, "MESSAGES": 2}
    listener = threading.Thread(target=exec, args=(code, namespace), daemon=True)
    listener.start()
    wait_for(lambda: len(namespace.get("received", [])) == 1, "the control message")
    sequence = commit_ticker(market, 0.3)
    listener.join(timeout=30)
    assert not listener.is_alive()
    control, ticker = namespace["received"]
    assert control["type"] == "control" and control["status"] == "success"
    assert ticker == {"type": "ticker_update", "data": {"price": 0.3}, "sequence": sequence}


@pytest.mark.skipif(not GLOCALFLEX_CLIENT, reason="FLEXMEASURES_TEST_GLOCALFLEX_CLIENT not set")
def test_glocalflexs_websocket_client_runs_as_published(market, tmp_path):
    script = Path(GLOCALFLEX_CLIENT or "") / "ws_client" / "ws_client.py"
    host, port = market.servers[0].address.split(":")
    output = tmp_path / "client.out"
    with output.open("wb") as out:
        client = subprocess.Popen(
            [sys.executable, "-u", str(script), "--host", host, "--port", port, "-u", "viewer"]
            + ["-p", TEST_PASSWORD, "-t", "/api/v1/ws/ticker/"],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_for(lambda: "Connected to the WebSocket API" in output.read_text(), "control")
            sequence = commit_ticker(market, 0.7)
            wait_for(lambda: f'"sequence": {sequence}' in output.read_text(), "the ticker")
        finally:
            client.terminate()
            client.wait(timeout=10)
    assert '"price": 0.7' in output.read_text()
