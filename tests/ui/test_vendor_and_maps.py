"""Vendored front-end files and map settings: nothing is loaded from elsewhere by default."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from flexmeasures.ui.maps import asset_type_icon, tile_layer

VENDOR = Path(__file__).resolve().parents[2] / "flexmeasures" / "ui" / "static" / "vendor"
TEMPLATES = VENDOR.parents[1] / "templates"


def recorded_sums() -> dict[str, str]:
    """File (relative to vendor/) → sha256, as recorded by ci/vendor-frontend.sh."""
    lines = (VENDOR / "SHA256SUMS").read_text().splitlines()
    return {name: digest for digest, name in (line.split("  ", 1) for line in lines)}


def test_vendored_files_match_their_recorded_checksums():
    sums = recorded_sums()
    present = {
        str(path.relative_to(VENDOR))
        for path in VENDOR.rglob("*")
        if path.is_file() and path.name != "SHA256SUMS"
    }
    assert present == set(sums)
    for name, digest in sums.items():
        assert hashlib.sha256((VENDOR / name).read_bytes()).hexdigest() == digest, name


@pytest.mark.parametrize("package", ["leaflet", "world-atlas", "topojson-client"])
def test_each_vendored_package_keeps_its_licence_and_version(package):
    assert (VENDOR / package / "LICENSE").read_text().strip()
    assert re.fullmatch(rf"{package}@\d+\.\d+\.\d+\n", (VENDOR / package / "VERSION").read_text())


def test_templates_load_nothing_from_other_hosts():
    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text()
        assert not re.search(r'(src|href)="(https?:)?//', text), template.name


def test_without_settings_there_are_no_tiles():
    assert tile_layer({"MAPBOX_ACCESS_TOKEN": None, "FLEXMEASURES_MAP_TILE_URL": None}) is None


def test_a_tile_url_setting_wins_over_mapbox():
    tiles = tile_layer(
        {
            "MAPBOX_ACCESS_TOKEN": "pk.token",
            "FLEXMEASURES_MAP_TILE_URL": "https://tiles.example.com/{z}/{x}/{y}.png",
            "FLEXMEASURES_MAP_TILE_ATTRIBUTION": "© us",
        }
    )
    assert tiles["url"] == "https://tiles.example.com/{z}/{x}/{y}.png"
    assert tiles["attribution"] == "© us"


def test_mapbox_tiles_carry_the_token():
    tiles = tile_layer({"MAPBOX_ACCESS_TOKEN": "pk.token"})
    assert tiles["url"].endswith("?access_token=pk.token")
    assert (tiles["tileSize"], tiles["zoomOffset"]) == (512, -1)


def test_asset_types_have_their_own_icons_and_unknown_ones_a_default():
    assert asset_type_icon("solar") != asset_type_icon("wind")
    assert asset_type_icon("my own type") == {"label": "A", "colour": "#444444"}
