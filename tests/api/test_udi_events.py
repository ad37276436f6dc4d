"""Flexibility constraints and control signals: postUdiEvent and getDeviceMessage in
v1.2 (schedule computed on request) and v1.3/v2.0 (scheduling jobs on the queue)."""

from __future__ import annotations

import json
from datetime import timedelta

import pandas as pd
import pytest
from sqlalchemy import select

from flexmeasures.data.ingest import save_beliefs
from flexmeasures.data.models import Asset, DataSource, Market
from flexmeasures.data.services.users import create_user
from flexmeasures.jobs import make_worker
from tests.conftest import TEST_PASSWORD

from .auth_routes import get_token

SOC_TIME = "2015-06-02T10:00:00+00:00"


@pytest.fixture
def battery(db, structure, users) -> Asset:
    """A 2 MW, 5 MWh battery of the prosumer on the epex_da market, with two days of prices:
    cheap from 10:00 to 12:00 on the first day, expensive otherwise."""
    market = db.session.scalar(select(Market).filter_by(name="epex_da"))
    asset = Asset(
        name="battery",
        asset_type_name="battery",
        capacity_in_mw=2,
        min_soc_in_mwh=0,
        max_soc_in_mwh=5,
        latitude=52,
        longitude=4,
        owner=users["prosumer"],
        market_id=market.id,
        unit="MW",
        event_resolution=timedelta(minutes=15),
    )
    db.session.add(asset)
    hours = pd.date_range("2015-06-02T00:00:00Z", periods=72, freq="1h")
    prices = [10.0 if 10 <= hour.hour < 12 and hour.day == 2 else 50.0 for hour in hours]
    source = DataSource(name="prices", type="script")
    db.session.add(source)
    db.session.flush()
    save_beliefs(
        pd.DataFrame(
            {
                "sensor_id": market.id,
                "event_start": hours,
                "belief_horizon": timedelta(hours=24),
                "source_id": source.id,
                "event_value": prices,
            }
        )
    )
    db.session.commit()
    return asset


def event(asset: Asset, event_id: int, event_type: str = "soc") -> str:
    return f"ea1.2018-06.localhost:{asset.owner_id}:{asset.id}:{event_id}:{event_type}"


def soc_message(asset, event_id, value=0.0, unit="MWh", **extra):
    return {
        "type": "PostUdiEventRequest",
        "event": event(asset, event_id),
        "value": value,
        "unit": unit,
        "datetime": SOC_TIME,
        **extra,
    }


def prosumer(tokens):
    return {"Authorization": tokens["prosumer"]}


def work_off_scheduling_queue():
    make_worker(["scheduling"]).work(burst=True)


@pytest.mark.parametrize("version", ["v1_3", "v2_0"])
def test_posted_soc_is_scheduled_by_a_job(client, tokens, queues, battery, version):
    posted = client.post(
        f"/api/{version}/postUdiEvent", json=soc_message(battery, 203), headers=prosumer(tokens)
    )
    assert posted.status_code == 200, posted.json
    assert posted.json["type"] == "PostUdiEventResponse"
    query = {"event": event(battery, 203)}
    waiting = client.get(
        f"/api/{version}/getDeviceMessage", query_string=query, headers=prosumer(tokens)
    )
    assert waiting.status_code == 400
    assert waiting.json["status"] == "UNKNOWN_SCHEDULE"
    work_off_scheduling_queue()
    message = client.get(
        f"/api/{version}/getDeviceMessage", query_string=query, headers=prosumer(tokens)
    )
    assert message.status_code == 200, message.json
    assert message.json["type"] == "GetDeviceMessageResponse"
    assert message.json["unit"] == "MW" and message.json["duration"] == "PT6H"
    assert message.json["start"] == "2015-06-02T10:00:00+00:00"
    values = message.json["values"]
    assert len(values) == 24
    # the battery charges at full power in the two cheap hours (4 MWh), to sell it later
    assert values[:8] == pytest.approx([2.0] * 8, abs=1e-6)
    assert all(v <= 1e-6 for v in values[8:])


