"""The real FlexMeasures client (flexmeasures-client 0.9.6) against a live server: token,
assets, sensors, sensor data with unit conversion, a battery schedule computed by a real
worker, and the job's status."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from flexmeasures_client import FlexMeasuresClient
from redis import Redis

from flexmeasures.data import db
from flexmeasures.data.services.structure import add_default_structure
from flexmeasures.data.services.users import create_user
from tests.conftest import TEST_DATABASE_URI, TEST_PASSWORD, TEST_REDIS_URL
from tests.live_server import (
    LiveServer,
    migrated_app,
    recreate_schema,
    serve,
    start_worker,
    stop_process,
)

SCHEMA = "live_client_test"
START = "2026-01-05T00:00:00+01:00"
# Hourly prices (EUR/kWh): cheap first, expensive last.
PRICES_EUR_PER_KWH = [0.01, 0.02, 0.03, 0.20, 0.25, 0.30]


@pytest.fixture(scope="module")
def live_server() -> Iterator[LiveServer]:
    """A live server on a schema of its own, with the standard structure and two users
    (admin@live-example.org, an admin, and prosumer@live-example.org), and a scheduling worker."""
    uri = TEST_DATABASE_URI
    Redis.from_url(TEST_REDIS_URL).flushdb()
    app = migrated_app(uri, SCHEMA, TEST_REDIS_URL)
    with app.app_context():
        add_default_structure()
        create_user("admin@live-example.org", TEST_PASSWORD, "live-admin", roles=["admin"])
        create_user("prosumer@live-example.org", TEST_PASSWORD, "live-prosumer", roles=["Prosumer"])
        db.session.commit()
        db.session.remove()
    worker = start_worker(uri, SCHEMA, TEST_REDIS_URL)
    servers = serve(app)
    try:
        yield next(servers)
    finally:
        servers.close()
        stop_process(worker)
        recreate_schema(TEST_DATABASE_URI, SCHEMA, drop_only=True)
        Redis.from_url(TEST_REDIS_URL).flushdb()


def client_for(server: LiveServer, email: str) -> FlexMeasuresClient:
    """A client with short retry intervals (the schedule is polled until it is ready)."""
    return FlexMeasuresClient(
        email=email,
        password=TEST_PASSWORD,
        host=server.address,
        request_retry_interval=0.2,
        request_timeout=30,
    )


async def _exercise(server: LiveServer, csv: Path) -> dict:
    """Go through what an integration does with the client; return what it got."""
    client = client_for(server, "admin@live-example.org")
    seen: dict = {"csv": csv}
    try:
        await client.get_access_token()
        seen["token"] = client.access_token
        seen["account"] = await client.get_account()
        seen["types"] = await client.get_asset_types()
        battery_type = next(t["id"] for t in seen["types"] if t["name"] == "battery")
        asset = await client.add_asset(
            name="Live battery",
            account_id=seen["account"]["id"],
            latitude=52.0,
            longitude=4.4,
            generic_asset_type_id=battery_type,
            flex_model={"soc-max": "2 MWh"},
            attributes={"site": "lab"},
        )
        seen["asset"] = asset
        seen["sensor"] = await client.add_sensor(
            name="temperature",
            event_resolution="PT15M",
            unit="°C",
            generic_asset_id=asset["id"],
            attributes={"kind": "ambient"},
        )
        seen["assets"] = await client.get_assets(parse_json_fields=True)
        seen["sensors"] = await client.get_sensors(asset_id=asset["id"], parse_json_fields=True)
        seen["market"] = asset["market_id"]
        await _post_and_get_data(client, seen)
        await _schedule(client, seen)
        await client.delete_sensor(seen["sensor"]["id"], confirm_first=False)
        await client.delete_asset(asset["id"], confirm_first=False)
        seen["assets_after_delete"] = await client.get_assets(parse_json_fields=True)
    finally:
        await client.close()
    return seen


async def _post_and_get_data(client: FlexMeasuresClient, seen: dict) -> None:
    """Prices in EUR/kWh to the market (stored in EUR/MWh), read back in both units; and
    temperatures to the new sensor."""
    seen["posted"] = await client.post_sensor_data(
        sensor_id=seen["market"],
        start=START,
        duration="PT6H",
        values=PRICES_EUR_PER_KWH,
        unit="EUR/kWh",
    )
    seen["prices_per_mwh"] = await client.get_sensor_data(
        seen["market"], START, "PT6H", unit="EUR/MWh", resolution="PT1H"
    )
    seen["prices_per_kwh"] = await client.get_sensor_data(
        seen["market"], START, "PT6H", unit="EUR/kWh", resolution="PT1H"
    )
    await client.post_sensor_data(
        sensor_id=seen["sensor"]["id"],
        start=START,
        duration="PT30M",
        values=[3.5, 4.0],
        unit="°C",
    )
    seen["uploaded"] = await client.post_sensor_data(
        sensor_id=seen["sensor"]["id"],
        file_path=str(seen["csv"]),
        belief_time_measured_instantly=True,
    )
    seen["temperatures"] = await client.get_sensor_data(
        seen["sensor"]["id"], START, "PT45M", unit="°C", resolution="PT15M"
    )


async def _schedule(client: FlexMeasuresClient, seen: dict) -> None:
    """Trigger the battery's schedule, get it (polling until the worker has made it) and
    read the job's status."""
    battery = seen["asset"]["id"]
    flex_model = {
        "soc-at-start": "0.5 MWh",
        "soc-min": "0 MWh",
        "soc-max": "2 MWh",
        "power-capacity": "1000 kW",
    }
    job_id = await client.trigger_schedule(
        sensor_id=battery, start=START, duration="PT6H", flex_model=flex_model
    )
    seen["schedule"] = await client.get_schedule(battery, job_id, duration="PT6H")
    seen["job"] = await client.get_job_status(job_id)
    seen["schedule_in_kw"] = await client.trigger_and_get_schedule(
        sensor_id=battery, start=START, duration="PT6H", flex_model=flex_model, unit="kW"
    )


