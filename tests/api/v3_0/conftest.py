"""Fixtures for the v3_0 tests: assets of the test users (committed inside the test's
transaction, so that a request that rolls back keeps them)."""

from __future__ import annotations

import pytest

from flexmeasures.data.models import Asset
from flexmeasures.data.services.assets import create_asset


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