def test_targets_are_met(client, tokens, queues, battery):
    message = soc_message(battery, 204, value=1000, unit="kWh")
    message["event"] = event(battery, 204, "soc-with-targets")
    message["targets"] = [{"value": 3000, "datetime": "2015-06-02T16:00:00+00:00"}]
    assert (
        client.post("/api/v2_0/postUdiEvent", json=message, headers=prosumer(tokens)).status_code
        == 200
    )
    work_off_scheduling_queue()
    response = client.get(
        "/api/v2_0/getDeviceMessage",
        query_string={"event": message["event"], "duration": "PT6H"},
        headers=prosumer(tokens),
    )
    assert response.status_code == 200, response.json
    energy = sum(response.json["values"]) * 0.25  # MWh charged by 16:00
    assert energy == pytest.approx(2.0, abs=1e-6)


def test_v1_2_computes_on_request(client, tokens, battery):
    assert (
        client.post(
            "/api/v1_2/postUdiEvent", json=soc_message(battery, 7), headers=prosumer(tokens)
        ).status_code
        == 200
    )
    response = client.get(
        "/api/v1_2/getDeviceMessage",
        query_string={"event": event(battery, 7)},
        headers=prosumer(tokens),
    )
    assert response.status_code == 200, response.json
    assert max(response.json["values"]) > 0


def test_outdated_and_unknown_events(client, tokens, queues, battery):
    assert (
        client.post(
            "/api/v1_3/postUdiEvent", json=soc_message(battery, 10), headers=prosumer(tokens)
        ).status_code
        == 200
    )
    outdated = client.post(
        "/api/v1_3/postUdiEvent", json=soc_message(battery, 10), headers=prosumer(tokens)
    )
    assert outdated.status_code == 400 and outdated.json["status"] == "OUTDATED_UDI_EVENT"
    unknown = client.get(
        "/api/v1_3/getDeviceMessage",
        query_string={"event": event(battery, 99)},
        headers=prosumer(tokens),
    )
    assert unknown.json["status"] == "UNRECOGNIZED_UDI_EVENT"


@pytest.mark.parametrize(
    "event_id, status, explanation",
    [
        (2**31, "UNRECOGNIZED_UDI_EVENT", "is larger than 2147483647"),
        (10**30, "UNRECOGNIZED_UDI_EVENT", "is larger than 2147483647"),
        (-1, "INVALID_DOMAIN", "event id '-1' is not a non-negative integer up to 2147483647"),
    ],
)
def test_event_ids_out_of_range_are_refused(client, tokens, battery, event_id, status, explanation):
    message = soc_message(battery, event_id)
    posted = client.post("/api/v1_3/postUdiEvent", json=message, headers=prosumer(tokens))
    assert posted.status_code == 400
    assert posted.json["status"] == status and explanation in posted.json["message"]
    asked = client.get(
        "/api/v2_0/getDeviceMessage",
        query_string={"event": message["event"]},
        headers=prosumer(tokens),
    )
    assert asked.status_code == 400
    assert asked.json["status"] == status and explanation in asked.json["message"]


@pytest.mark.parametrize(
    "change, status",
    [
        ({"unit": "kW"}, "INVALID_UNIT"),
        ({"datetime": None}, "INVALID_DATETIME"),
        ({"value": None}, "PTUS_INCOMPLETE"),
        ({"datetime": "2015-06-02T10:00:00"}, "INVALID_TIMEZONE"),
        ({"type": "PostMeterDataRequest"}, "INVALID_MESSAGE_TYPE"),
    ],
)
def test_post_udi_event_statuses(client, tokens, battery, change, status):
    response = client.post(
        "/api/v1_3/postUdiEvent",
        json={**soc_message(battery, 5), **change},
        headers=prosumer(tokens),
    )
    assert response.status_code == 400, response.json
    assert response.json["status"] == status


def test_incomplete_targets_and_targets_beyond_the_horizon(client, tokens, battery):
    message = soc_message(battery, 5)
    message["event"] = event(battery, 5, "soc-with-targets")
    incomplete = client.post("/api/v1_3/postUdiEvent", json=message, headers=prosumer(tokens))
    assert incomplete.json["status"] == "INCOMPLETE_UDI_EVENT"
    message["targets"] = [{"value": 1, "datetime": "2015-06-09T10:00:00+00:00"}]
    too_late = client.post("/api/v1_3/postUdiEvent", json=message, headers=prosumer(tokens))
    assert too_late.json["status"] == "INVALID_DATETIME"
    message["targets"] = [{"value": 1, "datetime": "2015-06-02T12:05:00+00:00"}]
    between_steps = client.post("/api/v1_3/postUdiEvent", json=message, headers=prosumer(tokens))
    assert between_steps.json["status"] == "INVALID_DATETIME"
    assert "PT15M" in between_steps.json["message"]


