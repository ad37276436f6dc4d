"""The per-user rate limit's counting (in-process fallback; Redis is covered by the API
tests, which run with the test Redis)."""

from __future__ import annotations

from flexmeasures.market.ratelimit import retry_after


def test_the_limit_counts_per_user_and_clock_minute():
    minute = 60 * 29_000_000 + 10.0  # ten seconds into a clock minute
    waits = [retry_after(1, 2, now=minute) for _ in range(3)]
    assert waits == [None, None, 50]
    assert retry_after(2, 2, now=minute) is None  # another user
    assert retry_after(1, 2, now=minute + 50) is None  # the next minute


def test_a_limit_of_0_counts_nothing():
    assert all(retry_after(3, 0, now=0.0) is None for _ in range(5))
