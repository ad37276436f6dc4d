"""The Tasks pages: jobs of the forecasting and scheduling queues by state (Flask client)."""

from __future__ import annotations

import pytest

from flexmeasures.app import create_app
from flexmeasures.jobs import clear_queue, enqueue, make_worker
from tests.jobs_helpers import add_numbers, fail_with
from tests.ui.conftest import log_in


@pytest.fixture
def empty_queues(app):
    """Both queues without jobs, before and after the test."""
    for name in ("forecasting", "scheduling"):
        clear_queue(name, failed=True)
        for registry in (
            app.queues[name].finished_job_registry,
            app.queues[name].started_job_registry,
        ):
            for job_id in registry.get_job_ids():
                registry.remove(job_id, delete_job=True)
    yield
    for name in ("forecasting", "scheduling"):
        clear_queue(name, failed=True)


def table_of(page: str, state: str) -> str:
    """The part of the page about jobs in this state."""
    return page.split(f"<h2>{state.capitalize()} (", 1)[1].split("<h2>", 1)[0]


def test_admin_sees_queued_finished_and_failed_jobs(client, db, users, empty_queues):
    done = enqueue("forecasting", add_numbers, 1, 2)
    broken = enqueue("forecasting", fail_with, "the model broke")
    make_worker(["forecasting"]).work(burst=True)
    waiting = enqueue("forecasting", add_numbers, 3, 4)
    elsewhere = enqueue("scheduling", add_numbers, 5, 6)
    log_in(client, users["admin"].email)
    response = client.get("/tasks/forecasting")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert waiting.id in table_of(page, "queued")
    assert done.id in table_of(page, "finished")
    assert broken.id in table_of(page, "failed")
    assert "the model broke" in table_of(page, "failed")
    assert elsewhere.id not in page
    assert elsewhere.id in client.get("/tasks/schedules").get_data(as_text=True)


def test_tasks_menu_entry_leads_to_the_forecasting_jobs(client, users, empty_queues):
    log_in(client, users["admin"].email)
    response = client.get("/tasks")
    assert response.status_code == 302
    assert response.location.endswith("/tasks/forecasting")


def test_other_users_may_not_see_the_queues(client, users, empty_queues):
    log_in(client, users["prosumer"].email)
    response = client.get("/tasks/forecasting")
    assert response.status_code == 403
    assert "Only admins may view the job queues" in response.get_data(as_text=True)


def test_everyone_sees_the_queues_in_demo_mode(app, client, users, empty_queues, monkeypatch):
    monkeypatch.setitem(app.config, "FLEXMEASURES_MODE", "demo")
    log_in(client, users["prosumer"].email)
    assert client.get("/tasks/schedules").status_code == 200


def test_unknown_task_page_is_a_404_page(client, users):
    log_in(client, users["admin"].email)
    response = client.get("/tasks/nonsense")
    assert response.status_code == 404
    assert "forecasting or schedules" in response.get_data(as_text=True)


@pytest.fixture
def admin_client_without_redis(app, db, users):
    """A test client of an app without Redis (jobs in-process), logged in as the admin."""
    in_process = create_app(
        "testing",
        settings={
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "FLEXMEASURES_REDIS_URL": None,
            "SERVER_NAME": "localhost",
        },
    )
    with in_process.test_client() as client, in_process.app_context():
        log_in(client, users["admin"].email)
        yield client


def test_without_redis_a_message_says_jobs_run_in_process(admin_client_without_redis):
    response = admin_client_without_redis.get("/tasks/forecasting")
    assert response.status_code == 200
    assert "No Redis is configured" in response.get_data(as_text=True)


def test_admin_sees_rq_dashboard_with_the_poll_interval(client, users, empty_queues):
    log_in(client, users["admin"].email)
    response = client.get("/rq/", follow_redirects=True)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "RQ-dashboard" in page
    assert "var POLL_INTERVAL = 3000;" in page
    queues = client.get("/rq/0/data/queues.json").get_json()
    assert {"forecasting", "scheduling"} <= {queue["name"] for queue in queues["queues"]}


def test_rq_dashboard_needs_a_login_and_admin_rights(client, users):
    assert client.get("/rq/").status_code == 302
    log_in(client, users["prosumer"].email)
    response = client.get("/rq/0/data/queues.json")
    assert response.status_code == 403


def test_without_redis_rq_shows_a_message(admin_client_without_redis):
    response = admin_client_without_redis.get("/rq")
    assert admin_client_without_redis.get("/rq/").status_code == 200
    assert response.status_code == 200
    assert "No Redis is configured" in response.get_data(as_text=True)
