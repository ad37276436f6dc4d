"""Fixtures for the v2.0 REST tests: assets of the test users, with some data.

They commit (which, inside the test's transaction, only releases a savepoint), so that a
request that rolls back its own work keeps what the test set up.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from flexmeasures.data.models import Asset, TimedBelief
from flexmeasures.data.services.assets import create_asset

START = datetime(2015, 1, 1, tzinfo=UTC)


@pytest.fixture
def assets(db, structure, users) -> dict[str, Asset]:
    """A battery and a solar panel of the prosumer, a battery of the other prosumer."""
    made = {}
    for name, type_name, owner in [
        ("battery", "battery", "prosumer"),
        ("solar", "solar", "prosumer"),
        ("other battery", "battery", "other_prosumer"),
    ]:
        made[name] = create_asset(
            name=name,
            asset_type_name=type_name,
            capacity_in_mw=2,
            event_resolution=15,
            latitude=52,
            longitude=4,
            owner_id=users[owner].id,
            min_soc_in_mwh=0 if type_name == "battery" else None,
            max_soc_in_mwh=5 if type_name == "battery" else None,
        )
    db.session.commit()
    return made


@pytest.fixture
def beliefs(db, assets, users) -> dict[str, int]:
    """Four measurements (MW) for each asset, by the MDC user; how many per asset name."""
    source = users["mdc"].data_source
    for asset in assets.values():
        db.session.add_all(
            TimedBelief(
                sensor_id=asset.id,
                event_start=START + i * asset.event_resolution,
                source_id=source.id,
                belief_horizon=timedelta(0),
                event_value=float(i),
            )
            for i in range(4)
        )
    db.session.commit()
    return {name: 4 for name in assets}
