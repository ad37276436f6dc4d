"""``flexmeasures add external-weather-forecasts`` against a local stub of Open-Meteo's
forecast API: the answer is saved as a JSON file, or as forecasts (horizons from the time of
the request, radiation in kW/m²) of weather sensors at the location, created if missing.

The stub serves data/open_meteo_forecast.json: an answer in Open-Meteo's format (two days
of hourly values for 33.4366, 126.5269 from 2021-01-01), written for these tests.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pandas as pd
import pytest
from sqlalchemy import select

from flexmeasures.cli import cli
from flexmeasures.data.models import DataSource, TimedBelief, WeatherSensor
from flexmeasures.data.services import weather_forecasts
from flexmeasures.data.services.weather_forecasts import (
    WeatherForecastError,
    fetch_weather_forecasts,
    forecast_series,
)
from tests.cli.conftest import assert_one_line_error

RECORDED = Path(__file__).parent / "data" / "open_meteo_forecast.json"
REQUESTED_AT = datetime(2021, 1, 1, 10, 30, tzinfo=UTC)
LOCATION = "33.4366,126.5269"


class StubOpenMeteo(BaseHTTPRequestHandler):
    """Answers /v1/forecast with the recorded JSON, anything else with a 500 error."""

    requests: list[dict[str, list[str]]] = []

    def do_GET(self) -> None:
        """Answer a GET request (http.server calls the method by this name)."""
        url = urlparse(self.path)
        type(self).requests.append(parse_qs(url.query))
        if url.path != "/v1/forecast":
            self._answer(500, b'{"error": true, "reason": "Internal error"}')
            return
        self._answer(200, RECORDED.read_bytes())

    def _answer(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        """Keep the test output quiet."""


@pytest.fixture
def run_cli(app, db):
    """Run ``flexmeasures <args>`` after committing the test's setup (see tests/cli)."""
    runner = app.test_cli_runner()

    def run(*args: str):
        db.session.commit()
        return runner.invoke(cli, list(args))

    return run


