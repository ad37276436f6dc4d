"""Benchmark: 20 concurrent clients posting one day of 15-minute meter data each.

Starts FlexMeasures under gunicorn on 127.0.0.1 (production settings, PostgreSQL from
SQLALCHEMY_TEST_DATABASE_URI, which is wiped), creates one connection per client, and lets
each client post consecutive days for its own connection for a fixed number of requests.
Prints throughput (values/s), latency percentiles and the error count as a Markdown table.

Only loopback traffic; the request loop is bounded in count and time.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from benchmarks.bench_api_timeseries import make_app
from flexmeasures.config import DEFAULT_TEST_DATABASE_URI, TestingConfig
from flexmeasures.data import db

CLIENTS = 20
REQUESTS_PER_CLIENT = 15
PORT = 5099
DEADLINE_SECONDS = 120


def set_up(app) -> list[str]:
    """One MDC user and one charging station per client; returns their addresses."""
    from flexmeasures.data.models import Asset
    from flexmeasures.data.services.structure import add_default_structure
    from flexmeasures.data.services.users import create_user

    with app.app_context():
        add_default_structure()
        user = create_user("mdc@example.com", "benchmark-password", "mdc", roles=["MDC"])
        assets = [
            Asset(
                name=f"CS {i}",
                asset_type_name="charging_station",
                capacity_in_mw=1,
                latitude=52,
                longitude=4,
                owner=user,
                unit="MW",
                event_resolution=timedelta(minutes=15),
            )
            for i in range(CLIENTS)
        ]
        db.session.add_all(assets)
        db.session.commit()
        return [f"ea1.2018-06.localhost:{a.owner_id}:{a.id}" for a in assets]


def request_token() -> str:
    """A token from the running server (it signs with its own secret key)."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{PORT}/api/requestAuthToken",
        data=json.dumps({"email": "mdc@example.com", "password": "benchmark-password"}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())["auth_token"]


def post_day(address: str, token: str, day: int) -> float:
    """Post one day of values for a connection; returns the latency in seconds."""
    start = datetime(2021, 1, 1, tzinfo=UTC) + timedelta(days=day)
    body = json.dumps(
        {
            "type": "PostMeterDataRequest",
            "connection": address,
            "values": [round(0.01 * i, 2) for i in range(96)],
            "start": start.isoformat(),
            "duration": "P1D",
            "unit": "MW",
        }
    ).encode()
    request = urllib.request.Request(
        f"http://localhost:{PORT}/api/v2_0/postMeterData",
        data=body,
        headers={"Content-Type": "application/json", "Authorization": token},
    )
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200, response.read()
    return time.perf_counter() - started


def client_run(address: str, token: str, deadline: float) -> tuple[list[float], int]:
    """Post REQUESTS_PER_CLIENT consecutive days; returns latencies and the error count."""
    latencies, errors = [], 0
    for day in range(REQUESTS_PER_CLIENT):
        if time.monotonic() > deadline:
            break
        try:
            latencies.append(post_day(address, token, day))
        except Exception:  # any failure counts as an error in the report
            errors += 1
    return latencies, errors


def start_server(uri: str, port: int = PORT) -> subprocess.Popen:
    """Start gunicorn with 2 workers x 4 threads on 127.0.0.1:``port``, and wait until it
    answers."""
    env = {
        **os.environ,
        "SQLALCHEMY_DATABASE_URI": uri,
        # The users were made by the testing app: hash and sign the way it does.
        "SECRET_KEY": TestingConfig.SECRET_KEY,
        "SECURITY_PASSWORD_SALT": TestingConfig.SECURITY_PASSWORD_SALT,
        "FLEXMEASURES_ENV": "production",
        "LOGGING_LEVEL": "WARNING",
    }
    server = subprocess.Popen(
        [
            "gunicorn",
            "-w",
            "2",
            "--threads",
            "4",
            "-b",
            f"127.0.0.1:{port}",
            "flexmeasures.app:create_app()",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/", timeout=1)
            return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise RuntimeError("gunicorn did not start")


def main() -> None:
    """Run the clients against a fresh server and print the results table."""
    uri = os.environ.get("SQLALCHEMY_TEST_DATABASE_URI", DEFAULT_TEST_DATABASE_URI)
    addresses = set_up(make_app())
    server = start_server(uri)
    try:
        token = request_token()
        clients = [(address, token) for address in addresses]
        deadline = time.monotonic() + DEADLINE_SECONDS
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
            results = list(pool.map(lambda c: client_run(*c, deadline), clients))
        elapsed = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(timeout=10)
    latencies = sorted(latency for result in results for latency in result[0])
    errors = sum(result[1] for result in results)
    p95 = latencies[int(0.95 * (len(latencies) - 1))]
    print("| clients | requests | errors | values/s | median latency (s) | p95 latency (s) |")
    print("|---|---|---|---|---|---|")
    print(
        f"| {CLIENTS} | {len(latencies)} | {errors} | {len(latencies) * 96 / elapsed:,.0f} | "
        f"{statistics.median(latencies):.3f} | {p95:.3f} |"
    )


if __name__ == "__main__":
    main()
