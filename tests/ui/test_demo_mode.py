"""Demo mode on the chart pages and the charts API (seed: Modes): data read from
FLEXMEASURES_DEMO_YEAR and shown as if it were now; mocked confidence intervals on the
analytics page where forecasts have none. (The charts API: tests/api/v2_0/test_charts.py.)"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.charts.helpers import bands, decoded, lines, renderers
from tests.ui import test_analytics
from tests.ui.test_analytics import DAY, chart_items, log_in, page

world = test_analytics.world  # the analytics page's data, for these tests too
THIS_YEAR = datetime.now(UTC).year
SHOWN_DAY = DAY.replace(year=THIS_YEAR)  # DAY's data (2025) shown in this year


@pytest.fixture
def demo(app, monkeypatch):
    """Demo mode with DAY's year as the demo year."""
    monkeypatch.setitem(app.config, "FLEXMEASURES_MODE", "demo")
    monkeypatch.setitem(app.config, "FLEXMEASURES_DEMO_YEAR", DAY.year)


def line_times(item: dict, name: str) -> list[datetime]:
    """The times (UTC) of the points of a named line in a json_item."""
    line = next(a for a in renderers(item) if a.get("name") == name)
    entries = dict(line["data_source"]["attributes"]["data"]["entries"])
    return [datetime.fromtimestamp(ms / 1000, UTC) for ms in decoded(entries["x"])]


def day_page(client, world, day: datetime) -> dict:
    return chart_items(
        page(
            client,
            resource=str(world["solar"].id),
            start_date=day.date().isoformat(),
            end_date=day.date().isoformat(),
        )
    )


def test_the_demo_years_data_are_shown_as_this_years(client, world, demo):
    log_in(client)
    items = day_page(client, world, SHOWN_DAY)
    power = items["power-chart"]
    assert [v for v in lines(power)["Roof (measurements)"] if v == v] == [-1, -2, -3, -2]
    measured = [
        t
        for t, v in zip(
            line_times(power, "Roof (measurements)"),
            lines(power)["Roof (measurements)"],
            strict=True,
        )
        if v == v
    ]
    assert measured[0] == SHOWN_DAY  # at this year's date and time
    prices = lines(items["prices-chart"])
    assert [v for v in next(iter(prices.values())) if v == v] == [
        40.0
    ] * 4  # hourly price, by quarter


def test_outside_demo_mode_this_years_day_is_empty(client, world):
    log_in(client)
    power = day_page(client, world, SHOWN_DAY)["power-chart"]
    assert all(v != v for values in lines(power).values() for v in values)


def test_demo_mode_mocks_a_band_around_forecasts_without_one(client, world, demo):
    log_in(client)
    power = day_page(client, world, SHOWN_DAY)["power-chart"]
    (lower, upper), *others = bands(power)
    assert not others
    # forecasts -1, -1, -3, -3 MW: ±10 %
    assert [v for v in lower if v == v] == pytest.approx([-1.1, -1.1, -3.3, -3.3])
    assert [v for v in upper if v == v] == pytest.approx([-0.9, -0.9, -2.7, -2.7])


def test_no_mocked_band_outside_demo_mode(client, world):
    log_in(client)
    assert bands(day_page(client, world, DAY)["power-chart"]) == []
