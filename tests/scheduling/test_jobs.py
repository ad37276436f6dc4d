"""Scheduling jobs against the real database and Redis: failures are recorded with their
reason, retries do not duplicate beliefs, events expire after the planning TTL, daylight
saving days have the right number of steps, one-way chargers never discharge, targets that
cannot be met are explained to the Prosumer, and every installed solver agrees."""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
import pytest
from rq.job import Job, JobStatus
from sqlalchemy import delete, func, select

from flexmeasures.data.ingest import save_beliefs
from flexmeasures.data.models import Asset, DataSource, Market, TimedBelief
from flexmeasures.jobs import make_worker
from flexmeasures.scheduling import available_solvers
from flexmeasures.scheduling.jobs import (
    SCHEDULER_SOURCE,
    enqueue_schedule,
    job_failure_reason,
    make_schedule,
    scheduler_source_id,
)
from tests.api.auth_routes import get_token

QUARTER = timedelta(minutes=15)
DAY_START = pd.Timestamp("2015-06-02T00:00:00Z")
SOC_TIME = "2015-06-02T10:00:00+00:00"


def add_prices(db, market: Market, start: str, hourly_prices: list[float]) -> None:
    """Save hourly prices (EUR/MWh) of the market from ``start`` on, as a script's forecasts."""
    source = DataSource(name="price forecaster", type="script")
    db.session.add(source)
    db.session.flush()
    hours = pd.date_range(
        pd.Timestamp(start).tz_convert("UTC"), periods=len(hourly_prices), freq="1h"
    )
    save_beliefs(
        pd.DataFrame(
            {
                "sensor_id": market.id,
                "event_start": hours,
                "belief_horizon": timedelta(hours=24),
                "source_id": source.id,
                "event_value": hourly_prices,
            }
        )
    )


def add_storage_asset(db, owner, asset_type_name: str = "battery", **fields) -> Asset:
    """A 2 MW, 0-5 MWh storage asset at 15 minutes on the epex_da market (flushed)."""
    market = db.session.scalar(select(Market).filter_by(name="epex_da"))
    settings = dict(
        name=asset_type_name,
        asset_type_name=asset_type_name,
        capacity_in_mw=2,
        min_soc_in_mwh=0,
        max_soc_in_mwh=5,
        latitude=52,
        longitude=4,
        owner=owner,
        market_id=market.id,
        unit="MW",
        event_resolution=QUARTER,
        timezone="Europe/Amsterdam",
    )
    asset = Asset(**{**settings, **fields})
    db.session.add(asset)
    db.session.flush()
    return asset


def cheap_late_morning(days: int = 3) -> list[float]:
    """Hourly prices from 2015-06-02 00:00 UTC: 10 EUR/MWh from 10:00 to 12:00 on the
    first day, 50 otherwise."""
    return [10.0 if 10 <= hour < 12 else 50.0 for hour in range(24 * days)]


@pytest.fixture
def market(db, structure) -> Market:
    return db.session.scalar(select(Market).filter_by(name="epex_da"))


@pytest.fixture
def battery(db, users, market) -> Asset:
    asset = add_storage_asset(db, users["prosumer"])
    add_prices(db, market, "2015-06-02T00:00:00Z", cheap_late_morning())
    db.session.commit()
    return asset


def schedule_beliefs(db, asset: Asset) -> pd.DataFrame:
    """Every belief of the scheduler about the asset (not only the most recent)."""
    rows = db.session.execute(
        select(TimedBelief.event_start, TimedBelief.belief_horizon, TimedBelief.event_value)
        .where(TimedBelief.sensor_id == asset.id, TimedBelief.source_id == scheduler_source_id())
        .order_by(TimedBelief.event_start)
    ).all()
    return pd.DataFrame(rows, columns=["event_start", "belief_horizon", "event_value"])


def work_off_scheduling_queue() -> None:
    make_worker(["scheduling"]).work(burst=True)


def event(asset: Asset, event_id: int, event_type: str = "soc") -> str:
    return f"ea1.2018-06.localhost:{asset.owner_id}:{asset.id}:{event_id}:{event_type}"


