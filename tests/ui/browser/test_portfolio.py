"""The portfolio overview and the balancing actions page in a real browser, on the demo
data of the days around now: the tables and the bokeh charts render (without console
errors or requests leaving the server), opportunities are highlighted, the switch works,
bad input is a message on the page."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest

from tests.ui.browser.conftest import log_in, low_contrast_texts, screenshot
from tests.ui.browser.demo_data import PROSUMER_EMAIL

pytestmark = pytest.mark.slow


def charts_drawn(page, chart_ids) -> None:
    """Wait until bokeh has drawn into each chart box."""
    for chart_id in chart_ids:
        page.wait_for_selector(f"#{chart_id} > *", state="attached", timeout=15_000)


def days_around_today(live_app) -> str:
    """Query parameters for yesterday to tomorrow (in FLEXMEASURES_TIMEZONE)."""
    today = pd.Timestamp.now(tz=live_app.config["FLEXMEASURES_TIMEZONE"]).date()
    return f"start_date={today - timedelta(days=1)}&end_date={today + timedelta(days=1)}"


def test_portfolio_overview_shows_its_table_charts_and_opportunities(page, live_app, tmp_path):
    log_in(page, PROSUMER_EMAIL)
    page.goto(f"/portfolio?{days_around_today(live_app)}")
    assert page.get_by_role("heading", name="Portfolio overview").is_visible()
    total = page.locator("table.portfolio tfoot").inner_text()
    assert total.startswith("Total") and "0.000\t0.000" not in total  # energy produced
    charts = ("stacked-chart", "schedule-change-chart")
    charts_drawn(page, charts)
    assert page.get_by_text("Shaded in the charts: opportunities").is_visible()
    for chart_id in charts:  # the battery's schedule is highlighted on both
        item = page.locator(f"script[data-chart='{chart_id}']").text_content()
        assert '"name":"opportunity-gain"' in item
    assert low_contrast_texts(page) == []
    screenshot(page, "portfolio-charts", tmp_path)
    page.select_option("#show", "production")
    page.get_by_role("button", name="Show").click()
    assert "show=production" in page.url
    charts_drawn(page, charts)


def test_portfolio_bad_window_is_a_message(page):
    log_in(page, PROSUMER_EMAIL)
    page.goto("/portfolio?start_date=2025-03-05&end_date=2025-03-01")
    assert "should not be before" in page.get_by_role("alert").inner_text()


def test_balancing_actions_per_hour_with_before_and_after(page, tmp_path):
    log_in(page, PROSUMER_EMAIL)
    page.goto("/control")  # today and tomorrow: the battery's schedule deviates
    assert page.get_by_role("heading", name="Balancing actions").is_visible()
    rows = page.locator("table.opportunities tbody tr")
    assert rows.count() > 1
    assert "Suwon battery" in rows.first.inner_text()
    values = [
        float(v)
        for v in page.locator("table.opportunities tbody td:nth-child(4)").all_inner_texts()
    ]
    assert values == sorted(values, reverse=True)  # the most valuable first
    charts_drawn(page, ["opportunity-0"])
    assert low_contrast_texts(page) == []
    screenshot(page, "balancing-actions", tmp_path)
    page.goto("/control?market_id=999999")
    assert "no market with id 999999" in page.get_by_role("alert").inner_text()
