"""The dashboard and the layout around every page (Flask test client)."""

from __future__ import annotations

import json
import re

from tests.ui.conftest import hours_ago, log_in, measure


def map_data(page: str) -> dict:
    """The settings and assets that the page hands to its map script."""
    found = re.search(r'<script type="application/json" id="asset-map-data">(.*?)</script>', page)
    assert found, "the page has no map data"
    return json.loads(found.group(1))


def test_dashboard_needs_a_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_dashboard_maps_the_users_own_assets_with_latest_state_and_links(client, assets, users):
    measure(assets["battery"], {hours_ago(2): 1.25})
    log_in(client, users["prosumer"].email)
    page = client.get("/").get_data(as_text=True)
    markers = {marker["name"]: marker for marker in map_data(page)["assets"]}
    assert set(markers) == {"home battery", "roof solar"}  # not the other prosumer's wind
    battery = markers["home battery"]
    assert battery["state"]["value"] == "1.250 MW"
    assert battery["analytics_url"] == f"/analytics?asset={assets['battery'].id}"
    assert battery["url"] == f"/assets/{assets['battery'].id}"
    assert (battery["latitude"], battery["longitude"]) == (52.1, 4.3)
    assert battery["icon"] != markers["roof solar"]["icon"]  # one icon per asset type
    assert markers["roof solar"]["state"] is None


def test_asset_types_are_counted_and_link_to_their_analytics(client, assets, users):
    log_in(client, users["admin"].email)
    page = client.get("/").get_data(as_text=True)
    types = page.split('<ul class="asset-types">', 1)[1].split("</ul>", 1)[0]
    for type_name, label in [("battery", "battery"), ("solar", "solar"), ("wind", "wind")]:
        assert f'href="/analytics?asset_type={type_name}"' in types
        assert re.search(rf'<span class="count">1</span> [^<]*{label}', types), label


def test_without_tile_settings_the_map_uses_the_bundled_outline(client, app, assets, users):
    log_in(client, users["prosumer"].email)
    data = map_data(client.get("/").get_data(as_text=True))
    assert data["tiles"] is None
    assert data["outline_url"] == "/ui/static/vendor/world-atlas/countries-50m.json"
    assert client.get(data["outline_url"]).status_code == 200


def test_with_a_mapbox_token_the_map_gets_mapbox_tiles(client, app, assets, users, monkeypatch):
    monkeypatch.setitem(app.config, "MAPBOX_ACCESS_TOKEN", "pk.secret-token")
    log_in(client, users["prosumer"].email)
    tiles = map_data(client.get("/").get_data(as_text=True))["tiles"]
    assert tiles["url"].startswith("https://api.mapbox.com/")
    assert tiles["url"].endswith("access_token=pk.secret-token")


def test_the_menu_lists_the_configured_views_and_the_platform_name(client, app, users, monkeypatch):
    monkeypatch.setitem(app.config, "FLEXMEASURES_PLATFORM_NAME", "Jeju Energy")
    monkeypatch.setitem(app.config, "FLEXMEASURES_LISTED_VIEWS", ["assets", "dashboard", "nope"])
    log_in(client, users["prosumer"].email)
    page = client.get("/assets").get_data(as_text=True)
    nav = page.split('<nav aria-label="Main menu">', 1)[1].split("</nav>", 1)[0]
    assert re.findall(r'<a href="([^"]*)"', nav) == ["/assets", "/"]  # in order, "nope" left out
    assert '<a href="/assets" aria-current="page">Assets</a>' in nav
    assert "<title>Assets · Jeju Energy</title>" in page
    assert '<a class="brand" href="/">Jeju Energy</a>' in page


def test_log_out_is_a_post_form_that_logs_out(client, users):
    log_in(client, users["prosumer"].email)
    page = client.get("/").get_data(as_text=True)
    assert re.search(r'<form class="logout" action="/logout" method="post">', page)
    assert client.post("/logout").status_code == 302
    assert client.get("/").status_code == 302  # back to the login page


def test_in_demo_mode_the_asset_types_of_all_assets_are_counted(
    client, app, assets, users, monkeypatch
):
    monkeypatch.setitem(app.config, "FLEXMEASURES_MODE", "demo")
    log_in(client, users["prosumer"].email)
    page = client.get("/").get_data(as_text=True)
    assert 'href="/analytics?asset_type=wind"' in page  # the other prosumer's wind turbine
    assert len(map_data(page)["assets"]) == 2  # the map still shows only the user's own


def test_only_in_play_mode_the_latest_state_may_lie_in_the_future(
    client, app, assets, users, monkeypatch
):
    measure(assets["battery"], {hours_ago(2): 1.0, hours_ago(-3): 4.0})
    log_in(client, users["prosumer"].email)

    def battery_state() -> str:
        markers = map_data(client.get("/").get_data(as_text=True))["assets"]
        return next(m for m in markers if m["name"] == "home battery")["state"]["value"]

    assert battery_state() == "1.000 MW"
    monkeypatch.setitem(app.config, "FLEXMEASURES_MODE", "play")
    assert battery_state() == "4.000 MW"


def test_in_demo_mode_the_latest_state_comes_from_the_demo_year_shown_as_now(
    client, app, assets, users, monkeypatch
):
    two_hours_ago = hours_ago(2)
    a_year_earlier = two_hours_ago.replace(year=two_hours_ago.year - 1)
    measure(assets["battery"], {two_hours_ago: 1.0, a_year_earlier: 3.0})
    measure(assets["battery"], {a_year_earlier + (hours_ago(0) - two_hours_ago) * 2: 5.0})
    monkeypatch.setitem(app.config, "FLEXMEASURES_MODE", "demo")
    monkeypatch.setitem(app.config, "FLEXMEASURES_DEMO_YEAR", a_year_earlier.year)
    log_in(client, users["prosumer"].email)
    markers = map_data(client.get("/").get_data(as_text=True))["assets"]
    battery = next(m for m in markers if m["name"] == "home battery")["state"]
    # last year's value two hours before "now" there, not this year's, nor one after that now
    assert battery["value"] == "3.000 MW"
    assert battery["time"].startswith(f"{two_hours_ago.year}-")  # shown at this year's date