@pytest.mark.slow
def test_the_flexmeasures_client_works_against_a_live_server(live_server, tmp_path):
    csv = tmp_path / "temperature.csv"
    csv.write_text(
        "event_start,event_value\n2026-01-05T00:30:00+01:00,4.5\n2026-01-05T00:45:00+01:00,5\n"
    )
    # A thread of its own: a session-wide Playwright browser (tests/ui/browser), when the same
    # test process ran it first, keeps an event loop running in the main thread.
    with ThreadPoolExecutor(max_workers=1) as thread:
        seen = thread.submit(asyncio.run, _exercise(live_server, csv)).result()
    assert seen["token"]
    assert seen["account"]["name"] == "live-admin"
    asset, sensor = seen["asset"], seen["sensor"]
    assert asset["account_id"] == seen["account"]["id"] and asset["name"] == "Live battery"
    assert asset["id"] in [a["id"] for a in seen["assets"]]
    assert [s["id"] for s in seen["sensors"]] == [asset["id"], sensor["id"]]
    assert seen["sensors"][1]["attributes"] == {"kind": "ambient"}
    assert sensor["generic_asset_id"] == asset["id"] and sensor["event_resolution"] == "PT15M"
    # prices: posted in EUR/kWh, stored and read in EUR/MWh, or back in EUR/kWh
    assert seen["prices_per_mwh"]["unit"] == "EUR/MWh"
    assert seen["prices_per_mwh"]["values"] == pytest.approx([v * 1000 for v in PRICES_EUR_PER_KWH])
    assert seen["prices_per_kwh"]["values"] == pytest.approx(PRICES_EUR_PER_KWH)
    assert seen["temperatures"]["values"] == [3.5, 4.0, 4.5]  # two posted, one uploaded
    # the schedule: charge the 1.5 MWh of room when cheap, discharge all when expensive
    schedule = seen["schedule"]
    assert schedule["unit"] == "MW" and schedule["duration"] == "PT6H"
    assert len(schedule["values"]) == 24
    hours = [sum(schedule["values"][i : i + 4]) / 4 for i in range(0, 24, 4)]
    assert sum(hours[:3]) == pytest.approx(1.5) and sum(hours[3:]) == pytest.approx(-2.0)
    assert seen["job"]["status"] == "FINISHED"
    in_kw = seen["schedule_in_kw"]
    assert in_kw["unit"] == "kW"
    assert in_kw["values"] == pytest.approx([v * 1000 for v in schedule["values"]])
    assert asset["id"] not in [a["id"] for a in seen["assets_after_delete"]]