def post_soc(client, token, asset, event_id, value=0.0, targets=None, version="v1_3"):
    """Post a state of charge (MWh) at SOC_TIME, with targets [(ISO time, MWh)] if given."""
    message = {
        "type": "PostUdiEventRequest",
        "event": event(asset, event_id, "soc-with-targets" if targets else "soc"),
        "value": value,
        "unit": "MWh",
        "datetime": SOC_TIME,
    }
    if targets:
        message["targets"] = [{"datetime": moment, "value": mwh} for moment, mwh in targets]
    response = client.post(
        f"/api/{version}/postUdiEvent", json=message, headers={"Authorization": token}
    )
    assert response.status_code == 200, response.json
    return message["event"]


def device_message(client, token, address, version="v1_3", duration="PT6H"):
    return client.get(
        f"/api/{version}/getDeviceMessage",
        query_string={"event": address, "duration": duration},
        headers={"Authorization": token},
    )


@pytest.fixture
def prosumer_token(client, users) -> str:
    return get_token(client, users["prosumer"].email)


# --- failures and retries ---------------------------------------------------------------


def test_failed_job_is_recorded_with_its_reason_and_reported(
    app, db, client, prosumer_token, queues, battery
):
    address = post_soc(client, prosumer_token, battery, 1)
    job_id = app.redis_connection.get(f"flexmeasures:udi-event:{battery.id}:1").decode()
    db.session.execute(delete(TimedBelief).where(TimedBelief.sensor_id == battery.market_id))
    db.session.commit()  # the prices are gone before a worker takes the job

    work_off_scheduling_queue()

    job = Job.fetch(job_id, connection=app.redis_connection)
    assert job.get_status() == JobStatus.FAILED
    assert job.id in queues["scheduling"].failed_job_registry.get_job_ids()
    error_class, reason = job_failure_reason(job)
    assert error_class == "MissingPricesError"
    assert reason == ("No prices are known for 2015-06-02 10:00 UTC to 2015-06-04 10:00 UTC.")
    response = device_message(client, prosumer_token, address)
    assert response.status_code == 400
    assert response.json["status"] == "UNKNOWN_PRICES"
    assert response.json["message"] == f"Scheduling job failed: {reason}"


def test_failed_job_saves_nothing(db, queues, battery):
    start = datetime.fromisoformat(SOC_TIME)
    job = enqueue_schedule(battery.id, start, start + timedelta(days=3), 0.0)  # 1 day unpriced

    work_off_scheduling_queue()

    assert job.get_status(refresh=True) == JobStatus.FAILED
    assert "2015-06-05 00:00 UTC to 2015-06-05 10:00 UTC" in job_failure_reason(job)[1]
    assert schedule_beliefs(db, battery).empty


def test_retried_jobs_overwrite_instead_of_duplicating(db, market, queues, battery):
    start = datetime.fromisoformat(SOC_TIME)
    job = enqueue_schedule(battery.id, start, start + timedelta(days=2), 0.0)
    work_off_scheduling_queue()
    first = schedule_beliefs(db, battery)
    assert job.get_status(refresh=True) == JobStatus.FINISHED
    assert len(first) == 192

    queues["scheduling"].enqueue_job(job)  # the same job once more, as after a crash
    work_off_scheduling_queue()

    again = schedule_beliefs(db, battery)
    assert job.get_status(refresh=True) == JobStatus.FINISHED
    pd.testing.assert_frame_equal(again, first)


def test_requeued_failed_job_saves_one_schedule(db, market, queues, battery):
    start = datetime.fromisoformat("2015-06-04T10:00:00+00:00")
    job = enqueue_schedule(battery.id, start, start + timedelta(days=1), 0.0)
    work_off_scheduling_queue()
    assert job.get_status(refresh=True) == JobStatus.FAILED  # prices end at 06-05 00:00
    add_prices(db, market, "2015-06-05T00:00:00Z", [20.0] * 24)
    db.session.commit()

    queues["scheduling"].failed_job_registry.requeue(job.id)
    work_off_scheduling_queue()

    assert job.get_status(refresh=True) == JobStatus.FINISHED
    assert job.return_value()["steps"] == 96
    assert len(schedule_beliefs(db, battery)) == 96
    sources = select(func.count()).select_from(DataSource).filter_by(**SCHEDULER_SOURCE)
    assert db.session.scalar(sources) == 1


