"""Reading API v3_0's flex-model and flex-context (pure: no app, no database)."""

from __future__ import annotations

import pytest

from flexmeasures.api.common.flex_model import parse_flex_model, price_sensor_id
from flexmeasures.api.common.messages import MessageError


def test_quantities_with_units_and_numbers_in_soc_unit():
    model = {
        "sensor": 3,
        "soc-at-start": 500,
        "soc-unit": "kWh",
        "soc-min": "0.1 MWh",
        "soc-max": "900 kWh",
        "soc-targets": [{"datetime": "2025-01-01T06:00:00+01:00", "value": 800}],
        "power-capacity": "250 kW",
        "roundtrip-efficiency": "81%",
    }
    flex = parse_flex_model(model, {"consumption-price": {"sensor": 1}})
    assert flex.sensor_id == 3
    assert flex.soc_at_start == pytest.approx(0.5)
    assert flex.soc_targets[0][1] == pytest.approx(0.8)
    assert flex.soc_targets[0][0].utcoffset().total_seconds() == 3600
    settings = flex.settings
    assert (settings.min_soc_in_mwh, settings.max_soc_in_mwh) == pytest.approx((0.1, 0.9))
    assert settings.capacity_in_mw == pytest.approx(0.25)
    assert settings.charging_efficiency == pytest.approx(0.9)
    assert settings.discharging_efficiency == pytest.approx(0.9)
    assert settings.market_id == 1


def test_site_capacity_caps_the_power_capacity():
    flex = parse_flex_model({"power-capacity": "2 MW"}, {"site-power-capacity": "1500 kW"})
    assert flex.settings.capacity_in_mw == pytest.approx(1.5)
    assert parse_flex_model({}, None).settings.capacity_in_mw is None


def test_the_older_price_sensor_field_is_read_too():
    assert price_sensor_id({"consumption-price-sensor": 7}) == 7
    assert price_sensor_id({}) is None


@pytest.mark.parametrize(
    ("model", "context", "field"),
    [
        ("battery", None, "flex-model"),
        ({"power-capacity": "-1 MW"}, None, "power-capacity"),
        ({"soc-targets": {"value": 1}}, None, "soc-targets"),
        ({"soc-targets": [{"datetime": "2025-01-01T06:00:00Z"}]}, None, "soc-targets"),
        ({"soc-at-start": True}, None, "soc-at-start"),
        ({}, {"consumption-price": "epex"}, "consumption-price"),
        ({}, ["epex"], "flex-context"),
    ],
)
def test_invalid_fields_are_named(model, context, field):
    with pytest.raises(MessageError) as error:
        parse_flex_model(model, context)
    assert error.value.http_status == 422
    assert f"'{field}'" in error.value.message
