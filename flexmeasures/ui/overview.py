"""Numbers for the landing page, scoped to what the logged-in user may see."""

from __future__ import annotations

from flask_security import current_user
from sqlalchemy import func, select

from flexmeasures.data import db
from flexmeasures.data.models import Asset, Market, WeatherSensor
from flexmeasures.security import asset_visibility_clause


def user_overview() -> dict[str, int]:
    """Count the assets the user may see (own, or all for admins), markets and weather sensors."""
    asset_count = select(func.count(Asset.id)).where(asset_visibility_clause(current_user))
    return {
        "assets": db.session.scalar(asset_count) or 0,
        "markets": db.session.scalar(select(func.count(Market.id))) or 0,
        "weather sensors": db.session.scalar(select(func.count(WeatherSensor.id))) or 0,
    }
