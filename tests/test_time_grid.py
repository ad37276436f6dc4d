"""The resolution grid on which a sensor's events start (pure functions)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from flexmeasures.utils.time_grid import describe_grid, offset_from_grid

QUARTER = timedelta(minutes=15)
HOUR = timedelta(hours=1)


def test_quarter_hours():
    assert offset_from_grid(datetime(2015, 1, 1, 0, 15, tzinfo=UTC), QUARTER) == timedelta(0)
    assert offset_from_grid(datetime(2015, 1, 1, 0, 7, tzinfo=UTC), QUARTER) == timedelta(minutes=7)
    assert describe_grid(QUARTER) == "every 15 minutes from midnight (UTC)"


def test_hours_and_days_follow_the_local_clock():
    kathmandu = timezone(timedelta(hours=5, minutes=45))
    on_local_hour = datetime(2015, 1, 1, 6, 0, tzinfo=kathmandu)
    assert offset_from_grid(on_local_hour, HOUR, "Asia/Kathmandu") == timedelta(0)
    assert offset_from_grid(on_local_hour, HOUR, "UTC") == timedelta(minutes=15)
    # the day Amsterdam's clocks go forward has 23 hours; its midnights are on the grid
    midnight = datetime(2015, 3, 29, 22, 0, tzinfo=UTC)  # 00:00 on March 30th, CEST
    assert offset_from_grid(midnight, timedelta(days=1), "Europe/Amsterdam") == timedelta(0)
    assert describe_grid(timedelta(days=1), "Europe/Amsterdam") == (
        "every day from midnight (Europe/Amsterdam)"
    )


def test_resolutions_that_do_not_divide_a_day_start_from_the_epoch():
    seven = timedelta(minutes=7)
    assert offset_from_grid(datetime(1970, 1, 1, 0, 14, tzinfo=UTC), seven) == timedelta(0)
    assert offset_from_grid(datetime(1970, 1, 1, 0, 15, tzinfo=UTC), seven) == timedelta(minutes=1)
    assert describe_grid(seven) == "every 7 minutes from 1970-01-01T00:00:00+00:00"
    assert offset_from_grid(datetime(2015, 1, 1, 0, 7, tzinfo=UTC), timedelta(0)) == timedelta(0)
