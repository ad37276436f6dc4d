"""The Tasks pages and rq-dashboard in a real browser (as an admin)."""

from __future__ import annotations

import pytest

from tests.ui.browser.conftest import log_in, low_contrast_texts, screenshot
from tests.ui.browser.demo_data import ADMIN_EMAIL

pytestmark = pytest.mark.slow


def test_admin_sees_the_task_queues(page, tmp_path):
    log_in(page, ADMIN_EMAIL)
    for path, heading in (
        ("/tasks/forecasting", "Forecasting jobs"),
        ("/tasks/schedules", "Scheduling jobs"),
    ):
        response = page.goto(path)
        assert response.status == 200
        assert page.get_by_role("heading", level=1).inner_text() in (heading, "Job queues")
        assert low_contrast_texts(page) == []
    page.goto("/tasks/forecasting")
    screenshot(page, "tasks", tmp_path)
    response = page.goto("/rq/")  # the live server runs its jobs in-process: no Redis
    assert response.status == 200
    assert "No Redis is configured" in page.locator("main").inner_text()
