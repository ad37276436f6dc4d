"""Demo data committed in the browser tests' own schema: users, assets and measurements."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
from sqlalchemy import select

from flexmeasures.data import db
from flexmeasures.data.ingest import save_beliefs
from flexmeasures.data.models import Asset, DataSource
from flexmeasures.data.services.structure import add_default_structure
from flexmeasures.data.services.users import create_user
from tests.conftest import TEST_PASSWORD
from tests.factories import make_asset

ADMIN_EMAIL = "admin@seita.nl"
PROSUMER_EMAIL = "prosumer@seita.nl"
# Fixed and in the past, so that the latest states (and the screenshots) do not change.
LATEST_MEASUREMENT = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
# name → (asset type, latitude, longitude, latest power in MW; None: no data yet)
PROSUMER_ASSETS: dict[str, tuple[str, float, float, float | None]] = {
    "Jeju Haenyeo Museum - PV": ("solar", 33.5236, 126.8634, -0.412),
    "Seongsan wind park": ("wind", 33.4581, 126.9425, -1.875),
    "Suwon battery": ("battery", 33.2805, 126.4828, 0.25),
    "Test station - fast charger": ("charging_station", 33.5544, 126.3379, None),
}


def add_demo_data() -> dict[str, Asset]:
    """Add the standard structure, an admin and a prosumer owning PROSUMER_ASSETS, with an
    hour of 15-minute measurements ending at LATEST_MEASUREMENT. Does not commit."""
    add_default_structure()
    create_user(ADMIN_EMAIL, TEST_PASSWORD, "admin", roles=["admin"])
    prosumer = create_user(PROSUMER_EMAIL, TEST_PASSWORD, "prosumer", roles=["Prosumer"])
    source = db.session.scalar(select(DataSource).filter_by(user_id=prosumer.id))
    assets = {}
    for name, (type_name, latitude, longitude, power) in PROSUMER_ASSETS.items():
        asset = make_asset(prosumer, name, type_name, latitude=latitude, longitude=longitude)
        assets[name] = asset
        if power is not None:
            save_beliefs(_an_hour_of_measurements(asset.id, source.id, power))
    return assets


def _an_hour_of_measurements(sensor_id: int, source_id: int, latest: float) -> pd.DataFrame:
    """Four quarter-hourly measurements, the last one of ``latest`` MW."""
    starts = [LATEST_MEASUREMENT - timedelta(minutes=15 * n) for n in (3, 2, 1, 0)]
    return pd.DataFrame(
        {
            "sensor_id": sensor_id,
            "event_start": starts,
            "belief_horizon": timedelta(0),
            "source_id": source_id,
            "event_value": [latest * fraction for fraction in (0.7, 0.8, 0.9, 1.0)],
        }
    )