def test_missing_prices_fail_the_job_with_unknown_prices(client, tokens, queues, battery):
    message = soc_message(battery, 300)
    message["datetime"] = "2016-01-01T00:00:00+00:00"
    assert (
        client.post("/api/v1_3/postUdiEvent", json=message, headers=prosumer(tokens)).status_code
        == 200
    )
    work_off_scheduling_queue()
    response = client.get(
        "/api/v1_3/getDeviceMessage",
        query_string={"event": event(battery, 300)},
        headers=prosumer(tokens),
    )
    assert response.status_code == 400
    assert response.json["status"] == "UNKNOWN_PRICES"
    assert "2016" in response.json["message"]


def test_only_own_devices_and_prosumer_roles(client, tokens, battery):
    others = client.post(
        "/api/v1_3/postUdiEvent",
        json=soc_message(battery, 1),
        headers={"Authorization": tokens["other_prosumer"]},
    )
    assert others.json["status"] == "UNRECOGNIZED_CONNECTION_GROUP"
    mdc = client.post(
        "/api/v1_3/postUdiEvent",
        json=soc_message(battery, 1),
        headers={"Authorization": tokens["mdc"]},
    )
    assert mdc.status_code == 403


def device_message(client, headers, asset: Asset, event_id: int, **query):
    """Ask API v1.3 for the device message of one of the asset's events."""
    return client.get(
        "/api/v1_3/getDeviceMessage",
        query_string={"event": event(asset, event_id), **query},
        headers=headers,
    )


def test_device_message_duration_matches_its_values(client, tokens, queues, battery):
    """A duration that is no whole number of steps is rounded up: duration / values is the
    resolution, as everywhere in the API."""
    client.post("/api/v1_3/postUdiEvent", json=soc_message(battery, 205), headers=prosumer(tokens))
    work_off_scheduling_queue()
    response = device_message(client, prosumer(tokens), battery, 205, duration="PT20M")
    assert response.status_code == 200, response.json
    assert len(response.json["values"]) == 2
    assert response.json["duration"] == "PT30M"


def soc_trajectory(soc_at_start: float, power: list[float], hours_per_step: float = 0.25):
    """The state of charge (MWh) after each step of a power schedule (MW)."""
    socs, soc = [], soc_at_start
    for value in power:
        soc += value * hours_per_step
        socs.append(soc)
    return socs


def test_device_message_of_an_older_event_is_its_own_schedule(client, tokens, queues, battery):
    """The device message of event 205 is 205's schedule, not one stitched together with
    those of later events: 305 starts later with another SOC, 310 at the same moment as 205
    (its schedule replaces 205's saved beliefs)."""
    posts = [(205, SOC_TIME, 0.0), (305, "2015-06-02T10:30:00+00:00", 4.0), (310, SOC_TIME, 5.0)]
    for event_id, moment, soc in posts:
        message = soc_message(battery, event_id, value=soc, datetime=moment)
        posted = client.post("/api/v1_3/postUdiEvent", json=message, headers=prosumer(tokens))
        assert posted.status_code == 200, posted.json
    work_off_scheduling_queue()
    response = device_message(client, prosumer(tokens), battery, 205, duration="PT48H")
    assert response.status_code == 200, response.json
    socs = soc_trajectory(0.0, response.json["values"])
    assert min(socs) >= -1e-6 and max(socs) <= 5 + 1e-6
    # 205's own schedule: charge 4 MWh in the two cheap hours from 10:00
    assert response.json["values"][:8] == pytest.approx([2.0] * 8, abs=1e-6)


HUGE_INTEGER = "1" + "0" * 400  # a JSON integer literal too large for a float


def post_raw(client, tokens, message: dict, literal: str):
    """Post a UDI event whose "__number__" placeholder is replaced by a raw JSON literal."""
    body = json.dumps(message).replace('"__number__"', literal)
    return client.post(
        "/api/v1_3/postUdiEvent",
        data=body,
        content_type="application/json",
        headers=prosumer(tokens),
    )


@pytest.mark.parametrize(
    "literal", ["NaN", "Infinity", "-Infinity", pytest.param(HUGE_INTEGER, id="1e400")]
)
def test_soc_that_is_no_finite_number_is_refused(client, tokens, queues, battery, literal):
    response = post_raw(client, tokens, soc_message(battery, 5, value="__number__"), literal)
    assert response.status_code == 400, response.json
    assert response.json["status"] == "INVALID_REQUEST"
    assert "state of charge ('value') should be a finite number" in response.json["message"]
    assert battery.soc_udi_event_id is None  # nothing stored, no job queued
    assert queues["scheduling"].count == 0


