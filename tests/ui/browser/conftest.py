"""End-to-end UI tests in headless Chromium (Debian's /usr/bin/chromium, driven by Playwright).

The app runs on a live server thread (``tests/live_server.py``: werkzeug, a free port on
127.0.0.1) against its own PostgreSQL schema in the test database, ``browser_tests``, built
by the migrations and filled with committed demo data (``demo_data.py``); the schema is
dropped afterwards. The rolled-back transaction of ``tests/conftest.py`` cannot be shared
with a server thread. Its job queues are on the test Redis (no worker runs them).

Every test fails on a JavaScript error, a console error (e.g. a file that did not load) or
a request to any host but the test server: such requests are aborted and recorded.
Screenshots go to pytest's temporary folder, or to ``documentation/screenshots/`` with
``FLEXMEASURES_UPDATE_SCREENSHOTS=1``. Without Chromium (``bash ci/install-chromium.sh``
installs it) these tests are skipped, except in CI (``CI`` set), where they fail.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from redis import Redis

from flexmeasures.data import db
from tests.conftest import TEST_DATABASE_URI, TEST_PASSWORD, TEST_REDIS_URL
from tests.live_server import migrated_app, recreate_schema, serve
from tests.ui.browser.demo_data import add_demo_data

SCHEMA = "browser_tests"
CHROMIUM = Path(os.environ.get("FLEXMEASURES_TEST_CHROMIUM", "/usr/bin/chromium"))
# No background traffic of Chromium's own (updates, sync, ...): the machine has no internet.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
SCREENSHOTS = Path(__file__).resolve().parents[3] / "documentation" / "screenshots"
CONTRAST_SCRIPT = (Path(__file__).parent / "contrast.js").read_text()


LISTED_VIEWS = [  # the seed's menu plus the pages anyone may open, so every page is visited
    "dashboard",
    "analytics",
    "portfolio",
    "assets",
    "users",
    "upload",
    "control",
]


@pytest.fixture(scope="session")
def live_app() -> Iterator[Flask]:
    """The app on the browser tests' own schema, migrated and with committed demo data; its
    job queues on the test Redis (emptied), so that /rq shows rq-dashboard."""
    redis = Redis.from_url(TEST_REDIS_URL)
    redis.flushdb()
    app = migrated_app(
        TEST_DATABASE_URI,
        SCHEMA,
        TEST_REDIS_URL,
        settings={"WTF_CSRF_ENABLED": True, "FLEXMEASURES_LISTED_VIEWS": LISTED_VIEWS},
    )
    with app.app_context():
        app.config["DEMO_ASSET_IDS"] = {name: a.id for name, a in add_demo_data().items()}
        db.session.commit()
        db.session.remove()
    yield app
    with app.app_context():
        db.engine.dispose()
    recreate_schema(TEST_DATABASE_URI, SCHEMA, drop_only=True)
    redis.flushdb()


@pytest.fixture(scope="session")
def live_server(live_app: Flask) -> Iterator[str]:
    """The app served on a free port of 127.0.0.1 by a thread; yields its base URL."""
    servers = serve(live_app)
    try:
        yield next(servers).url
    finally:
        servers.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless Chromium from the system (never a browser downloaded by Playwright)."""
    if not CHROMIUM.exists():
        missing = f"No Chromium at {CHROMIUM}; install it with `bash ci/install-chromium.sh`."
        if os.environ.get("CI"):
            pytest.fail(missing)  # CI installs it (make install-for-test): never skip there
        pytest.skip(missing)
    from playwright import sync_api

    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@dataclass
class Problems:
    """What went wrong in the browser: JavaScript errors and requests to other hosts."""

    errors: list[str] = field(default_factory=list)
    foreign_requests: list[str] = field(default_factory=list)

    def check(self) -> None:
        """Fail the test if anything went wrong."""
        assert not self.foreign_requests, f"Requests left the server: {self.foreign_requests}"
        assert not self.errors, f"JavaScript errors: {self.errors}"


@pytest.fixture
def problems() -> Problems:
    """The problems recorded in the browser during one test."""
    return Problems()


@pytest.fixture
def page(browser: Any, live_server: str, problems: Problems) -> Iterator[Any]:
    """A fresh browser tab (no cookies) at 1366×768 on the live server, guarded: requests
    to other hosts are aborted, and they and any JavaScript error fail the test."""
    context = browser.new_context(viewport=DESKTOP, base_url=live_server)

    def only_the_server(route: Any) -> None:
        url = route.request.url
        if url == live_server or url.startswith(live_server + "/"):
            route.continue_()
        else:
            problems.foreign_requests.append(url)
            route.abort()

    context.route("**/*", only_the_server)
    tab = context.new_page()
    tab.on("console", lambda message: _record_console_error(message, problems))
    tab.on("pageerror", lambda error: problems.errors.append(f"uncaught: {error}"))
    yield tab
    context.close()
    problems.check()


def _record_console_error(message: Any, problems: Problems) -> None:
    """Record console messages of type error (failed loads included)."""
    if message.type == "error":
        problems.errors.append(f"{message.text} ({message.location.get('url')})")


def log_in(page: Any, email: str) -> None:
    """Log in through the login page and land on the dashboard."""
    page.goto("/login")
    page.get_by_label("Email Address").fill(email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Login").click()
    page.wait_for_url("**/")


def wait_for_map(page: Any) -> None:
    """Wait until the page's map has drawn its background (outline or tiles)."""
    page.wait_for_selector("#asset-map[data-ready='true']", timeout=15_000)


def screenshot(page: Any, name: str, tmp_path: Path) -> Path:
    """Save a full-page screenshot as ``<name>.png`` (see the module doc for where)."""
    folder = SCREENSHOTS if os.environ.get("FLEXMEASURES_UPDATE_SCREENSHOTS") else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def low_contrast_texts(page: Any) -> list[str]:
    """Visible texts on the page whose contrast is below WCAG AA."""
    return page.evaluate(CONTRAST_SCRIPT)


def overflows_horizontally(page: Any) -> bool:
    """True if the page is wider than the window (sideways scrolling needed)."""
    return page.evaluate("() => document.documentElement.scrollWidth > window.innerWidth + 1")
