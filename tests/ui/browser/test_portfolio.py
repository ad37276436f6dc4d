"""The portfolio overview in a real browser: the table and both bokeh charts render
(without console errors or requests leaving the server), the switch works, bad input is
a message on the page."""

from __future__ import annotations

import pytest

from tests.ui.browser.conftest import log_in, screenshot
from tests.ui.browser.demo_data import PROSUMER_EMAIL

pytestmark = pytest.mark.slow


def charts_drawn(page) -> None:
    """Wait until bokeh has drawn into both chart boxes."""
    for chart_id in ("stacked-chart", "schedule-change-chart"):
        page.wait_for_selector(f"#{chart_id} > *", state="attached", timeout=15_000)


def test_portfolio_overview_shows_its_table_and_charts(page, tmp_path):
    log_in(page, PROSUMER_EMAIL)
    page.goto("/portfolio?start_date=2025-06-01&end_date=2025-06-01")  # the demo data's day
    assert page.get_by_role("heading", name="Portfolio overview").is_visible()
    total = page.locator("table.portfolio tfoot").inner_text()
    assert total.startswith("Total") and "0.000\t0.000" not in total  # energy produced
    charts_drawn(page)
    screenshot(page, "portfolio-charts", tmp_path)
    page.select_option("#show", "production")
    page.get_by_role("button", name="Show").click()
    assert "show=production" in page.url
    charts_drawn(page)


def test_portfolio_bad_window_is_a_message(page):
    log_in(page, PROSUMER_EMAIL)
    page.goto("/portfolio?start_date=2025-03-05&end_date=2025-03-01")
    assert "should not be before" in page.get_by_role("alert").inner_text()


def test_balancing_actions_page(page, tmp_path):
    log_in(page, PROSUMER_EMAIL)
    page.goto("/control?start_date=2025-06-01&end_date=2025-06-01")
    assert page.get_by_role("heading", name="Balancing actions").is_visible()
    assert page.get_by_text("No schedule deviates").is_visible()  # the demo has no schedules
    screenshot(page, "balancing-actions", tmp_path)
    page.goto("/control?market_id=999999")
    assert "no market with id 999999" in page.get_by_role("alert").inner_text()
