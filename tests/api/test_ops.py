"""Operations endpoints: the health check load balancers poll, and the latest task runs that
external schedulers report and monitors check (with the task-check token or as admin)."""

from __future__ import annotations

import functools
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from redis import Redis
from sqlalchemy import func, select

from flexmeasures.app import create_app
from flexmeasures.data.models import LatestTaskRun
from flexmeasures.data.services.task_runs import record_task_run
from flexmeasures.jobs import EXTENSION_KEY

TASK_TOKEN = "task-check-token-for-tests"
UNREACHABLE_DATABASE = "postgresql://flexmeasures_test@127.0.0.1:1/flexmeasures_test_nowhere"


@functools.cache
def app_without_redis(database_uri: str) -> Flask:
    """An app whose jobs run in-process (no Redis configured), on the given database."""
    return create_app(
        "testing",
        settings={
            "SQLALCHEMY_DATABASE_URI": database_uri,
            "FLEXMEASURES_REDIS_URL": None,
            "SERVER_NAME": "localhost",
        },
    )


@pytest.fixture
def task_token(app, monkeypatch) -> str:
    """Configure the task-check token for this test."""
    monkeypatch.setitem(app.config, "FLEXMEASURES_TASK_CHECK_AUTH_TOKEN", TASK_TOKEN)
    return TASK_TOKEN


def header(token: str) -> dict[str, str]:
    return {"Authorization": token}


# Health check


def test_ping_with_database_and_redis(client):
    response = client.get("/api/ops/ping")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok", "redis": "ok"}


def test_ping_when_redis_does_not_answer(app, client, monkeypatch):
    unreachable = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=1)
    monkeypatch.setitem(app.extensions[EXTENSION_KEY], "redis_connection", unreachable)
    response = client.get("/api/ops/ping")
    assert response.status_code == 200  # the web server itself is fine
    assert response.json["status"] == "degraded"
    assert response.json["redis"] == "unreachable"
    assert "Redis does not answer" in response.json["message"]


def test_ping_with_jobs_in_process(app):
    in_process = app_without_redis(app.config["SQLALCHEMY_DATABASE_URI"])
    response = in_process.test_client().get("/api/ops/ping")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok", "redis": "in-process"}


def test_ping_when_the_database_does_not_answer():
    response = app_without_redis(UNREACHABLE_DATABASE).test_client().get("/api/ops/ping")
    assert response.status_code == 503
    assert response.json["status"] == "error"
    assert response.json["database"] == "unreachable"
    assert "database does not answer" in response.json["message"]


def test_ping_is_503_until_the_schema_is_at_the_latest_migration(tmp_path):
    from flask_migrate import upgrade

    unmigrated = app_without_redis(f"sqlite:///{tmp_path / 'fresh.db'}")
    response = unmigrated.test_client().get("/api/ops/ping")
    assert response.status_code == 503
    assert response.json["database"] == "outdated"
    assert "flexmeasures db upgrade" in response.json["message"]
    with unmigrated.app_context():
        upgrade(revision="5c9bfc2005a5")  # the first migration only
    behind = unmigrated.test_client().get("/api/ops/ping")
    assert behind.status_code == 503
    assert "at migration 5c9bfc2005a5, not at the latest" in behind.json["message"]
    with unmigrated.app_context():
        upgrade()
    assert unmigrated.test_client().get("/api/ops/ping").status_code == 200


# Who may read and write task runs


def test_task_runs_with_the_task_check_token(client, db, task_token):
    posted = client.post(
        "/api/ops/postLatestTaskRun",
        json={"name": "import-prices", "status": True, "datetime": "2021-04-02T14:00:00+02:00"},
        headers=header(task_token),
    )
    assert posted.status_code == 200, posted.json
    expected = {"name": "import-prices", "datetime": "2021-04-02T12:00:00+00:00", "status": True}
    assert posted.json == expected
    got = client.get(
        "/api/ops/getLatestTaskRun",
        query_string={"name": "import-prices"},
        headers=header(f"Bearer {task_token}"),
    )
    assert got.status_code == 200, got.json
    assert got.json == expected


@pytest.mark.parametrize("configured", [None, ""])
def test_without_a_configured_token_only_admins_may(client, tokens, app, monkeypatch, configured):
    monkeypatch.setitem(app.config, "FLEXMEASURES_TASK_CHECK_AUTH_TOKEN", configured)
    run = {"name": "import-prices", "status": True}
    for refused in ("", "None", "anything"):
        response = client.post("/api/ops/postLatestTaskRun", json=run, headers=header(refused))
        assert response.status_code == 401
    as_admin = client.post("/api/ops/postLatestTaskRun", json=run, headers=header(tokens["admin"]))
    assert as_admin.status_code == 200, as_admin.json


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("who", ["nobody", "wrong token", "prosumer", "mdc"])
def test_others_are_unauthorized(client, tokens, task_token, method, who):
    sent = {"nobody": {}, "wrong token": header(task_token + "x")}.get(who)
    if sent is None:
        sent = header(tokens[who])
    url = "/api/ops/getLatestTaskRun" if method == "get" else "/api/ops/postLatestTaskRun"
    response = client.open(
        url,
        method=method.upper(),
        query_string={"name": "import-prices"},
        json={"name": "import-prices", "status": True} if method == "post" else None,
        headers=sent,
    )
    assert response.status_code == 401
    assert response.json["status"] == "UNAUTHORIZED"
    assert "FLEXMEASURES_TASK_CHECK_AUTH_TOKEN" in response.json["message"]


