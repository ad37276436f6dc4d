"""The latest measured state of assets (dashboard pop-ups, asset pages)."""

from __future__ import annotations

from datetime import timedelta

from flexmeasures.data.services.latest_state import latest_measurements
from tests.ui.conftest import hours_ago, measure


def test_latest_measurement_per_asset_ignores_forecasts_and_the_future(db, assets):
    battery, solar = assets["battery"], assets["solar"]
    measure(battery, {hours_ago(3): 1.0, hours_ago(2): 2.0})
    measure(battery, {hours_ago(1): 9.0}, horizon=timedelta(hours=1))  # a forecast
    measure(solar, {hours_ago(5): -0.5, hours_ago(-2): -7.0})  # one "measured" in the future
    states = latest_measurements([battery.id, solar.id, assets["wind"].id], until=hours_ago(0))
    assert set(states) == {battery.id, solar.id}  # wind has no data
    assert (states[battery.id].event_start, states[battery.id].value) == (hours_ago(2), 2.0)
    assert (states[solar.id].event_start, states[solar.id].value) == (hours_ago(5), -0.5)


def test_without_a_limit_the_latest_event_counts_even_in_the_future(db, assets):
    measure(assets["solar"], {hours_ago(5): -0.5, hours_ago(-2): -7.0})
    state = latest_measurements([assets["solar"].id])[assets["solar"].id]
    assert (state.event_start, state.value) == (hours_ago(-2), -7.0)


def test_of_several_measurements_of_one_event_the_most_recent_belief_counts(db, assets):
    battery = assets["battery"]
    measure(battery, {hours_ago(2): 1.5}, horizon=timedelta(0))
    measure(battery, {hours_ago(2): 1.7}, horizon=-timedelta(hours=1))  # corrected later
    assert latest_measurements([battery.id])[battery.id].value == 1.7


def test_no_sensors_no_query(db):
    assert latest_measurements([]) == {}


def test_many_sensors_are_looked_up_in_chunks(db, assets, monkeypatch):
    monkeypatch.setattr("flexmeasures.data.services.latest_state.CHUNK", 2)
    for number, asset in enumerate(assets.values()):
        measure(asset, {hours_ago(number + 1): float(number)})
    ids = [asset.id for asset in assets.values()]
    states = latest_measurements(ids + ids[:1])  # a repeated id is looked up once
    assert {sensor_id: state.value for sensor_id, state in states.items()} == {
        ids[0]: 0.0,
        ids[1]: 1.0,
        ids[2]: 2.0,
    }
