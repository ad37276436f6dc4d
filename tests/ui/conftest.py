"""Fixtures of the UI tests with Flask's test client (browser tests: see browser/)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from sqlalchemy import select

from flexmeasures.data import db as _db
from flexmeasures.data.ingest import save_beliefs
from flexmeasures.data.models import DataSource
from tests.conftest import TEST_PASSWORD
from tests.factories import make_asset


def log_in(client, email: str) -> None:
    """Log the test client in through the login form."""
    response = client.post("/login", data={"email": email, "password": TEST_PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)


@pytest.fixture
def assets(db, structure, users):
    """A battery and a solar park of the prosumer and a wind turbine of another prosumer."""
    made = {
        "battery": make_asset(users["prosumer"], "home battery", latitude=52.1, longitude=4.3),
        "solar": make_asset(users["prosumer"], "roof solar", "solar", latitude=52.2, longitude=4.4),
        "wind": make_asset(
            users["other_prosumer"], "north wind", "wind", latitude=53.0, longitude=5.0
        ),
    }
    db.session.flush()
    return made


def measure(asset, values_by_start: dict[datetime, float], horizon=timedelta(0)) -> None:
    """Store measurements (or, with a positive horizon, forecasts) of an asset, in MW."""
    source = _db.session.scalar(select(DataSource).filter_by(user_id=asset.owner_id))
    save_beliefs(
        pd.DataFrame(
            {
                "sensor_id": asset.id,
                "event_start": list(values_by_start),
                "belief_horizon": horizon,
                "source_id": source.id,
                "event_value": list(values_by_start.values()),
            }
        )
    )


def hours_ago(hours: int) -> datetime:
    """A whole quarter hour some hours before now (UTC)."""
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    return now - timedelta(hours=hours)
