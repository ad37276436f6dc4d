"""Benchmark: API v3_0's sensor data against v1.3's meter data, a year at 15 minutes.

Both generations share the parsing, ingest and belief queries, so v3_0 should take no more
than 10 % longer than v1.3 (issue 12). Run with ``make bench`` (or ``python
benchmarks/bench_api_v3_timeseries.py``) against the PostgreSQL database in
SQLALCHEMY_TEST_DATABASE_URI (default: the test database, which is wiped). Prints, and
writes to benchmarks/README.md, the median server times (seconds) and v3_0's ratio.
"""

from __future__ import annotations

import json

from bench_api_timeseries import (
    QUARTERS_PER_YEAR,
    YEAR_START,
    make_app,
    median_seconds,
    set_up_structure,
    year_message,
)
from readme import replace_section

TITLE = "API v3_0: sensor data in and out, against v1.3"


def v3_body(asset_id: int, year_offset: int) -> str:
    """The v3_0 body with the same year of values as v1.3's postMeterData message."""
    message = year_message(asset_id, year_offset)
    return json.dumps({key: message[key] for key in ("start", "duration", "values", "unit")})


def v1_3_body(asset_id: int, year_offset: int) -> str:
    """v1.3's postMeterData message for a year."""
    return json.dumps(year_message(asset_id, year_offset))


def bench_posts(client, headers, asset_id) -> dict[str, float]:
    """Median time to post a year (each run another year), per API version."""
    urls = {
        "v1_3": (
            "/api/v1_3/postMeterData",
            v1_3_body,
            range(1, 10, 2),
        ),  # a year apart: v1.3 records at event ends
        "v3_0": (f"/api/v3_0/sensors/{asset_id}/data", v3_body, range(11, 20, 2)),
    }
    results = {}
    for version, (url, body, years) in urls.items():
        bodies = iter([body(asset_id, offset) for offset in years])

        def post(url=url, bodies=bodies):
            response = client.post(
                url, data=next(bodies), content_type="application/json", headers=headers
            )
            assert response.status_code == 200, response.json

        results[version] = median_seconds(post)
    return results


def bench_gets(client, headers, asset_id) -> dict[str, float]:
    """Median time to get the year 2020 at 15 minutes, per API version."""
    window = {"start": YEAR_START.isoformat(), "duration": f"PT{QUARTERS_PER_YEAR * 15}M"}
    requests = {
        "v1_3": (
            "/api/v1_3/getMeterData",
            {**window, "connection": f"ea1.2018-06.localhost:{asset_id}", "unit": "MW"},
        ),
        "v3_0": (f"/api/v3_0/sensors/{asset_id}/data", {**window, "unit": "MW"}),
    }
    results = {}
    for version, (url, query) in requests.items():

        def get(url=url, query=query):
            response = client.get(url, query_string=query, headers=headers)
            assert response.status_code == 200, response.json
            assert len(response.json["values"]) == QUARTERS_PER_YEAR

        results[version] = median_seconds(get)
    return results


def main() -> None:
    """Run both scenarios for both versions; print and record the table."""
    app = make_app()
    asset_id, token = set_up_structure(app)
    headers = {"Authorization": token}
    client = app.test_client()
    posts = bench_posts(client, headers, asset_id)
    client.post(
        "/api/v1_3/postMeterData",
        data=v1_3_body(asset_id, 0),
        content_type="application/json",
        headers=headers,
    )
    gets = bench_gets(client, headers, asset_id)
    rows = ["| scenario | v1.3 (s) | v3_0 (s) | v3_0 / v1.3 |", "|---|---|---|---|"]
    for name, result in (
        ("POST a year at PT15M (35,136 values)", posts),
        ("GET a year at PT15M", gets),
    ):
        ratio = result["v3_0"] / result["v1_3"]
        rows.append(f"| {name} | {result['v1_3']:.3f} | {result['v3_0']:.3f} | {ratio:.2f} |")
    table = "\n".join(rows)
    print(table)
    replace_section(
        TITLE,
        "Median server times of five requests (Flask test client, PostgreSQL), from "
        "`python benchmarks/bench_api_v3_timeseries.py`. Both versions share the parser, "
        "ingest and belief query; the goal is a ratio of at most 1.10.\n\n" + table,
    )


if __name__ == "__main__":
    main()