def test_schedule_may_start_within_a_price_hour(db, client, prosumer_token, queues, battery):
    address = post_soc(client, prosumer_token, battery, 9)
    message = {"event": address.replace(":9:", ":10:"), "datetime": "2015-06-02T10:20:00Z"}
    response = client.post(
        "/api/v1_3/postUdiEvent",
        json={"type": "PostUdiEventRequest", "value": 0, "unit": "MWh", **message},
        headers={"Authorization": prosumer_token},
    )
    assert response.status_code == 200, response.json
    work_off_scheduling_queue()

    response = device_message(client, prosumer_token, message["event"], duration="PT1H45M")

    assert response.status_code == 200, response.json
    assert response.json["start"] == "2015-06-02T10:15:00+00:00"  # floored to the resolution
    assert response.json["values"] == pytest.approx([2.0] * 7, abs=1e-6)  # cheap until 12:00


# --- the planning TTL --------------------------------------------------------------------


def test_event_is_kept_for_the_planning_ttl(app, client, prosumer_token, queues, battery):
    post_soc(client, prosumer_token, battery, 2)
    key = f"flexmeasures:udi-event:{battery.id}:2"
    job = Job.fetch(app.redis_connection.get(key).decode(), connection=app.redis_connection)
    ttl = app.config["FLEXMEASURES_PLANNING_TTL"].total_seconds()
    assert ttl - 5 < app.redis_connection.ttl(key) <= ttl
    work_off_scheduling_queue()
    assert ttl - 5 < app.redis_connection.ttl(job.key) <= ttl  # the job and its result


@pytest.mark.parametrize("expired", ["event key", "job"])
def test_expired_event_is_unrecognized(app, client, prosumer_token, queues, battery, expired):
    address = post_soc(client, prosumer_token, battery, 3)
    work_off_scheduling_queue()
    assert device_message(client, prosumer_token, address).status_code == 200
    key = f"flexmeasures:udi-event:{battery.id}:3"
    if expired == "job":
        Job.fetch(app.redis_connection.get(key).decode(), connection=app.redis_connection).delete()
    else:
        app.redis_connection.delete(key)  # what Redis does when the TTL has passed

    response = device_message(client, prosumer_token, address)

    assert response.status_code == 400
    assert response.json["status"] == "UNRECOGNIZED_UDI_EVENT"


def test_a_tiny_ttl_is_what_redis_keeps(app, client, prosumer_token, queues, battery, monkeypatch):
    monkeypatch.setitem(app.config, "FLEXMEASURES_PLANNING_TTL", timedelta(seconds=30))
    post_soc(client, prosumer_token, battery, 4)
    key = f"flexmeasures:udi-event:{battery.id}:4"
    assert 0 < app.redis_connection.ttl(key) <= 30
    job = Job.fetch(app.redis_connection.get(key).decode(), connection=app.redis_connection)
    work_off_scheduling_queue()
    assert 0 < app.redis_connection.ttl(job.key) <= 30


# --- daylight saving time ----------------------------------------------------------------