def test_admins_may_read_task_runs(client, tokens, db):
    record_task_run("forecast", False, datetime(2021, 4, 2, 12, tzinfo=UTC))
    response = client.get(
        "/api/ops/getLatestTaskRun",
        query_string={"name": "forecast"},
        headers=header(tokens["admin"]),
    )
    assert response.status_code == 200
    assert response.json["status"] is False


# Reading and writing task runs


def test_unknown_task_and_missing_name(client, task_token):
    unknown = client.get(
        "/api/ops/getLatestTaskRun", query_string={"name": "never-ran"}, headers=header(task_token)
    )
    assert unknown.status_code == 404
    assert unknown.json["status"] == "UNKNOWN_TASK" and "never-ran" in unknown.json["message"]
    nameless = client.get("/api/ops/getLatestTaskRun", headers=header(task_token))
    assert nameless.status_code == 422
    assert "name" in nameless.json["message"]


def test_posting_again_replaces_the_run_and_defaults_to_now(client, db, task_token):
    for status in (True, False):
        response = client.post(
            "/api/ops/postLatestTaskRun",
            json={"name": "import-prices", "status": status},
            headers=header(task_token),
        )
        assert response.status_code == 200
    assert db.session.scalar(select(func.count()).select_from(LatestTaskRun)) == 1
    run = db.session.get(LatestTaskRun, "import-prices")
    assert run.status is False
    assert datetime.now(UTC) - run.datetime < timedelta(minutes=1)


@pytest.mark.parametrize(
    "body, field",
    [
        ({"status": True}, "name"),
        ({"name": " ", "status": True}, "name"),
        ({"name": "x" * 81, "status": True}, "name"),
        ({"name": "import"}, "status"),
        ({"name": "import", "status": "yes"}, "status"),
        ({"name": "import", "status": True, "datetime": "2021-04-02T12:00:00"}, "datetime"),
        ({"name": "import", "status": True, "datetime": "noon"}, "datetime"),
        ({"name": "import", "status": True, "when": "now"}, "when"),
        (["import", True], "_schema"),
    ],
)
def test_bad_task_runs_are_refused_with_field_messages(client, db, task_token, body, field):
    response = client.post("/api/ops/postLatestTaskRun", json=body, headers=header(task_token))
    assert response.status_code == 422, response.json
    assert field in response.json["message"]
    assert db.session.scalar(select(func.count()).select_from(LatestTaskRun)) == 0


def test_malformed_json_is_refused(client, task_token):
    response = client.post(
        "/api/ops/postLatestTaskRun",
        data="{name: import",
        headers={**header(task_token), "Content-Type": "application/json"},
    )
    assert response.status_code == 422


# Monitoring with max_age


def get_with_max_age(client, token: str, max_age: str):
    return client.get(
        "/api/ops/getLatestTaskRun",
        query_string={"name": "import-prices", "max_age": max_age},
        headers=header(token),
    )


def test_recent_successful_run_is_fine(client, db, task_token):
    record_task_run("import-prices", True, datetime.now(UTC) - timedelta(minutes=10))
    response = get_with_max_age(client, task_token, "PT1H")
    assert response.status_code == 200
    assert response.json["status"] is True


def test_too_old_run_is_reported_with_its_age(client, db, task_token):
    record_task_run("import-prices", True, datetime.now(UTC) - timedelta(hours=3, seconds=5))
    response = get_with_max_age(client, task_token, "PT1H")
    assert response.status_code == 503
    assert response.json["status"] is True
    assert "3 h 5 s ago" in response.json["message"] and "PT1H" in response.json["message"]


def test_failed_run_is_reported(client, db, task_token):
    record_task_run("import-prices", False, datetime.now(UTC) - timedelta(minutes=1))
    response = get_with_max_age(client, task_token, "P1D")
    assert response.status_code == 503
    assert "failed" in response.json["message"]


@pytest.mark.parametrize("max_age", ["soon", "PT0S", "-PT1H", "P1M"])
def test_bad_max_age(client, db, task_token, max_age):
    record_task_run("import-prices", True)
    response = get_with_max_age(client, task_token, max_age)
    assert response.status_code == 422
    assert "max_age" in response.json["message"]
