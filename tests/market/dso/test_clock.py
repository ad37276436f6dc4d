"""UK clock time (Market Gateway, Connected Data Portal) ↔ UTC (Flexible Power Portal API),
across the 2026 clock changes: 29 March (23 hours) and 25 October (25 hours)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pandas as pd
import pytest

from flexmeasures.market.dso.clock import (
    AmbiguousClockTimeError,
    ClockTimeError,
    NonExistentClockTimeError,
    format_fpp_time,
    format_uk_clock_time,
    parse_fpp_time,
    parse_uk_clock_time,
    settlement_periods,
    uk_clock_series_to_utc,
    uk_clock_to_utc,
    uk_day,
    utc_to_uk_clock,
)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_winter_and_summer_offsets():
    assert uk_clock_to_utc(datetime(2026, 1, 15, 17, 0)) == utc(2026, 1, 15, 17, 0)
    assert uk_clock_to_utc(datetime(2026, 7, 15, 17, 0)) == utc(2026, 7, 15, 16, 0)


def test_march_change_day_has_23_hours_and_46_settlement_periods():
    start, end = uk_day(date(2026, 3, 29))
    assert (start, end) == (utc(2026, 3, 29, 0), utc(2026, 3, 29, 23))
    assert end - start == timedelta(hours=23)
    assert len(settlement_periods(date(2026, 3, 29))) == 46
    assert len(settlement_periods(date(2026, 3, 28))) == 48


def test_october_change_day_has_25_hours_and_50_settlement_periods():
    start, end = uk_day(date(2026, 10, 25))
    assert (start, end) == (utc(2026, 10, 24, 23), utc(2026, 10, 26, 0))
    assert end - start == timedelta(hours=25)
    assert len(settlement_periods(date(2026, 10, 25))) == 50


@pytest.mark.parametrize("minute", [0, 30, 59])
def test_skipped_clock_times_in_march_are_refused(minute: int):
    with pytest.raises(NonExistentClockTimeError, match="does not exist"):
        uk_clock_to_utc(datetime(2026, 3, 29, 1, minute))
    with pytest.raises(NonExistentClockTimeError):
        uk_clock_to_utc(datetime(2026, 3, 29, 1, minute), fold=1)


def test_around_the_march_jump():
    assert uk_clock_to_utc(datetime(2026, 3, 29, 0, 59)) == utc(2026, 3, 29, 0, 59)
    assert uk_clock_to_utc(datetime(2026, 3, 29, 2, 0)) == utc(2026, 3, 29, 1, 0)


def test_repeated_hour_in_october_needs_fold():
    clock_time = datetime(2026, 10, 25, 1, 30)
    with pytest.raises(AmbiguousClockTimeError, match="fold=0.*BST.*fold=1.*GMT"):
        uk_clock_to_utc(clock_time)
    assert uk_clock_to_utc(clock_time, fold=0) == utc(2026, 10, 25, 0, 30)
    assert uk_clock_to_utc(clock_time, fold=1) == utc(2026, 10, 25, 1, 30)
    # outside the repeated hour, fold changes nothing
    assert uk_clock_to_utc(datetime(2026, 10, 25, 2, 0), fold=0) == utc(2026, 10, 25, 2, 0)
    assert uk_clock_to_utc(datetime(2026, 10, 25, 0, 59)) == utc(2026, 10, 24, 23, 59)


def test_an_offset_settles_the_repeated_hour():
    assert parse_uk_clock_time("2026-10-25T01:30+01:00") == utc(2026, 10, 25, 0, 30)
    assert parse_uk_clock_time("2026-10-25T01:30+00:00") == utc(2026, 10, 25, 1, 30)
    assert parse_uk_clock_time("2026-10-25T01:30", fold=1) == utc(2026, 10, 25, 1, 30)
    with pytest.raises(ClockTimeError, match="fold must be 0 or 1"):
        uk_clock_to_utc(datetime(2026, 10, 25, 1, 30), fold=2)


def test_utc_to_clock_time_marks_the_second_pass():
    first, second = (
        utc_to_uk_clock(utc(2026, 10, 25, 0, 30)),
        utc_to_uk_clock(utc(2026, 10, 25, 1, 30)),
    )
    assert first.replace(tzinfo=None) == second.replace(tzinfo=None)
    assert (first.fold, second.fold) == (0, 1)
    assert format_uk_clock_time(utc(2026, 10, 25, 0, 30)) == "2026-10-25T01:30:00+01:00"
    assert format_uk_clock_time(utc(2026, 10, 25, 1, 30)) == "2026-10-25T01:30:00+00:00"
    for moment in pd.date_range(utc(2026, 10, 24, 22), utc(2026, 10, 25, 3), freq="30min"):
        clock = utc_to_uk_clock(moment.to_pydatetime())
        back = uk_clock_to_utc(clock.replace(tzinfo=None), fold=clock.fold)
        assert back == moment


def test_a_series_settles_the_repeated_hour_by_order():
    texts = ["2026-10-25T00:30", "2026-10-25T01:00", "2026-10-25T01:30"]
    texts += ["2026-10-25T01:00", "2026-10-25T01:30", "2026-10-25T02:00"]
    moments = uk_clock_series_to_utc(texts)
    expected = pd.date_range(utc(2026, 10, 24, 23, 30), periods=6, freq="30min")
    assert moments.equals(expected)


def test_a_series_refuses_skipped_and_unsettled_times():
    with pytest.raises(NonExistentClockTimeError):
        uk_clock_series_to_utc(["2026-03-29T00:30", "2026-03-29T01:00", "2026-03-29T02:00"])
    with pytest.raises(AmbiguousClockTimeError):
        uk_clock_series_to_utc(["2026-10-25T01:30"])


def test_flexible_power_portal_speaks_utc():
    assert parse_fpp_time("2026-03-29T01:00:00Z") == utc(2026, 3, 29, 1)
    assert parse_fpp_time("2026-03-29T01:00:00") == utc(2026, 3, 29, 1)
    assert parse_fpp_time("2026-03-29T03:00:00+02:00") == utc(2026, 3, 29, 1)
    assert format_fpp_time(datetime(2026, 10, 25, 1, 30, tzinfo=timezone(timedelta(hours=1)))) == (
        "2026-10-25T00:30:00Z"
    )
    with pytest.raises(ClockTimeError, match="timezone-aware"):
        format_fpp_time(datetime(2026, 10, 25, 1, 30))
    with pytest.raises(ClockTimeError, match="not an ISO 8601"):
        parse_fpp_time("yesterday")