@pytest.mark.parametrize("day, steps", [("2021-03-28", 92), ("2021-10-31", 100)])
def test_daylight_saving_day_has_its_steps_and_meets_a_target_at_local_midnight(
    db, users, market, day, steps
):
    asset = add_storage_asset(db, users["prosumer"])
    start = pd.Timestamp(day, tz="Europe/Amsterdam")
    end = start + pd.DateOffset(days=1)
    hours = int((end - start) / timedelta(hours=1))
    assert hours * 4 == steps
    add_prices(db, market, start.isoformat(), [30.0 + (hour % 5) for hour in range(hours)])
    db.session.commit()

    summary = make_schedule(
        asset.id, start.to_pydatetime(), end.to_pydatetime(), 1.0, [(end.to_pydatetime(), 4.0)]
    )

    assert summary["status"] == "optimal" and summary["steps"] == steps
    saved = schedule_beliefs(db, asset)
    assert len(saved) == steps
    assert saved["event_start"].iloc[0] == start.tz_convert("UTC")
    assert 1.0 + saved["event_value"].sum() * 0.25 == pytest.approx(4.0, abs=1e-6)


# --- what the Prosumer sees ----------------------------------------------------------------


def test_one_way_evse_never_discharges_through_the_api(
    db, client, prosumer_token, users, market, queues
):
    charger = add_storage_asset(db, users["prosumer"], "one-way_evse", name="charger")
    add_prices(db, market, "2015-06-02T00:00:00Z", [100.0 if h % 6 < 3 else 5.0 for h in range(72)])
    db.session.commit()
    address = post_soc(client, prosumer_token, charger, 5, value=4.0)
    work_off_scheduling_queue()

    response = device_message(client, prosumer_token, address, duration="PT48H")

    assert response.status_code == 200, response.json
    values = response.json["values"]
    assert len(values) == 192 and min(values) >= 0
    assert response.json["message"] == "Request has been processed."


def test_unmeetable_target_is_explained_in_the_message(client, prosumer_token, queues, battery):
    address = post_soc(
        client, prosumer_token, battery, 6, value=1.0, targets=[("2015-06-02T11:00:00Z", 4.0)]
    )
    work_off_scheduling_queue()

    response = device_message(client, prosumer_token, address, version="v2_0")

    assert response.status_code == 200, response.json
    assert response.json["status"] == "PROCESSED"
    message = response.json["message"]
    assert message.startswith("Request has been processed. This schedule cannot meet every target")
    assert "The target of 4 MWh at 2015-06-02 11:00 UTC needs 1 MWh more" in message
    assert "missed: 3 MWh, 1 MWh short." in message
    assert response.json["values"][:4] == pytest.approx([2.0] * 4, abs=1e-6)  # does its best


def test_met_targets_say_nothing_more(client, prosumer_token, queues, battery):
    address = post_soc(
        client, prosumer_token, battery, 7, value=1.0, targets=[("2015-06-02T16:00:00Z", 4.0)]
    )
    work_off_scheduling_queue()

    response = device_message(client, prosumer_token, address, version="v2_0")

    assert response.json["message"] == "Request has been processed."


def test_v1_2_explains_unmeetable_limits_too(client, prosumer_token, battery):
    # a state of charge above the maximum: the schedule can only bring it down
    address = post_soc(client, prosumer_token, battery, 8, value=6.0, version="v1_2")

    response = device_message(client, prosumer_token, address, version="v1_2")

    assert response.status_code == 200, response.json
    assert "cannot meet every target" in response.json["message"]
    assert "maximum state of charge of 5 MWh" in response.json["message"]


# --- solvers -------------------------------------------------------------------------------


@pytest.mark.skipif("cbc" not in available_solvers(), reason="CBC is not installed")
def test_cbc_and_highs_agree_through_the_job(app, db, battery, monkeypatch):
    start = datetime.fromisoformat(SOC_TIME)
    arguments = (
        battery.id,
        start,
        start + timedelta(days=1),
        1.0,
        [(start + timedelta(hours=8), 5.0)],
    )
    costs = {}
    for solver in ("highs", "cbc"):
        monkeypatch.setitem(app.config, "FLEXMEASURES_LP_SOLVER", solver)
        summary = make_schedule(*arguments)
        assert summary["solver"] == solver and summary["status"] == "optimal"
        costs[solver] = summary["expected_cost"]
    assert costs["cbc"] == pytest.approx(costs["highs"], rel=1e-6)
    assert len(schedule_beliefs(db, battery)) == 96  # the second run overwrote the first
