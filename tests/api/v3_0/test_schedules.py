"""API v3_0 schedules and jobs: the v1.3 scheduling jobs behind a trigger, the answers
while a job waits, after it finished or failed, and the flex-model's settings."""

from __future__ import annotations

import pytest

from flexmeasures.jobs import make_worker
from tests.api.auth_routes import auth_header

START = "2015-01-01T00:00:00+00:00"
# Hourly prices (EUR/MWh) for a day: cheap at night, dear in the evening.
PRICES = [10.0] * 6 + [30.0] * 12 + [80.0] * 6


@pytest.fixture
def priced(client, tokens, assets):
    """A day of hourly prices for the assets' market, posted through the API."""
    market = assets["battery"].market_id
    body = {"start": START, "duration": "P1D", "values": PRICES, "unit": "EUR/MWh"}
    response = client.post(
        f"/api/v3_0/sensors/{market}/data", json=body, headers=auth_header(tokens["prosumer"])
    )
    assert response.status_code == 200, response.get_json()
    return assets


def trigger(client, tokens, asset, user="prosumer", **body):
    """Trigger a schedule for an asset; the response."""
    message = {"start": START, "duration": "PT24H", **body}
    return client.post(
        f"/api/v3_0/assets/{asset.id}/schedules/trigger",
        json=message,
        headers=auth_header(tokens[user]),
    )


def get_schedule(client, tokens, asset, job_id, **args):
    """GET the schedule a job made for an asset."""
    return client.get(
        f"/api/v3_0/sensors/{asset.id}/schedules/{job_id}",
        query_string=args,
        headers=auth_header(tokens["prosumer"]),
    )


def get_job(client, tokens, job_id, user="prosumer"):
    """GET a job's status."""
    return client.get(f"/api/v3_0/jobs/{job_id}", headers=auth_header(tokens[user]))


def work_off_scheduling_queue():
    make_worker(["scheduling"]).work(burst=True)


def test_schedule_waits_for_its_job_then_answers(client, tokens, queues, priced):
    battery = priced["battery"]
    model = {
        "soc-at-start": "1 MWh",
        "soc-targets": [{"datetime": "2015-01-01T06:00:00Z", "value": 4}],
    }
    triggered = trigger(client, tokens, battery, **{"flex-model": model})
    assert triggered.status_code == 200, triggered.get_json()
    job_id = triggered.get_json()["schedule"]

    waiting = get_schedule(client, tokens, battery, job_id)
    assert waiting.status_code == 400
    assert waiting.get_json()["message"].startswith("Scheduling job waiting")
    queued = get_job(client, tokens, job_id)
    assert queued.status_code == 202 and queued.get_json()["status"] == "QUEUED"

    work_off_scheduling_queue()

    done = get_schedule(client, tokens, battery, job_id)
    assert done.status_code == 200, done.get_json()
    schedule = done.get_json()
    assert schedule["unit"] == "MW" and schedule["duration"] == "P1D"
    assert len(schedule["values"]) == 96
    charged = sum(schedule["values"][:24]) / 4  # MWh in the first 6 hours
    assert charged == pytest.approx(3.0)  # from 1 to the 4 MWh target
    finished = get_job(client, tokens, job_id)
    assert finished.status_code == 200 and finished.get_json()["status"] == "FINISHED"
    assert finished.get_json()["result"]["steps"] == 96
    in_kw = get_schedule(client, tokens, battery, job_id, unit="kW", duration="PT1H")
    assert in_kw.get_json()["values"] == [v * 1000 for v in schedule["values"][:4]]


def test_flex_model_settings_apply_to_this_schedule_only(client, tokens, queues, priced, db):
    battery = priced["battery"]
    model = {"soc-at-start": 0, "soc-max": "1000 kWh", "power-capacity": "250 kW"}
    job_id = trigger(client, tokens, battery, **{"flex-model": [model]}).get_json()["schedule"]
    work_off_scheduling_queue()
    values = get_schedule(client, tokens, battery, job_id).get_json()["values"]
    assert max(abs(v) for v in values) == pytest.approx(0.25)
    assert sum(values) / 4 == pytest.approx(0.0, abs=1e-6)  # it ends empty: prices end high
    assert max(v for v in values) > 0  # it did buy cheap to sell dear
    db.session.refresh(battery)
    assert (battery.capacity_in_mw, battery.max_soc_in_mwh, battery.soc_in_mwh) == (2, 5, 0)


def test_a_failed_job_says_why(client, tokens, queues, assets):
    battery = assets["battery"]
    job_id = trigger(client, tokens, battery).get_json()["schedule"]  # no prices at all
    work_off_scheduling_queue()
    failed = get_schedule(client, tokens, battery, job_id)
    assert failed.status_code == 400
    assert failed.get_json()["message"].startswith("Scheduling job failed: No prices are known")
    status = get_job(client, tokens, job_id)
    assert status.status_code == 422 and status.get_json()["status"] == "FAILED"
    assert "No prices are known" in status.get_json()["message"]


@pytest.mark.parametrize(
    ("model", "problem"),
    [
        ({"soc-max": "2 MW"}, "Cannot convert values from MW to MWh"),
        ({"soc-unit": "Wh"}, "'soc-unit'"),
        ({"charging-efficiency": "120%"}, "'charging-efficiency'"),
        ({"sensor": 12345}, "Only the asset's own power sensor"),
        ({"colour": "blue"}, "unknown field(s) colour"),
        ([{}, {}], "Give one storage model"),
        ({"soc-targets": [{"datetime": "2015-01-03T00:00:00Z", "value": 1}]}, "target"),
    ],
)
def test_invalid_flex_models_are_refused_before_queueing(
    client, tokens, queues, assets, model, problem
):
    response = trigger(client, tokens, assets["battery"], **{"flex-model": model})
    assert response.status_code == 422, response.get_json()
    assert problem in response.get_json()["message"]
    assert len(queues["scheduling"]) == 0


def test_only_storage_assets_of_ones_own_are_scheduled(client, tokens, queues, assets):
    assert trigger(client, tokens, assets["solar"]).status_code == 422
    assert trigger(client, tokens, assets["other battery"]).status_code == 403
    assert len(queues["scheduling"]) == 0


def test_jobs_of_other_peoples_assets_are_hidden(client, tokens, queues, assets):
    job_id = trigger(client, tokens, assets["battery"]).get_json()["schedule"]
    assert get_job(client, tokens, job_id, user="other_prosumer").status_code == 403
    assert get_job(client, tokens, job_id, user="admin").status_code == 202
    unknown = get_job(client, tokens, "no-such-job")
    assert unknown.status_code == 404 and unknown.get_json()["status"] == "UNKNOWN_SCHEDULE"


@pytest.mark.parametrize("job_id", ["no-such-job", "l\x17@f", "a b"])
def test_unknown_or_impossible_job_ids_are_not_found(client, tokens, queues, job_id):
    """Ids RQ refuses (not only letters, digits, _ and -) are unknown jobs too, not a 500."""
    status = get_job(client, tokens, job_id, user="admin")
    assert status.status_code == 404
    assert status.get_json()["status"] == "UNKNOWN_SCHEDULE"
