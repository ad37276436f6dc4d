"""The Upload data page in a real browser: a good CSV is stored, a bad one gets a message."""

from __future__ import annotations

import pytest

from tests.ui.browser.conftest import log_in, low_contrast_texts, screenshot
from tests.ui.browser.demo_data import PROSUMER_EMAIL

pytestmark = pytest.mark.slow

HEADER = "event_start,power (MW)"


def choose_file(page, name: str, *lines: str) -> None:
    """Put a CSV file with these lines in the form's file field."""
    content = ("\n".join(lines) + "\n").encode()
    page.get_by_label("CSV file").set_input_files(
        {"name": name, "mimeType": "text/csv", "buffer": content}
    )


def test_upload_a_good_csv_and_a_bad_one(page, tmp_path):
    log_in(page, PROSUMER_EMAIL)
    page.get_by_role("navigation", name="Main menu").get_by_role("link", name="Upload data").click()
    page.get_by_label("Asset").select_option(label="Suwon battery")
    choose_file(
        page,
        "good.csv",
        HEADER,
        "2025-01-01T00:00:00+09:00,0.1",
        "2025-01-01T00:15:00+09:00,0.2",
    )
    page.get_by_role("button", name="Upload").click()
    page.get_by_text("Stored 2 values for Suwon battery").wait_for()
    assert low_contrast_texts(page) == []
    screenshot(page, "upload", tmp_path)
    page.get_by_label("Asset").select_option(label="Suwon battery")
    choose_file(
        page,
        "bad.csv",
        HEADER,
        "2025-01-02T00:00:00+09:00,0.1",
        "2025-01-02T00:15:00+09:00,5",
    )
    page.get_by_role("button", name="Upload").click()
    error = page.locator(".upload-error")
    error.wait_for()
    assert "Nothing was stored." in error.inner_text()
    assert "Row 3, column 'power'" in error.inner_text()
    assert low_contrast_texts(page) == []
    screenshot(page, "upload-error", tmp_path)
