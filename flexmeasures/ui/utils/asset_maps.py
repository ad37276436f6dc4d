"""What the asset maps and pages show of assets: markers, latest states and map settings."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from flask import current_app, url_for
from flask_security import current_user

from flexmeasures.data.models import Asset
from flexmeasures.data.services.latest_state import LatestState, latest_measurements
from flexmeasures.modes import demo_year_offset, may_show_future_power
from flexmeasures.ui.maps import asset_type_icon, tile_layer

ANALYTICS_PATH = "/analytics"  # the analytics page (asset=<id> or asset_type=<name>)
WORLD_OUTLINE = "vendor/world-atlas/countries-50m.json"


def analytics_url(**selection: Any) -> str:
    """The analytics page for an asset (``asset=<id>``) or asset type (``asset_type=<name>``)."""
    return f"{ANALYTICS_PATH}?{urlencode(selection)}"


def display_timezone() -> ZoneInfo:
    """The time zone in which the user sees times: their own, else FLEXMEASURES_TIMEZONE."""
    name = getattr(current_user, "timezone", None) or current_app.config["FLEXMEASURES_TIMEZONE"]
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError):
        return ZoneInfo(current_app.config["FLEXMEASURES_TIMEZONE"])


def format_time(moment: datetime) -> str:
    """A moment as the user reads it, e.g. ``2026-01-01 13:00 CET``."""
    return moment.astimezone(display_timezone()).strftime("%Y-%m-%d %H:%M %Z")


def latest_states(assets: Sequence[Asset]) -> dict[int, LatestState]:
    """The latest measurement of each asset, at or before now (play mode: any time). In
    demo mode with a demo year, read from the demo year and shown as if it were now
    (moved back by ``demo_year_offset``)."""
    config = current_app.config
    now = datetime.now(UTC)
    offset = demo_year_offset(now, config)
    until = None if may_show_future_power(config) else now + offset
    states = latest_measurements([asset.id for asset in assets], until)
    if not offset:
        return states
    return {i: LatestState(s.event_start - offset, s.value) for i, s in states.items()}


def describe_state(state: LatestState | None, asset: Asset) -> dict[str, str] | None:
    """The latest state for display: ``value`` with the asset's unit and ``time``."""
    if state is None:
        return None
    return {"value": f"{state.value:.3f} {asset.unit}", "time": format_time(state.event_start)}


def asset_marker(asset: Asset, state: LatestState | None) -> dict[str, Any]:
    """One asset on a map: where, its type's icon, its latest state and links."""
    return {
        "id": asset.id,
        "name": asset.display_name or asset.name,
        "asset_type": asset.asset_type.display_name or asset.asset_type_name,
        "latitude": asset.latitude,
        "longitude": asset.longitude,
        "icon": asset_type_icon(asset.asset_type_name),
        "state": describe_state(state, asset),
        "url": url_for("ui_assets.asset_view", asset_id=asset.id),
        "analytics_url": analytics_url(asset=asset.id),
    }


def map_settings(markers: list[dict[str, Any]], pick_location: bool = False) -> dict[str, Any]:
    """What asset-map.js needs: tiles (or None for the bundled outline), outline and assets."""
    return {
        "tiles": tile_layer(current_app.config),
        "outline_url": url_for("flexmeasures_ui.static", filename=WORLD_OUTLINE),
        "assets": markers,
        "pick_location": pick_location,
    }
