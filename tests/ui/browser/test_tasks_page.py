"""The Tasks pages and rq-dashboard (on the test Redis) in a real browser (as an admin);
without Redis, /rq says so: see tests/ui/test_tasks.py."""

from __future__ import annotations

import pytest

from tests.ui.browser.conftest import (
    DESKTOP,
    PHONE,
    log_in,
    low_contrast_texts,
    overflows_horizontally,
    screenshot,
)
from tests.ui.browser.demo_data import ADMIN_EMAIL

pytestmark = pytest.mark.slow


def test_admin_sees_the_task_queues(page, live_app, tmp_path):
    live_app.queues["scheduling"].enqueue("builtins.print", "a job nobody runs")
    log_in(page, ADMIN_EMAIL)
    for path, heading in (
        ("/tasks/forecasting", "Forecasting jobs"),
        ("/tasks/schedules", "Scheduling jobs"),
    ):
        response = page.goto(path)
        assert response.status == 200
        assert page.get_by_role("heading", level=1).inner_text() == heading
        assert low_contrast_texts(page) == []
    assert "builtins.print" in page.locator("main").inner_text()  # the queued job is listed
    page.set_viewport_size(PHONE)
    assert not overflows_horizontally(page)
    page.set_viewport_size(DESKTOP)
    screenshot(page, "tasks", tmp_path)  # the scheduling jobs, one queued
    response = page.goto("/rq/")  # the live server's queues are on the test Redis
    assert response.status == 200
    queues = page.locator("table#queues tbody")
    queues.get_by_text("scheduling").wait_for(timeout=15_000)  # listed once polled
    # (rq-dashboard's own Bootstrap styles are not ours: no contrast check there)
    screenshot(page, "rq-dashboard", tmp_path)
