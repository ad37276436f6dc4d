"""The embedded default: with nothing configured, FlexMeasures runs on a SQLite file in the
instance folder, with jobs in-process; in-process and as the real ``flexmeasures run``."""

from __future__ import annotations

import json
import math
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from flexmeasures.config import ENVIRONMENTS, default_settings
from flexmeasures.data import db
from tests.live_server import stop_process

SETTING_NAMES = {name for env in ENVIRONMENTS for name in default_settings(env)}
EMAIL = "smoke@example.com"
PASSWORD = "smoke-test-password"
# A home config, as a developer might keep one: fast password hashing for this test.
HOME_CONFIG = 'SECURITY_PASSWORD_HASH_OPTIONS = {"bcrypt": {"rounds": 4}}\n'


def is_flexmeasures_setting(name: str) -> bool:
    """True for environment variables that configure FlexMeasures."""
    return name in SETTING_NAMES or name.startswith(("FLEXMEASURES_", "SQLALCHEMY_", "FLASK_"))


def clean_environment(tmp_path: Path) -> dict[str, str]:
    """The process environment without FlexMeasures settings; HOME and instance in tmp_path."""
    environment = {k: v for k, v in os.environ.items() if not is_flexmeasures_setting(k)}
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    (home / ".flexmeasures.cfg").write_text(HOME_CONFIG)
    environment.update(
        HOME=str(home),
        FLEXMEASURES_ENV="development",
        FLEXMEASURES_INSTANCE_PATH=str(tmp_path / "instance"),
    )
    return environment


@pytest.fixture
def embedded_app(tmp_path, monkeypatch) -> Iterator[Flask]:
    """The app as ``flexmeasures`` creates it with a clean environment, migrated."""
    from flask_migrate import upgrade

    from flexmeasures.cli import create_cli_app
    from flexmeasures.data.services.structure import add_default_structure
    from flexmeasures.data.services.users import create_user

    environment = clean_environment(tmp_path)
    for name in [name for name in os.environ if name not in environment]:
        monkeypatch.delenv(name)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    app = create_cli_app()
    with app.app_context():
        upgrade()
        add_default_structure()
        create_user(EMAIL, PASSWORD, "smoke", roles=["Prosumer"])
        db.session.commit()
        yield app
        db.session.remove()
        db.engine.dispose()


def test_embedded_default_uses_sqlite_in_the_instance_folder(embedded_app, tmp_path):
    database = tmp_path / "instance" / "flexmeasures.db"
    assert embedded_app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{database}"
    assert database.is_file()
    assert (tmp_path / "instance" / "secret_key").is_file()


def test_a_user_gets_a_token(embedded_app):
    response = embedded_app.test_client().post(
        "/api/requestAuthToken", json={"email": EMAIL, "password": PASSWORD}
    )
    assert response.status_code == 200, response.json
    assert response.json["auth_token"]
    assert response.json["user_id"] == 1


def test_wrong_password_gets_no_token(embedded_app):
    response = embedded_app.test_client().post(
        "/api/requestAuthToken", json={"email": EMAIL, "password": "not-the-password"}
    )
    assert response.status_code == 401
    assert "errors" in response.json


def test_the_dashboard_needs_a_login_and_then_shows_the_structure(embedded_app):
    client = embedded_app.test_client()
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
    form = {"email": EMAIL, "password": PASSWORD}
    embedded_app.config["WTF_CSRF_ENABLED"] = False
    assert client.post("/login", data=form).status_code == 302
    page = client.get("/")
    assert page.status_code == 200
    assert "<li><strong>1</strong> market</li>" in page.get_data(as_text=True)  # epex_da


def test_the_api_answers(embedded_app):
    response = embedded_app.test_client().get("/api/")
    assert response.status_code == 200
    assert "versions" in response.json


def test_jobs_run_in_process_at_once(embedded_app):
    from flexmeasures.jobs import enqueue, queues_are_async

    assert not queues_are_async(embedded_app)
    job = enqueue("forecasting", math.hypot, 3, 4)
    assert job.is_finished
    assert job.return_value() == 5.0


# The real thing: `flexmeasures run`


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def flexmeasures_script() -> str:
    """The installed ``flexmeasures`` console script (next to this Python, or on the PATH)."""
    script = Path(sys.executable).parent / "flexmeasures"
    return str(script) if script.exists() else shutil.which("flexmeasures")


def wait_for_json(url: str, server: subprocess.Popen, seconds: float = 60) -> dict:
    """Poll ``url`` until it answers with JSON; fail if the server exits or time runs out."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"flexmeasures run exited with {server.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return json.load(response)
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.2)
    pytest.fail(f"{url} did not answer within {seconds} s")


@pytest.mark.slow
def test_flexmeasures_run_serves_the_api(tmp_path):
    port = free_port()
    log_path = tmp_path / "server.log"
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [flexmeasures_script(), "run", "--port", str(port)],
            env=clean_environment(tmp_path),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        answer = wait_for_json(f"http://127.0.0.1:{port}/api/", server)
        assert "versions" in answer
        assert (tmp_path / "instance" / "flexmeasures.db").is_file()
    finally:
        stop_process(server, timeout=10)
    assert "applying migrations" in log_path.read_text()


def test_login_page_is_in_the_flexmeasures_layout(app):
    """The login page shows the platform's header and the login form."""
    with app.test_client() as client:
        page = client.get("/login").get_data(as_text=True)
    assert f'<a class="brand" href="/">{app.config["FLEXMEASURES_PLATFORM_NAME"]}</a>' in page
    assert 'name="login_user_form"' in page and 'name="password"' in page
