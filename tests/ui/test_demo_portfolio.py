"""Demo mode on the portfolio page (seed: Modes): where there are no schedules, mocked
flexibility numbers and a mocked balancing action, labelled as a demonstration; outside
demo mode, or where schedules exist, nothing is mocked."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest
from sqlalchemy import select

from flexmeasures.data.models import DataSource
from flexmeasures.ui.portfolio import MOCKED_CHANGE_TITLE
from tests.ui import test_portfolio
from tests.ui.conftest import measure
from tests.ui.test_analytics import add
from tests.ui.test_portfolio import HOUR, page, schedule_battery

NEXT_HOUR = HOUR + timedelta(hours=1)
LABEL = "<strong>Demonstration:</strong>"
portfolio = test_portfolio.portfolio  # the portfolio page's data, for these tests too


@pytest.fixture
def varying(db, portfolio, assets):
    """The portfolio's hour (−2 MW in all at 40 EUR/MWh), then an hour in which the
    battery consumes 6 MW at 60 EUR/MWh."""
    measure(assets["battery"], {NEXT_HOUR + timedelta(minutes=15 * i): 6.0 for i in range(4)})
    source = db.session.scalar(select(DataSource).filter_by(user_id=assets["solar"].owner_id))
    add(db, portfolio.id, source.id, [60.0], start=NEXT_HOUR)
    db.session.commit()
    return portfolio


@pytest.fixture
def demo(app, monkeypatch):
    monkeypatch.setitem(app.config, "FLEXMEASURES_MODE", "demo")


def test_demo_mode_mocks_flexibility_and_an_action(app, client, varying, demo):
    html = page(client, market_id=varying.id)
    assert LABEL in html and MOCKED_CHANGE_TITLE in html
    # 10 % shifted: +0.2 MW in the cheap hour, −0.6 MW in the expensive one:
    # 0.8 MWh, worth −0.2 × 40 + 0.6 × 60 = 28 EUR; the expensive hour is the action
    assert '<span class="mock-volume">0.800</span>' in html
    assert '<span class="mock-value">28.00</span>' in html
    start = pd.Timestamp(NEXT_HOUR).tz_convert(app.config["FLEXMEASURES_TIMEZONE"])
    assert f"{start.strftime('%Y-%m-%d %H:%M')}–" in html
    assert "0.600 MWh, 36.00 EUR</span>" in html
    assert '"name":"opportunity-gain"' in html  # shaded on the charts like real ones


def test_outside_demo_mode_nothing_is_mocked(client, varying):
    html = page(client, market_id=varying.id)
    assert LABEL not in html and "mock-action" not in html
    assert MOCKED_CHANGE_TITLE not in html and '"name":"opportunity-' not in html


def test_demo_mode_shows_real_schedules_unmocked(client, db, varying, assets, demo):
    schedule_battery(db, assets)
    html = page(client, market_id=varying.id)
    assert LABEL not in html and MOCKED_CHANGE_TITLE not in html
    assert '"name":"opportunity-cost"' in html  # the real schedule's
