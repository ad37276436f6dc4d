"""What the UI's maps show: where tiles come from and how each asset type is drawn.

Pure functions of the configuration and the assets; no Flask request, no database. Without
``MAPBOX_ACCESS_TOKEN`` or ``FLEXMEASURES_MAP_TILE_URL`` no tiles are configured and the
browser draws the bundled world outline, so no request leaves the server.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

MAPBOX_TILE_URL = (
    "https://api.mapbox.com/styles/v1/mapbox/streets-v11/tiles/{z}/{x}/{y}?access_token="
)
MAPBOX_ATTRIBUTION = "© Mapbox © OpenStreetMap contributors"

# asset type name → (short label on the marker, marker colour). All colours give white
# text a contrast of at least 4.5:1 (WCAG AA).
ASSET_TYPE_ICONS: dict[str, tuple[str, str]] = {
    "solar": ("PV", "#8a5a00"),
    "wind": ("W", "#1f5f8b"),
    "battery": ("B", "#2e6b30"),
    "building": ("BLD", "#5b4a8a"),
    "charging_station": ("EV", "#8b2f5f"),
    "bidirectional_charging_station": ("EV2", "#6d2f8b"),
    "one-way_evse": ("EV", "#8b2f5f"),
    "two-way_evse": ("EV2", "#6d2f8b"),
}
DEFAULT_ICON = ("A", "#444444")


def tile_layer(config: Mapping[str, Any]) -> dict[str, Any] | None:
    """The tile layer to draw under the maps, or None for the bundled world outline.

    ``FLEXMEASURES_MAP_TILE_URL`` (a Leaflet URL template) wins over MapBox, which is used
    when ``MAPBOX_ACCESS_TOKEN`` is set. Returns ``url``, ``attribution`` and Leaflet's
    ``tileSize`` and ``zoomOffset`` (MapBox serves 512-pixel tiles).
    """
    url = config.get("FLEXMEASURES_MAP_TILE_URL")
    if url:
        attribution = config.get("FLEXMEASURES_MAP_TILE_ATTRIBUTION") or ""
        return {"url": url, "attribution": attribution, "tileSize": 256, "zoomOffset": 0}
    token = config.get("MAPBOX_ACCESS_TOKEN")
    if token:
        return {
            "url": MAPBOX_TILE_URL + token,
            "attribution": MAPBOX_ATTRIBUTION,
            "tileSize": 512,
            "zoomOffset": -1,
        }
    return None


def asset_type_icon(asset_type_name: str) -> dict[str, str]:
    """The marker of an asset type: a short ``label`` and a ``colour`` (CSS hex)."""
    label, colour = ASSET_TYPE_ICONS.get(asset_type_name, DEFAULT_ICON)
    return {"label": label, "colour": colour}
