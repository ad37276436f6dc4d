"""Benchmark: from a trade to its ticker message at 100 WebSocket subscribers.

A live TLS server (werkzeug, threaded, as ``flexmeasures run``) on a schema of its own in
SQLALCHEMY_TEST_DATABASE_URI; 100 ``websocket-client`` connections to ``/api/v1/ws/ticker/``;
then, TRADES times, a sell order and a crossing buy order over HTTPS. Per trade and
subscriber: the time from the commit of the trade (the outbox's on-commit hook) to the
ticker message's arrival, and from the buy's request to that arrival. Run once with the
in-process fan-out and once through Redis (FLEXMEASURES_TEST_REDIS_URL, if it answers).
Writes a Markdown table into benchmarks/README.md ("Market streams"); target: p95 of
trade-to-message < 100 ms.

Run from the repository root: ``python benchmarks/bench_market_streams.py``.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

SUBSCRIBERS = 100
TRADES = 20
TITLE = "Market streams"


class Subscribers:
    """WebSocket clients of the ticker stream, noting when each message arrives."""

    def __init__(self, market: Any, count: int) -> None:
        from tests.market.live_streams import connect, receive

        self.arrivals: dict[int, list[float]] = {}
        self._lock = threading.Lock()
        self._sockets = []
        for _ in range(count):
            ws = connect(market.ws_url("/api/v1/ws/ticker/"), market.tokens["viewer"], timeout=60)
            receive(ws)  # the control message
            self._sockets.append(ws)
        self._threads = [
            threading.Thread(target=self._listen, args=(ws,), daemon=True) for ws in self._sockets
        ]
        for thread in self._threads:
            thread.start()

    def _listen(self, ws: Any) -> None:
        """Note the arrival time of each ticker_update (by sequence) until closed."""
        import json

        import websocket

        try:
            while text := ws.recv():  # "" when closed
                arrived = time.perf_counter()
                message = json.loads(text)
                if message.get("type") == "ticker_update":
                    with self._lock:
                        self.arrivals.setdefault(message["sequence"], []).append(arrived)
        except (websocket.WebSocketException, OSError):
            return

    def wait_for(self, sequence: int, seconds: float = 30) -> None:
        """Wait until every subscriber has the message (at most ``seconds``)."""
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            with self._lock:
                if len(self.arrivals.get(sequence, [])) == len(self._sockets):
                    return
            time.sleep(0.005)
        raise RuntimeError(f"Not every subscriber got ticker message {sequence}.")

    def close(self) -> None:
        """Close every connection."""
        for ws in self._sockets:
            ws.close()


def run(redis_url: str | None) -> dict[str, float]:
    """Trades against a live market with SUBSCRIBERS ticker subscribers; latency stats (ms)."""
    from flexmeasures.config import DEFAULT_TEST_DATABASE_URI
    from flexmeasures.market import outbox
    from tests.market.live_streams import live_market, order, submit

    uri = os.environ.get("SQLALCHEMY_TEST_DATABASE_URI", DEFAULT_TEST_DATABASE_URI)
    commits: dict[int, float] = {}

    def note_commit(messages: list[dict[str, Any]]) -> None:
        for message in messages:
            if message["stream"] == "ticker":
                commits[message["sequence"]] = time.perf_counter()

    outbox.on_commit_listeners.insert(0, note_commit)
    from_commit, from_request = [], []
    try:
        with live_market(uri, redis_url, Path(tempfile.mkdtemp())) as market:
            subscribers = Subscribers(market, SUBSCRIBERS)
            for _ in range(TRADES):
                submit(market, "seller", order("sell", 0.1))
                requested = time.perf_counter()
                submit(market, "buyer", order("buy", 0.1))
                sequence = max(commits)
                subscribers.wait_for(sequence)
                arrivals = subscribers.arrivals[sequence]
                from_commit += [arrived - commits[sequence] for arrived in arrivals]
                from_request += [arrived - requested for arrived in arrivals]
            subscribers.close()
    finally:
        outbox.on_commit_listeners.remove(note_commit)
    return {**stats("commit", from_commit), **stats("request", from_request)}


def stats(name: str, seconds: list[float]) -> dict[str, float]:
    """Median and p95 of the latencies, in milliseconds."""
    ms = sorted(1000 * s for s in seconds)
    return {
        f"{name}_median": statistics.median(ms),
        f"{name}_p95": ms[int(0.95 * (len(ms) - 1))],
    }


def redis_answers(url: str) -> bool:
    """True if a Redis server answers at the URL."""
    from redis import Redis
    from redis.exceptions import RedisError

    try:
        return bool(Redis.from_url(url, socket_connect_timeout=2).ping())
    except RedisError:
        return False


def main() -> None:
    """Run the benchmark with each fan-out and write the results table."""
    from benchmarks.readme import replace_section

    redis_url = os.environ.get("FLEXMEASURES_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    fanouts = {"in-process": None}
    if redis_answers(redis_url):
        fanouts["Redis pub/sub"] = redis_url
    rows = []
    loads = [os.getloadavg()[0]]
    for name, url in fanouts.items():
        result = run(url)
        rows.append(
            f"| {name} | {SUBSCRIBERS} | {TRADES} | {result['commit_median']:.1f} "
            f"| {result['commit_p95']:.1f} | {result['request_median']:.1f} "
            f"| {result['request_p95']:.1f} |"
        )
        print(rows[-1])
        loads.append(os.getloadavg()[0])
    replace_section(TITLE, section_text(rows, max(loads)))


def section_text(rows: list[str], load: float) -> str:
    """The README section: what was measured, and the table; ``load`` is the highest
    1-minute load average seen during the run."""
    return "\n".join(
        [
            "`python benchmarks/bench_market_streams.py`: a live TLS server (werkzeug, threaded),",
            f"{SUBSCRIBERS} WebSocket subscribers of the ticker stream (`websocket-client`, in the",
            f"same process), {TRADES} trades (a sell, then a crossing buy over HTTPS). Latency",
            "per trade and subscriber, in ms: from the commit of the trade to the ticker",
            "message's arrival (target: p95 < 100 ms), and from the buy's request (matching and",
            "commit included). 2 cores, shared with the other work on the machine (1-minute",
            f"load average up to {load:.1f} during the recorded run).",
            "",
            "| fan-out | subscribers | trades | commit→message median | p95 "
            "| request→message median | p95 |",
            "|---|---|---|---|---|---|---|",
            *rows,
        ]
    )


if __name__ == "__main__":
    main()
