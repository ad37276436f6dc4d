"""Modes: what demo and play mode change (the seed's chapter Modes)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

from flexmeasures import modes

NORMAL = {"FLEXMEASURES_MODE": ""}
DEMO = {"FLEXMEASURES_MODE": "demo", "FLEXMEASURES_DEMO_YEAR": 2015}
PLAY = {"FLEXMEASURES_MODE": "play"}

ADMIN = SimpleNamespace(is_authenticated=True, is_admin=True)
PROSUMER = SimpleNamespace(is_authenticated=True, is_admin=False)
ANONYMOUS = SimpleNamespace(is_authenticated=False, is_admin=False)


@pytest.mark.parametrize(
    "config, demo, play",
    [
        (NORMAL, False, False),
        ({}, False, False),
        ({"FLEXMEASURES_MODE": " "}, False, False),  # the seed's default
        (DEMO, True, False),
        ({"FLEXMEASURES_MODE": "Demo"}, True, False),
        (PLAY, False, True),
    ],
)
def test_mode_checks(config, demo, play):
    assert modes.is_demo_mode(config) is demo
    assert modes.is_play_mode(config) is play


def test_demo_year_translates_the_current_year():
    dt = datetime(2026, 11, 27, 14, 15, tzinfo=UTC)
    assert modes.demo_year_translation(dt, DEMO, current_year=2026) == datetime(
        2015, 11, 27, 14, 15, tzinfo=UTC
    )


def test_demo_year_keeps_the_distance_between_years():
    """A window across New Year stays a window: last year becomes the year before 2015."""
    last_year = datetime(2025, 12, 31, 23, 0, tzinfo=UTC)
    assert modes.demo_year_translation(last_year, DEMO, current_year=2026).year == 2014


def test_demo_year_maps_leap_day_to_28_february():
    leap_day = datetime(2028, 2, 29, 12, tzinfo=UTC)
    translated = modes.demo_year_translation(leap_day, DEMO, current_year=2028)
    assert translated == datetime(2015, 2, 28, 12, tzinfo=UTC)


def test_demo_year_keeps_the_timezone():
    amsterdam_winter = timezone(timedelta(hours=1))
    dt = datetime(2026, 1, 5, 9, tzinfo=amsterdam_winter)
    assert modes.demo_year_translation(dt, DEMO, current_year=2026).tzinfo is amsterdam_winter


@pytest.mark.parametrize(
    "config",
    [
        {**NORMAL, "FLEXMEASURES_DEMO_YEAR": 2015},
        {**PLAY, "FLEXMEASURES_DEMO_YEAR": 2015},
        {"FLEXMEASURES_MODE": "demo", "FLEXMEASURES_DEMO_YEAR": None},
    ],
)
def test_no_translation_outside_demo_mode_or_without_demo_year(config):
    dt = datetime(2026, 11, 27, tzinfo=UTC)
    assert modes.demo_year_translation(dt, config, current_year=2026) == dt


def test_server_now_is_utc_and_in_the_demo_year():
    assert modes.server_now(DEMO).year == 2015
    now = modes.server_now(NORMAL)
    assert now.tzinfo == UTC
    assert abs(now - datetime.now(UTC)) < timedelta(minutes=1)


def test_only_play_mode_overwrites_and_relaxes_udi_events():
    assert modes.may_overwrite_beliefs(PLAY)
    assert not modes.may_overwrite_beliefs(NORMAL)
    assert not modes.may_overwrite_beliefs(DEMO)
    assert modes.enforce_consecutive_udi_events(NORMAL)
    assert modes.enforce_consecutive_udi_events(DEMO)
    assert not modes.enforce_consecutive_udi_events(PLAY)


@pytest.mark.parametrize(
    "helper",
    [
        modes.belief_time_at_event_end,
        modes.may_restore_data,
        modes.creates_weather_sensor_on_post,
        modes.uses_unique_connection_names,
        modes.may_show_future_power,
    ],
)
def test_play_mode_features(helper):
    assert helper(PLAY) is True
    assert helper(NORMAL) is False
    assert helper(DEMO) is False


@pytest.mark.parametrize(
    "helper",
    [modes.shows_all_asset_groups, modes.mocks_confidence_intervals, modes.mocks_flexibility],
)
def test_demo_mode_features(helper):
    assert helper(DEMO) is True
    assert helper(NORMAL) is False
    assert helper(PLAY) is False


@pytest.mark.parametrize(
    "data_kind, normal, play",
    [("power", True, True), ("price", True, False), ("weather", True, False)],
)
def test_forecasts_for_prices_and_weather_are_skipped_in_play_mode(data_kind, normal, play):
    assert modes.should_enqueue_forecasts_for(data_kind, NORMAL) is normal
    assert modes.should_enqueue_forecasts_for(data_kind, PLAY) is play


def test_unknown_data_kind_is_refused():
    with pytest.raises(ValueError, match="choose one of: power, price, weather"):
        modes.should_enqueue_forecasts_for("prices", NORMAL)


@pytest.mark.parametrize(
    "user, config, allowed",
    [
        (ADMIN, NORMAL, True),
        (PROSUMER, NORMAL, False),
        (PROSUMER, PLAY, False),
        (PROSUMER, DEMO, True),
        (ANONYMOUS, DEMO, False),
        (None, DEMO, False),
    ],
)
def test_who_can_view_queues(user, config, allowed):
    assert modes.can_view_queues(user, config) is allowed


@pytest.mark.parametrize(
    "config, expected",
    [
        (
            {**DEMO, "FLEXMEASURES_PUBLIC_DEMO_CREDENTIALS": ("demo@x.org", "flexdemo")},
            ("demo@x.org", "flexdemo"),
        ),
        (
            {**DEMO, "FLEXMEASURES_PUBLIC_DEMO_CREDENTIALS": ["demo@x.org", "flexdemo"]},
            ("demo@x.org", "flexdemo"),
        ),
        ({**DEMO, "FLEXMEASURES_PUBLIC_DEMO_CREDENTIALS": None}, None),
        ({**DEMO, "FLEXMEASURES_PUBLIC_DEMO_CREDENTIALS": ("demo@x.org",)}, None),
        ({**PLAY, "FLEXMEASURES_PUBLIC_DEMO_CREDENTIALS": ("demo@x.org", "flexdemo")}, None),
    ],
)
def test_public_demo_credentials_only_in_demo_mode(config, expected):
    assert modes.public_demo_credentials(config) == expected


def test_demo_credentials_are_shown_on_the_login_page(clean_env_app_factory):
    app = clean_env_app_factory(
        FLEXMEASURES_MODE="demo",
        FLEXMEASURES_PUBLIC_DEMO_CREDENTIALS=("demo@seita.nl", "flexdemo"),
    )
    page = app.test_client().get("/login").get_data(as_text=True)
    assert "demo@seita.nl" in page
    assert "flexdemo" in page


def test_no_credentials_on_the_login_page_outside_demo_mode(clean_env_app_factory):
    app = clean_env_app_factory(FLEXMEASURES_PUBLIC_DEMO_CREDENTIALS=("demo@seita.nl", "flexdemo"))
    page = app.test_client().get("/login").get_data(as_text=True)
    assert "demo@seita.nl" not in page


@pytest.fixture
def clean_env_app_factory(tmp_path):
    """Make a development app (SQLite in tmp_path; the login page needs no tables)."""
    from flexmeasures.app import create_app

    def make(**settings):
        settings = {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/fm.db", **settings}
        return create_app("development", settings=settings, instance_path=tmp_path)

    return make


def test_demo_year_offset_moves_a_window_by_whole_days():
    start = datetime(2026, 3, 1, tzinfo=UTC)
    offset = modes.demo_year_offset(start, DEMO, current_year=2026)
    assert start + offset == datetime(2015, 3, 1, tzinfo=UTC)
    assert offset % timedelta(days=1) == timedelta(0)
    assert modes.demo_year_offset(start, NORMAL, current_year=2026) == timedelta(0)
