"""The queue layer: jobs go to Redis when it is configured and reachable, and otherwise run
in-process at enqueue time, with the same job ids, statuses, results and failures."""

from __future__ import annotations

import pytest
from flask import Flask
from rq.job import JobStatus

from flexmeasures.app import create_app
from flexmeasures.jobs import (
    QUEUE_NAMES,
    QueueError,
    check_queues_are_async,
    enqueue,
    get_queue,
    parse_queue_names,
    queues,
    queues_are_async,
    redis_connection,
    redis_connection_from_config,
)
from tests.jobs_helpers import add_numbers, app_name, fail_with


@pytest.fixture(scope="module")
def in_process_app() -> Flask:
    """An app without Redis: its queues run jobs in-process."""
    return create_app("testing", settings={"FLEXMEASURES_REDIS_URL": None})


def test_with_redis_jobs_wait_for_a_worker(app, queues):
    with app.app_context():
        job = enqueue("forecasting", add_numbers, 1, 2)

        assert queues_are_async()
        assert job.get_status() == JobStatus.QUEUED
        assert queues["forecasting"].job_ids == [job.id]


def test_without_redis_jobs_run_when_enqueued(in_process_app):
    with in_process_app.app_context():
        assert not queues_are_async()
        assert set(in_process_app.queues) == set(QUEUE_NAMES)

        done = enqueue("scheduling", add_numbers, 2, 5)
        in_app = enqueue("forecasting", app_name)
        failed = enqueue("forecasting", fail_with, "solver not found")

    assert done.get_status() == JobStatus.FINISHED and done.return_value() == 7
    assert in_app.return_value() == in_process_app.name
    assert failed.get_status() == JobStatus.FAILED
    assert "ValueError: solver not found" in failed.latest_result().exc_string


def test_unreachable_redis_falls_back_to_in_process(caplog):
    unreachable = create_app(
        "testing", settings={"FLEXMEASURES_REDIS_URL": "redis://127.0.0.1:1/0"}
    )

    assert not queues_are_async(unreachable)
    assert "does not answer" in caplog.text
    with unreachable.app_context():
        assert enqueue("forecasting", add_numbers, 1, 1).return_value() == 2
        with pytest.raises(QueueError, match=r"Redis at .*127.0.0.1:1/0.* does not answer"):
            check_queues_are_async("jobs run-worker")


def test_accessors_and_old_attributes_give_the_same_queues(app, in_process_app):
    for each_app in (app, in_process_app):
        assert set(queues(each_app)) == set(QUEUE_NAMES)
        assert queues(each_app) is each_app.queues  # the attributes other code still reads
        assert redis_connection(each_app) is each_app.redis_connection
        assert queues(each_app)["scheduling"].connection is redis_connection(each_app)
    with app.app_context():
        assert redis_connection() is app.redis_connection


def test_accessors_before_the_queues_are_set_up():
    bare = Flask("bare")
    assert queues(bare) == {}
    with pytest.raises(QueueError, match="init_queues"):
        redis_connection(bare)


def test_unknown_queue_names_the_valid_ones(app):
    with app.app_context(), pytest.raises(QueueError, match="choose one of: forecasting, sched"):
        get_queue("weather")


@pytest.mark.parametrize(
    "given, expected",
    [
        (["forecasting"], ["forecasting"]),
        (["forecasting|scheduling"], ["forecasting", "scheduling"]),
        (["scheduling", "forecasting", "scheduling"], ["scheduling", "forecasting"]),
        ([" forecasting | scheduling "], ["forecasting", "scheduling"]),
    ],
)
def test_queue_names_can_be_repeated_or_joined(given, expected):
    assert parse_queue_names(given) == expected


@pytest.mark.parametrize("given", [["forecast"], ["forecasting|"], []])
def test_bad_queue_names_are_refused(given):
    with pytest.raises(QueueError, match="forecasting, scheduling"):
        parse_queue_names(given)


def test_redis_settings_in_the_seeds_form():
    connection = redis_connection_from_config(
        {
            "FLEXMEASURES_REDIS_URL": "redis.example.com",
            "FLEXMEASURES_REDIS_PORT": 6380,
            "FLEXMEASURES_REDIS_DB_NR": 2,
            "FLEXMEASURES_REDIS_PASSWORD": "secret",
        }
    )
    kwargs = connection.connection_pool.connection_kwargs

    assert (kwargs["host"], kwargs["port"], kwargs["db"]) == ("redis.example.com", 6380, 2)
    assert kwargs["password"] == "secret"
    assert redis_connection_from_config({"FLEXMEASURES_REDIS_URL": None}) is None
