"""The dashboard: a map of the user's assets and a summary of their asset types."""

from __future__ import annotations

from collections import Counter

from flask import Blueprint, current_app
from flask_security import current_user, login_required
from sqlalchemy import select

from flexmeasures.data import db
from flexmeasures.data.models import Asset, AssetType
from flexmeasures.modes import shows_all_asset_groups
from flexmeasures.security import assets_visible_to
from flexmeasures.ui.maps import asset_type_icon
from flexmeasures.ui.overview import user_overview
from flexmeasures.ui.utils.asset_maps import (
    analytics_url,
    asset_marker,
    latest_states,
    map_settings,
)
from flexmeasures.ui.utils.view_utils import render_flexmeasures_template

dashboard_views = Blueprint("ui_dashboard", __name__)


@dashboard_views.route("/")
@login_required
def dashboard_view() -> str:
    """The start page: the map of assets (each with its latest state) and asset type counts."""
    assets = list(db.session.scalars(assets_visible_to(current_user)))
    states = latest_states(assets)
    markers = [asset_marker(asset, states.get(asset.id)) for asset in assets]
    return render_flexmeasures_template(
        "dashboard.html",
        overview=user_overview(),
        map_data=map_settings(markers),
        asset_types=asset_type_summary(assets),
    )


def asset_type_summary(assets: list[Asset]) -> list[dict]:
    """Each asset type with assets, with its count, icon and analytics link, by name.

    Counts the user's assets; in demo mode every asset on the platform (all asset groups).
    """
    if shows_all_asset_groups(current_app.config):
        assets = list(db.session.scalars(select(Asset)))
    counts = Counter(asset.asset_type_name for asset in assets)
    types = db.session.scalars(select(AssetType).where(AssetType.name.in_(list(counts))))
    return [
        {
            "name": asset_type.name,
            "label": asset_type.display_name or asset_type.name,
            "count": counts[asset_type.name],
            "icon": asset_type_icon(asset_type.name),
            "url": analytics_url(asset_type=asset_type.name),
        }
        for asset_type in sorted(types, key=lambda t: (t.display_name or t.name).lower())
    ]