@pytest.fixture(scope="module")
def stub_server() -> Iterator[str]:
    """The stub's base URL, on 127.0.0.1 at a free port."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), StubOpenMeteo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def stub_url(app, stub_server, monkeypatch) -> str:
    """FLEXMEASURES_WEATHER_FORECAST_URL pointing at the stub; requests made at REQUESTED_AT."""
    url = f"{stub_server}/v1/forecast"
    monkeypatch.setitem(app.config, "FLEXMEASURES_WEATHER_FORECAST_URL", url)
    monkeypatch.setattr(weather_forecasts, "request_time", lambda: REQUESTED_AT)
    StubOpenMeteo.requests.clear()
    return url


def weather_beliefs(db, sensor: WeatherSensor) -> pd.DataFrame:
    """Every belief of a weather sensor, by event start."""
    rows = db.session.execute(
        select(TimedBelief.event_start, TimedBelief.belief_horizon, TimedBelief.event_value)
        .where(TimedBelief.sensor_id == sensor.id)
        .order_by(TimedBelief.event_start)
    ).all()
    return pd.DataFrame(rows, columns=["event_start", "belief_horizon", "event_value"])


def test_the_answer_is_read_in_the_sensor_types_units(stub_url):
    response = fetch_weather_forecasts(stub_url, 33.4366, 126.5269)
    series = forecast_series(response)

    query = StubOpenMeteo.requests[-1]
    assert query["latitude"] == ["33.4366"] and query["longitude"] == ["126.5269"]
    assert query["hourly"] == ["temperature_2m,wind_speed_10m,shortwave_radiation"]
    assert query["wind_speed_unit"] == ["ms"]
    recorded = json.loads(RECORDED.read_text())["hourly"]
    noon = pd.Timestamp("2021-01-01T12:00Z")
    assert series["temperature"][noon] == recorded["temperature_2m"][12]
    assert series["wind_speed"][noon] == recorded["wind_speed_10m"][12]
    # radiation (W/m²) is the mean of the preceding hour: the event before the hour, in kW/m²
    assert series["radiation"][noon - pd.Timedelta(hours=1)] == pytest.approx(
        recorded["shortwave_radiation"][12] / 1000
    )


def test_without_store_in_db_the_answer_is_saved_as_json(
    run_cli, app, db, stub_url, tmp_path, monkeypatch
):
    monkeypatch.setattr(app, "instance_path", str(tmp_path))

    result = run_cli(
        "add", "external-weather-forecasts", "--location", LOCATION, "--region", "jeju"
    )

    assert result.exit_code == 0, result.output
    saved = list((tmp_path / "weather-forecasts" / "jeju").glob("*.json"))
    assert [path.name for path in saved] == [
        "weather-forecast_33.4366,126.5269_2021-01-01T10-30-00Z.json"
    ]
    assert str(saved[0]) in result.output
    assert json.loads(saved[0].read_text()) == json.loads(RECORDED.read_text())
    assert db.session.scalars(select(WeatherSensor)).all() == []


def test_store_in_db_creates_sensors_and_saves_forecasts(run_cli, db, structure, stub_url):
    result = run_cli("add", "external-weather-forecasts", "--location", LOCATION, "--store-in-db")

    assert result.exit_code == 0, result.output
    sensors = {
        sensor.weather_sensor_type_name: sensor
        for sensor in db.session.scalars(select(WeatherSensor))
    }
    assert {name: sensor.unit for name, sensor in sensors.items()} == {
        "temperature": "°C",
        "wind_speed": "m/s",
        "radiation": "kW/m²",
    }
    assert {(s.latitude, s.longitude, s.event_resolution) for s in sensors.values()} == {
        (33.4366, 126.5269, timedelta(hours=1))
    }
    temperature = weather_beliefs(db, sensors["temperature"])
    # events that ended by 10:30 are no forecasts; 11:00-12:00 was forecast 1.5 hours ahead
    assert len(temperature) == 38
    first = temperature.iloc[0]
    assert first["event_start"] == datetime(2021, 1, 1, 10, tzinfo=UTC)
    assert first["belief_horizon"] == timedelta(minutes=30)
    assert temperature.iloc[1]["belief_horizon"] == timedelta(hours=1, minutes=30)
    radiation = weather_beliefs(db, sensors["radiation"])
    assert radiation["event_value"].max() == pytest.approx(0.45)  # 450 W/m² at its peak
    assert "temperature: 38 forecasts (°C)" in result.output
    sources = db.session.scalars(select(DataSource).filter_by(name="Open-Meteo")).all()
    assert [source.type for source in sources] == ["forecasting script"]


def test_collecting_again_reuses_sensors_and_overwrites(run_cli, db, structure, stub_url):
    nearby = WeatherSensor(
        name="thermometer on the roof",
        weather_sensor_type_name="temperature",
        latitude=33.44,
        longitude=126.53,
        unit="°C",
        event_resolution=timedelta(minutes=30),
    )
    db.session.add(nearby)
    db.session.flush()
    for _ in range(2):
        result = run_cli(
            "add", "external-weather-forecasts", "--location", LOCATION, "--store-in-db"
        )
        assert result.exit_code == 0, result.output

    assert len(db.session.scalars(select(WeatherSensor.id)).all()) == 3
    half_hourly = weather_beliefs(db, nearby)
    assert len(half_hourly) == 2 * 38 - 1  # 10:00-10:30 had ended at 10:30
    assert half_hourly["belief_horizon"].iloc[0] == timedelta(minutes=30)


@pytest.mark.parametrize(
    "location, fragment",
    [("91,5", "latitude 91.0 must be within -90..90"), ("33.4366", "give it as LAT,LNG")],
)
def test_bad_locations_are_refused(run_cli, stub_url, location, fragment):
    result = run_cli("add", "external-weather-forecasts", "--location", location)

    assert_one_line_error(result, fragment)
    assert StubOpenMeteo.requests == []


def test_a_provider_error_is_one_line_and_stores_nothing(
    run_cli, app, db, structure, stub_url, monkeypatch
):
    monkeypatch.setitem(app.config, "FLEXMEASURES_WEATHER_FORECAST_URL", stub_url + "/broken")

    result = run_cli("add", "external-weather-forecasts", "--location", LOCATION, "--store-in-db")

    assert_one_line_error(result, "answered 500", "Internal error")
    assert db.session.scalars(select(WeatherSensor)).all() == []


def test_an_unexpected_answer_is_explained():
    with pytest.raises(WeatherForecastError, match="Unexpected forecast data"):
        forecast_series({"hourly": {"time": ["2021-01-01T00:00"]}})
    with pytest.raises(WeatherForecastError, match="came in °F"):
        forecast_series(
            {
                "hourly_units": {"temperature_2m": "°F"},
                "hourly": {
                    "time": ["2021-01-01T00:00"],
                    "temperature_2m": [40],
                    "wind_speed_10m": [1],
                    "shortwave_radiation": [0],
                },
            }
        )
