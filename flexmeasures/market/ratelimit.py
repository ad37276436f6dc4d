"""A per-user request limit for the marketplace's REST API: at most
``FLEXMEASURES_MARKET_RATE_LIMIT`` requests per user per clock minute (a fixed window).

Counted in Redis when the app has one (``FLEXMEASURES_REDIS_URL``), so that every web worker
and machine shares the count; otherwise per server process.
"""

from __future__ import annotations

import threading
import time
from typing import Any

WINDOW_SECONDS = 60
_local_counts: dict[tuple[int, int], int] = {}
_local_lock = threading.Lock()


def _count_in_redis(connection: Any, user_id: int, window: int) -> int:
    """Count one request of the user in this window in Redis; return the window's count."""
    key = f"flexmeasures:market:rate:{user_id}:{window}"
    pipeline = connection.pipeline()
    pipeline.incr(key)
    pipeline.expire(key, WINDOW_SECONDS * 2)
    return int(pipeline.execute()[0])


def _count_locally(user_id: int, window: int) -> int:
    """Count one request of the user in this window in this process; forget old windows."""
    with _local_lock:
        for key in [k for k in _local_counts if k[1] < window]:
            del _local_counts[key]
        count = _local_counts.get((user_id, window), 0) + 1
        _local_counts[(user_id, window)] = count
        return count


def retry_after(
    user_id: int, limit: int, redis_connection: Any = None, now: float | None = None
) -> int | None:
    """Count a request of the user: None if it is within the limit (or the limit is 0),
    else the seconds until the next window (for a 429's Retry-After header)."""
    if limit <= 0:
        return None
    now = time.time() if now is None else now
    window = int(now // WINDOW_SECONDS)
    if redis_connection is not None:
        count = _count_in_redis(redis_connection, user_id, window)
    else:
        count = _count_locally(user_id, window)
    if count <= limit:
        return None
    return max(1, int((window + 1) * WINDOW_SECONDS - now))
