"""The UI in a real browser: log in, the dashboard map, asset flows and every listed view."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

import pytest

from tests.ui.browser.conftest import (
    PHONE,
    log_in,
    low_contrast_texts,
    overflows_horizontally,
    screenshot,
    wait_for_map,
)
from tests.ui.browser.demo_data import (
    ADMIN_EMAIL,
    PROSUMER_ASSETS,
    PROSUMER_EMAIL,
    latest_measurement,
)

pytestmark = pytest.mark.slow


def test_log_in_and_see_the_map_with_assets(page, live_app, tmp_path):
    page.goto("/")
    page.wait_for_url("**/login**")
    assert low_contrast_texts(page) == []
    screenshot(page, "login", tmp_path)
    log_in(page, PROSUMER_EMAIL)
    wait_for_map(page)
    markers = page.locator(".leaflet-marker-icon")
    assert markers.count() == len(PROSUMER_ASSETS)
    page.get_by_title("Suwon battery").click()
    popup = page.locator(".leaflet-popup-content")
    page.wait_for_function(  # the pop-up has faded in (for the screenshot)
        "() => getComputedStyle(document.querySelector('.leaflet-popup')).opacity === '1'"
    )
    assert low_contrast_texts(page) == []  # the pop-up's texts too
    moment, value = latest_measurement("Suwon battery")
    when = moment.astimezone(ZoneInfo("Europe/Amsterdam")).strftime("%Y-%m-%d %H:%M %Z")
    assert f"Latest state: {value:.3f} MW at {when}" in popup.inner_text()  # the user's zone
    battery_id = live_app.config["DEMO_ASSET_IDS"]["Suwon battery"]
    assert popup.get_by_role("link", name="Analytics").get_attribute("href") == (
        f"/analytics?asset={battery_id}"
    )
    types = page.locator(".asset-types li")
    assert types.count() == 4  # one per asset type, with its count
    assert page.get_by_role("link", name=re.compile("1 wind turbine")).count() == 1
    screenshot(page, "dashboard", tmp_path)


def test_log_out(page):
    log_in(page, PROSUMER_EMAIL)
    page.get_by_role("button", name="Log out").click()
    page.goto("/")
    page.wait_for_url("**/login**")


def test_create_edit_and_delete_an_asset(page, tmp_path):
    log_in(page, ADMIN_EMAIL)
    page.goto("/assets")
    page.get_by_role("link", name="Create new asset").click()
    wait_for_map(page)
    page.get_by_label("Name", exact=True).fill("Browser test PV")
    page.get_by_label("Asset type").select_option("solar")
    page.get_by_label("Capacity (MW)").fill("0.5")
    page.get_by_label("Resolution (minutes, e.g. 15)").fill("15")
    page.locator("#asset-map").click()  # the location comes from the map
    assert page.get_by_label("Latitude").input_value() != ""
    assert page.get_by_label("Longitude").input_value() != ""
    screenshot(page, "asset-new", tmp_path)
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Asset 'Browser test PV' was created.").wait_for()
    wait_for_map(page)
    page.get_by_label("Display name").fill("Our browser PV")
    page.get_by_label("Latitude").fill("33.5")
    page.get_by_label("Longitude").fill("126.5")
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Asset 'Browser test PV' was saved.").wait_for()
    assert page.get_by_role("heading", level=1).inner_text() == "Our browser PV"
    assert page.get_by_label("Latitude").input_value() == "33.5"
    wait_for_map(page)
    screenshot(page, "asset", tmp_path)
    page.get_by_role("link", name="Delete this asset").click()
    screenshot(page, "asset-delete", tmp_path)
    page.get_by_role("button", name="Yes, delete").click()
    page.get_by_text("Asset 'Browser test PV' was deleted").wait_for()
    assert page.get_by_role("link", name="Our browser PV").count() == 0


def test_a_bad_value_gets_a_message_at_its_field(page, live_app):
    log_in(page, PROSUMER_EMAIL)
    battery_id = live_app.config["DEMO_ASSET_IDS"]["Suwon battery"]
    page.goto(f"/assets/{battery_id}")
    page.get_by_label("Latitude").fill("95")
    page.get_by_role("button", name="Save").click()
    assert "Number must be between -90 and 90" in page.locator("#latitude-errors").inner_text()


def test_the_asset_list_filters(page):
    log_in(page, PROSUMER_EMAIL)
    page.goto("/assets")
    page.get_by_label("Filter by name or type").fill("wind")
    page.get_by_role("button", name="Show").click()
    rows = page.locator("table.asset-list tbody tr")
    assert rows.count() == 1
    assert "Seongsan wind park" in rows.inner_text()


@pytest.mark.parametrize("email", [PROSUMER_EMAIL, ADMIN_EMAIL])
def test_every_listed_view_works_at_desktop_and_phone_width(page, email, tmp_path):
    log_in(page, email)
    menu = page.get_by_role("navigation", name="Main menu").get_by_role("link")
    views = {link.inner_text(): link.get_attribute("href") for link in menu.all()}
    assert {"Dashboard", "Assets"} <= set(views)
    for label, url in views.items():
        response = page.goto(url)
        assert response.status == 200, f"{label} ({url}): {response.status}"
        if page.locator("#asset-map").count():
            wait_for_map(page)
        assert low_contrast_texts(page) == [], label
        assert not overflows_horizontally(page), f"{label} is too wide at 1366 pixels"
        if email == PROSUMER_EMAIL:
            screenshot(page, label.lower().replace(" ", "-") + "-page", tmp_path)
        page.set_viewport_size(PHONE)
        assert not overflows_horizontally(page), f"{label} is too wide at phone width"
        if email == PROSUMER_EMAIL:
            screenshot(page, label.lower().replace(" ", "-") + "-page-phone", tmp_path)
        page.set_viewport_size({"width": 1366, "height": 768})


def test_form_fields_have_labels(page, live_app):
    log_in(page, ADMIN_EMAIL)
    battery_id = live_app.config["DEMO_ASSET_IDS"]["Suwon battery"]
    forms = ["/assets/new", f"/assets/{battery_id}", "/analytics", "/portfolio", "/control"]
    for url in [*forms, "/upload", "/assets", "/users"]:
        page.goto(url)
        unlabelled = page.evaluate(
            """() => [...document.querySelectorAll("input, select, textarea")]
                .filter((f) => f.type !== "hidden" && f.type !== "submit")
                .filter((f) => !f.labels.length && !f.getAttribute("aria-label"))
                .map((f) => f.name)"""
        )
        assert unlabelled == [], url


def test_account_page_creates_an_api_token(page, tmp_path):
    log_in(page, PROSUMER_EMAIL)
    page.get_by_role("link", name=PROSUMER_EMAIL).click()
    page.get_by_role("button", name="Create an API token").click()
    token = page.get_by_label(re.compile("Your new auth token")).input_value()
    assert len(token) > 20
    assert low_contrast_texts(page) == []
    screenshot(page, "account", tmp_path)


def test_admin_deactivates_and_reactivates_a_user(page, tmp_path):
    log_in(page, ADMIN_EMAIL)
    page.goto("/users")
    screenshot(page, "users", tmp_path)
    page.get_by_role("link", name="prosumer", exact=True).click()
    page.get_by_role("button", name="Deactivate user").click()
    page.get_by_text("User prosumer is deactivated.").wait_for()
    assert page.locator(".user-active").inner_text() == "no"
    page.get_by_role("button", name="Reactivate user").click()
    page.get_by_text("User prosumer is active.").wait_for()
    screenshot(page, "user", tmp_path)