@pytest.mark.parametrize("literal", ["NaN", "Infinity", pytest.param(HUGE_INTEGER, id="1e400")])
def test_target_that_is_no_finite_number_is_refused(client, tokens, queues, battery, literal):
    message = soc_message(battery, 5, event=event(battery, 5, "soc-with-targets"))
    message["targets"] = [
        {"value": 1, "datetime": "2015-06-02T12:00:00+00:00"},
        {"value": "__number__", "datetime": "2015-06-02T16:00:00+00:00"},
    ]
    response = post_raw(client, tokens, message, literal)
    assert response.status_code == 400, response.json
    assert response.json["status"] == "INVALID_REQUEST"
    assert "target 2 should be a finite number" in response.json["message"]
    assert battery.soc_udi_event_id is None
    assert queues["scheduling"].count == 0


@pytest.fixture
def prosumer_and_mdc(client, db, battery) -> dict[str, str]:
    """The header of a user with the Prosumer and MDC roles, who owns no battery."""
    user = create_user("both@seita.nl", TEST_PASSWORD, "both", roles=["Prosumer", "MDC"])
    db.session.commit()
    return {"Authorization": get_token(client, user.email)}


def test_role_the_service_does_not_admit_does_not_widen_devices(
    client, tokens, queues, battery, prosumer_and_mdc
):
    """MDC is no role of postUdiEvent and getDeviceMessage: a Prosumer who is also an MDC
    may not address another Prosumer's battery there."""
    posted = client.post(
        "/api/v1_3/postUdiEvent", json=soc_message(battery, 1), headers=prosumer_and_mdc
    )
    assert posted.status_code == 400, posted.json
    assert posted.json["status"] == "UNRECOGNIZED_CONNECTION_GROUP"
    assert queues["scheduling"].count == 0
    client.post("/api/v1_3/postUdiEvent", json=soc_message(battery, 2), headers=prosumer(tokens))
    message = device_message(client, prosumer_and_mdc, battery, 2)
    assert message.json["status"] == "UNRECOGNIZED_CONNECTION_GROUP"


def test_role_the_service_admits_still_widens_devices(client, battery, prosumer_and_mdc):
    """MDC is a role of postMeterData and getConnection: there the same user may address
    every connection, the other Prosumer's battery included."""
    connections = client.get("/api/v1_3/getConnection", headers=prosumer_and_mdc)
    assert connections.status_code == 200, connections.json
    address = f"ea1.2018-06.localhost:{battery.owner_id}:{battery.id}"
    assert address in connections.json["connections"]
    posted = client.post(
        "/api/v1_3/postMeterData",
        json={
            "type": "PostMeterDataRequest",
            "connection": address,
            "values": [1.0, 1.5],
            "start": "2015-06-01T00:00:00+00:00",
            "duration": "PT30M",
            "unit": "MW",
        },
        headers=prosumer_and_mdc,
    )
    assert posted.status_code == 200, posted.json


@pytest.mark.parametrize("version", ["v1_2", "v1_3"])
@pytest.mark.parametrize(
    "change, name",
    [
        ({"value": 1e20}, "The state of charge ('value') of 1e+20 MWh"),
        ({"value": -2e12, "unit": "kWh"}, "The state of charge ('value') of -2e+09 MWh"),
        ({"targets": [{"value": 1e300, "datetime": "2015-06-02T16:00:00+00:00"}]}, None),
    ],
)
def test_soc_too_large_to_schedule_is_refused(
    client, tokens, queues, battery, version, change, name
):
    """A finite state of charge beyond what can be scheduled with is refused at the door
    (it used to fail the job, or, in v1.2, the device message with a 500)."""
    message = soc_message(battery, 5, event=event(battery, 5, "soc-with-targets"))
    message.setdefault("targets", [{"value": 1, "datetime": "2015-06-02T16:00:00+00:00"}])
    message.update(change)
    response = client.post(f"/api/{version}/postUdiEvent", json=message, headers=prosumer(tokens))
    assert response.status_code == 400, response.json
    assert response.json["status"] == "INVALID_REQUEST"
    assert (name or "The value of target 1") in response.json["message"]
    assert "too large to schedule with (at most 1e+09 MWh in size)" in response.json["message"]
    assert battery.soc_udi_event_id is None
    assert queues["scheduling"].count == 0
