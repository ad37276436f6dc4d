"""The Upload data page: a CSV of meter data, checked like postMeterData; all rows or none."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from flexmeasures.data.models import TimedBelief
from tests.ui.conftest import log_in

HEADER = "event_start,power (MW)"
GOOD_ROWS = [
    "2026-01-01T00:00:00+01:00,1.5",
    "2026-01-01T00:15:00+01:00,1.25",
    "2026-01-01T00:30:00+01:00,-0.5",
]


def csv_of(*lines: str) -> bytes:
    """The bytes of a CSV file with these lines."""
    return ("\n".join(lines) + "\n").encode()


def upload(client, asset, content: bytes):
    """Post the upload form with the file for the asset."""
    data = {"asset_id": str(asset.id), "csv_file": (io.BytesIO(content), "meter.csv")}
    return client.post("/upload", data=data, content_type="multipart/form-data")


def stored_values(db, asset) -> int:
    """How many beliefs the asset has."""
    return db.session.scalar(select(func.count()).where(TimedBelief.sensor_id == asset.id))


def test_page_lists_the_assets_the_user_may_address(client, assets, users):
    log_in(client, users["prosumer"].email)
    page = client.get("/upload").get_data(as_text=True)
    assert "home battery" in page and "roof solar" in page
    assert "north wind" not in page  # another prosumer's
    assert 'href="/upload"' not in page  # not in the seed's default menu


def test_upload_is_in_the_menu_when_listed(app, client, assets, users, monkeypatch):
    listed = [*app.config["FLEXMEASURES_LISTED_VIEWS"], "upload"]
    monkeypatch.setitem(app.config, "FLEXMEASURES_LISTED_VIEWS", listed)
    log_in(client, users["prosumer"].email)
    assert 'href="/upload"' in client.get("/upload").get_data(as_text=True)


def test_mdc_may_upload_for_every_asset(client, assets, users):
    log_in(client, users["mdc"].email)
    assert "north wind" in client.get("/upload").get_data(as_text=True)


def test_good_csv_is_stored(client, db, assets, users):
    log_in(client, users["prosumer"].email)
    response = upload(client, assets["battery"], csv_of(HEADER, *GOOD_ROWS))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Stored 3 values for home battery" in page
    values = db.session.scalars(
        select(TimedBelief.event_value)
        .where(TimedBelief.sensor_id == assets["battery"].id)
        .order_by(TimedBelief.event_start)
    ).all()
    assert values == [1.5, 1.25, -0.5]


def test_uploading_the_same_data_twice_stores_nothing_the_second_time(client, db, assets, users):
    log_in(client, users["prosumer"].email)
    upload(client, assets["battery"], csv_of(HEADER, *GOOD_ROWS))
    page = upload(client, assets["battery"], csv_of(HEADER, *GOOD_ROWS)).get_data(as_text=True)
    assert "ALREADY_RECEIVED_AND_SUCCESSFULLY_PROCESSED" in page
    assert stored_values(db, assets["battery"]) == 3


@pytest.mark.parametrize(
    "lines, message",
    [
        (("time,power (MW)", *GOOD_ROWS), "Row 1 (the header) should name two columns"),
        ((HEADER + ",extra", *GOOD_ROWS), "Row 1 (the header) should name two columns"),
        (("event_start,power (kW)", *GOOD_ROWS), "Row 1 (the header), column &#39;power&#39;"),
        ((HEADER, GOOD_ROWS[0], "2026-01-01T00:15:00,2"), "Row 3, column &#39;event_start&#39;"),
        ((HEADER, GOOD_ROWS[0], "yesterday,2"), "Row 3, column &#39;event_start&#39;"),
        (
            (HEADER, *GOOD_ROWS[:2], "2026-01-01T00:45:00+01:00,2"),
            "Row 4, column &#39;event_start&#39;",
        ),
        ((HEADER, GOOD_ROWS[1], GOOD_ROWS[0]), "should be in time order"),
        ((HEADER, *GOOD_ROWS, "2026-01-01T00:45:00+01:00,abc"), "Row 5, column &#39;power&#39;"),
        ((HEADER, *GOOD_ROWS, "2026-01-01T00:45:00+01:00,nan"), "is not a finite number"),
        ((HEADER, *GOOD_ROWS, "2026-01-01T00:45:00+01:00,9"), "Row 5, column &#39;power&#39;"),
        ((HEADER, "2026-01-01T00:05:00+01:00,1"), "INVALID_RESOLUTION"),
        ((HEADER, GOOD_ROWS[0], "2026-01-01T00:15:00+01:00"), "Row 3 has 1 columns"),
        ((HEADER,), "no data rows"),
    ],
)
def test_bad_csv_gets_a_message_and_nothing_is_stored(client, db, assets, users, lines, message):
    log_in(client, users["prosumer"].email)
    response = upload(client, assets["battery"], csv_of(*lines))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Nothing was stored." in page
    assert message in page
    assert stored_values(db, assets["battery"]) == 0


def test_production_of_a_pure_producer_must_not_be_positive(client, db, assets, users):
    log_in(client, users["prosumer"].email)
    rows = ["2026-01-01T00:00:00+01:00,-1", "2026-01-01T00:15:00+01:00,0.5"]
    page = upload(client, assets["solar"], csv_of(HEADER, *rows)).get_data(as_text=True)
    assert "Row 3, column &#39;power&#39;: One or more power values are too big" in page
    assert stored_values(db, assets["solar"]) == 0


def test_other_peoples_assets_cannot_be_chosen(client, db, assets, users):
    log_in(client, users["prosumer"].email)
    page = upload(client, assets["wind"], csv_of(HEADER, *GOOD_ROWS)).get_data(as_text=True)
    assert "Not a valid choice" in page
    assert stored_values(db, assets["wind"]) == 0


def test_missing_file_gets_a_message(client, assets, users):
    log_in(client, users["prosumer"].email)
    response = client.post("/upload", data={"asset_id": str(assets["battery"].id)})
    assert "Please choose a CSV file." in response.get_data(as_text=True)


def test_too_large_upload_gets_a_page(app, client, db, assets, users, monkeypatch):
    log_in(client, users["prosumer"].email)
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1024 * 1024)
    big = csv_of(HEADER, *GOOD_ROWS) + b"x" * (1024 * 1024)
    response = upload(client, assets["battery"], big)
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "The file is too large: uploads are limited to 1 MB" in page
    assert "<nav" in page  # within the layout
    assert stored_values(db, assets["battery"]) == 0


def test_upload_needs_a_login(client):
    assert client.get("/upload").status_code in (302, 401)
