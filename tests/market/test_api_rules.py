"""Every input rule of the marketplace (pure: flexmeasures.market.rules, no app needed)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from flexmeasures.market.rules import (
    RuleError,
    format_time,
    parse_meter_data,
    parse_meter_submission,
    parse_order,
    parse_time,
)

from .conftest import NOW, at, meter_data, order_body


def broken(body: dict) -> dict[str, list[str]]:
    """The errors of an order body (which must break a rule)."""
    with pytest.raises(RuleError) as caught:
        parse_order(body, NOW)
    return caught.value.errors


@pytest.mark.parametrize(
    "changes, field, words",
    [
        ({"side": "hold"}, "side", "'buy' or 'sell'"),
        ({"side": None}, "side", "required"),
        ({"power": 0}, "power", "greater than 0"),
        ({"power": -5}, "power", "greater than 0"),
        ({"power": "1000"}, "power", "number"),
        ({"power": True}, "power", "number"),
        ({"price": "1"}, "price", "number"),
        ({"price": -0.1}, "price", "0 or more"),
        ({"price": float("nan")}, "price", "finite"),
        ({"delivery_start": "2030-01-07T10:05:00Z"}, "delivery_start", "quarter hour"),
        ({"delivery_start": at(2)[:-3] + "30Z"}, "delivery_start", "seconds 0"),
        ({"delivery_end": "2030-01-07T11:00:00.500Z"}, "delivery_end", "quarter hour"),
        ({"delivery_start": "2030-01-07T12:00:00+01:00"}, "delivery_start", "UTC"),
        ({"delivery_start": "tomorrow"}, "delivery_start", "not a time"),
        ({"delivery_end": at(2)}, "delivery_end", "after delivery_start"),
        ({"delivery_end": at(1.75)}, "delivery_end", "after delivery_start"),
        ({"expiry_time": at(2)}, "expiry_time", "before delivery_start"),
        ({"expiry_time": at(-0.01)}, "expiry_time", "future"),
        ({"delivery_start": at(-1), "expiry_time": at(-2)}, "delivery_start", "future"),
        ({"delivery_start": at(0.25), "expiry_time": at(0.1)}, "delivery_start", "15 minutes"),
        ({"location": {"country_code": "NL"}}, "location.country_code", "CZ, CH, ES, DE, FI"),
        ({"location": {"location_id": [3]}}, "location.location_id", "list of location ids"),
        ({"location": "FI"}, "location", "object"),
        ({"idempotency_key": ""}, "idempotency_key", "non-empty"),
        ({"idempotency_key": "k" * 256}, "idempotency_key", "255"),
    ],
)
def test_each_broken_rule_names_its_field(changes, field, words):
    errors = broken({**order_body("buy"), **changes})
    assert field in errors, errors
    assert any(words in message for message in errors[field]), errors[field]


def test_several_broken_rules_are_all_named():
    errors = broken({**order_body("buy"), "power": 0, "price": "x", "side": "short"})
    assert set(errors) == {"power", "price", "side"}


def test_a_body_must_be_an_object():
    with pytest.raises(RuleError) as caught:
        parse_order([1, 2], NOW)
    assert caught.value.errors == {"body": ["must be a JSON object"]}


@pytest.mark.parametrize("code", ["CZ", "CH", "ES", "DE", "FI", "FR"])
def test_every_country_of_the_marketplace_is_accepted(code):
    order = parse_order(order_body("buy", location={"country_code": code}), NOW)
    assert order.country_code == code


@pytest.mark.parametrize(
    "location",
    [
        None,
        {},
        {"location_id": [None], "country_code": ""},
        {"location_id": None},
        {"location_id": []},
    ],
)
def test_null_and_empty_locations_mean_any(location):
    order = parse_order(order_body("buy", location=location), NOW)
    assert order.country_code is None and order.location_ids is None


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2026-02-26T11:00:00Z", datetime(2026, 2, 26, 11, tzinfo=UTC)),
        ("2026-02-26T11:00:00.000Z", datetime(2026, 2, 26, 11, tzinfo=UTC)),
        ("2026-02-26T10:00:00:100Z", datetime(2026, 2, 26, 10, 0, 0, 100000, tzinfo=UTC)),
        ("2026-02-26T11:00:00+00:00", datetime(2026, 2, 26, 11, tzinfo=UTC)),
        ("2026-02-26T11:00:00", datetime(2026, 2, 26, 11, tzinfo=UTC)),
    ],
)
def test_times_in_the_seeds_notations(text, expected):
    assert parse_time(text) == expected


def test_times_are_written_as_the_seed_writes_them():
    assert format_time(datetime(2026, 2, 26, 11, tzinfo=UTC)) == "2026-02-26T11:00:00Z"
    moment = datetime(2026, 2, 26, 11, 0, 0, 842304, tzinfo=UTC)
    assert format_time(moment) == "2026-02-26T11:00:00.842Z"


def test_a_valid_sell_keeps_its_baseline_in_kwh():
    order = parse_order(order_body("sell"), NOW)
    assert order.side == "sell" and order.power_w == 1000.0
    assert [p["value"] for p in order.baseline["data_points"]] == [0.25] * 4


def test_buys_drop_a_baseline():
    assert parse_order(order_body("buy", baseline=meter_data([1])), NOW).baseline is None


def test_meter_data_in_wh_and_in_the_older_point_shape():
    data = {"unit_measured": "Wh", "data_points": [{"2019-08-24T14:15:00Z": 500}]}
    normalised, points = parse_meter_data(data)
    assert points == {datetime(2019, 8, 24, 14, 15, tzinfo=UTC): 0.5}
    assert normalised["unit_measured"] == "kWh"


@pytest.mark.parametrize(
    "data, words",
    [
        ({"data_points": []}, "non-empty"),
        ({"data_points": [{"timestamp": "x", "value": 1}]}, "not a time"),
        ({"data_points": [{"timestamp": at(1), "value": "1"}]}, "number"),
        ({"unit_measured": "kW", "data_points": [{"timestamp": at(1), "value": 1}]}, "unit"),
        ([], "object"),
    ],
)
def test_broken_meter_data_is_refused(data, words):
    with pytest.raises(ValueError, match=words):
        parse_meter_data(data)


def test_meter_submissions_name_their_broken_fields():
    with pytest.raises(RuleError) as caught:
        parse_meter_submission(
            {"order_id": "ce15bc33-2bda", "measurement_type": "other", "metering_data": {}}
        )
    assert set(caught.value.errors) == {"order_id", "measurement_type", "metering_data"}
    good = {"order_id": "7", "metering_data": meter_data([1.0])}
    assert parse_meter_submission(good, "baseline").order_id == 7
    assert parse_meter_submission(good, "baseline").measurement_type == "baseline"
