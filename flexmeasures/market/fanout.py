"""Fan-out of committed stream messages to the WebSocket connections of every server process.

The outbox (``flexmeasures.market.outbox``) calls ``publish_committed`` after each commit that
recorded stream messages (registered by ``init_fanout`` at app start). With Redis configured
and answering (``FLEXMEASURES_REDIS_URL``; see ``flexmeasures.jobs``), the messages are
published on the Redis pub/sub channel ``FLEXMEASURES_MARKET_STREAMS_CHANNEL``; each server
process listens on it (one thread, started with its first WebSocket) and hands them to its own
subscribers. Without Redis (the embedded default: one process), they go to the subscribers of
the process directly.

Pub/sub may lose or reorder messages (a Redis restart, two processes publishing at once):
each subscriber checks sequence numbers and replays a gap from the outbox, which is the
record of every message. After the listener (re)connects to Redis, every subscriber is told
to check for messages missed in between.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app, has_app_context
from redis import Redis
from redis.exceptions import RedisError

from flexmeasures.market import outbox

EXTENSION_KEY = "market_fanout"
DEFAULT_CHANNEL = "flexmeasures-market-streams"
RECONNECT_SECONDS = 1.0

logger = logging.getLogger(__name__)


@dataclass(eq=False)
class Subscriber:
    """One WebSocket connection's subscription to a channel (a stream and, for "trade", a
    user). Its ``inbox`` gets ``("message", dict)`` for each message of the channel and
    ``("check", None)`` when messages may have been missed."""

    stream: str
    user_id: int | None
    inbox: queue.SimpleQueue = field(default_factory=queue.SimpleQueue)

    def wants(self, message: dict[str, Any]) -> bool:
        """True if the message (as the outbox hands it over) belongs to this channel."""
        return (
            message.get("stream") == self.stream
            and message.get("user_id") == self.user_id
            and isinstance(message.get("sequence"), int)
        )


class FanOut:
    """The subscribers of one app in this process, and how committed messages reach them
    (through Redis pub/sub if ``redis`` is given, else directly)."""

    def __init__(self, redis: Redis | None = None, channel: str = DEFAULT_CHANNEL) -> None:
        self.redis = redis
        self.channel = channel
        self._subscribers: set[Subscriber] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._listener: threading.Thread | None = None
        self._listening = threading.Event()

    def subscribe(self, stream: str, user_id: int | None) -> Subscriber:
        """A new subscriber to the channel; with Redis, waits (at most 5 s) until this
        process listens on the pub/sub channel, so no message of its lifetime is skipped."""
        subscriber = Subscriber(stream, user_id)
        with self._lock:
            self._subscribers.add(subscriber)
        if self.redis is not None:
            self._ensure_listener()
            self._listening.wait(timeout=5)
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        """Stop delivering to the subscriber."""
        with self._lock:
            self._subscribers.discard(subscriber)

    def subscriber_count(self) -> int:
        """How many subscribers this process has."""
        with self._lock:
            return len(self._subscribers)

    def deliver(self, messages: list[dict[str, Any]]) -> None:
        """Put each message into the inbox of every subscriber of its channel."""
        with self._lock:
            subscribers = list(self._subscribers)
        for message in messages:
            for subscriber in subscribers:
                if subscriber.wants(message):
                    subscriber.inbox.put(("message", message))

    def nudge(self) -> None:
        """Tell every subscriber to check the outbox for messages it may have missed."""
        with self._lock:
            subscribers = list(self._subscribers)
        for subscriber in subscribers:
            subscriber.inbox.put(("check", None))

    def publish(self, messages: list[dict[str, Any]]) -> None:
        """Send committed messages to the subscribers of every process (through Redis), or
        of this process (no Redis, or Redis failing: then logged)."""
        if self.redis is not None:
            try:
                self.redis.publish(self.channel, json.dumps(messages))
                return
            except RedisError as exc:
                logger.warning("Publishing stream messages on Redis failed (%s).", exc)
        self.deliver(messages)

    def close(self) -> None:
        """Stop listening on Redis (the listener thread ends within about a second)."""
        self._stop.set()
        if self._listener is not None:
            self._listener.join(timeout=5)

    def _ensure_listener(self) -> None:
        """Start the Redis listener thread, unless it runs already."""
        with self._lock:
            if self._listener is None or not self._listener.is_alive():
                self._listener = threading.Thread(
                    target=self._listen, name="market-stream-fanout", daemon=True
                )
                self._listener.start()

    def _listen(self) -> None:
        """Deliver what arrives on the pub/sub channel until closed; reconnect on errors."""
        while not self._stop.is_set():
            try:
                self._listen_once()
            except (RedisError, OSError) as exc:
                self._listening.clear()
                logger.warning("Listening for stream messages on Redis failed (%s).", exc)
                self._stop.wait(RECONNECT_SECONDS)

    def _listen_once(self) -> None:
        """Subscribe to the pub/sub channel and deliver its messages until closed."""
        assert self.redis is not None
        pubsub = self.redis.pubsub()
        try:
            pubsub.subscribe(self.channel)
            confirmed = None
            while confirmed is None and not self._stop.is_set():
                confirmed = pubsub.get_message(timeout=1.0)  # Redis confirms the subscription
            self._listening.set()
            self.nudge()
            while not self._stop.is_set():
                item = pubsub.get_message(timeout=1.0)
                if item is not None and item.get("type") == "message":
                    self._deliver_published(item["data"])
        finally:
            pubsub.close()

    def _deliver_published(self, data: bytes | str) -> None:
        """Deliver what was published on the channel; log and skip what is not a list of
        messages (another program publishing on the same channel)."""
        try:
            messages = json.loads(data)
        except ValueError:
            messages = None
        if not isinstance(messages, list) or not all(isinstance(m, dict) for m in messages):
            logger.warning("Skipped a publication on %s that holds no messages.", self.channel)
            return
        self.deliver(messages)


def redis_for_streams(app: Flask) -> Redis | None:
    """The Redis connection for the fan-out: the job queues' one when they use a real Redis
    (FLEXMEASURES_REDIS_URL set and answering at start), else None (in-process fan-out)."""
    from flexmeasures.jobs import queues_are_async

    if not getattr(app, "queues", None) or not queues_are_async(app):
        return None
    return app.redis_connection  # type: ignore[attr-defined]


def init_fanout(app: Flask) -> FanOut:
    """Create the app's fan-out (``app.extensions["market_fanout"]``) and register
    ``publish_committed`` with the outbox (once per process)."""
    channel = app.config.get("FLEXMEASURES_MARKET_STREAMS_CHANNEL") or DEFAULT_CHANNEL
    fanout = FanOut(redis_for_streams(app), channel)
    app.extensions[EXTENSION_KEY] = fanout
    if publish_committed not in outbox.on_commit_listeners:
        outbox.on_commit_listeners.append(publish_committed)
    return fanout


def fanout_of(app: Flask) -> FanOut:
    """The app's fan-out (created by ``init_fanout``)."""
    return app.extensions[EXTENSION_KEY]


def publish_committed(messages: list[dict[str, Any]]) -> None:
    """Outbox listener: publish the messages of a commit through the current app's fan-out
    (a commit outside an app context, or in an app without fan-out, publishes nothing)."""
    if not has_app_context():
        logger.warning("%d stream message(s) committed outside an app context.", len(messages))
        return
    fanout = current_app.extensions.get(EXTENSION_KEY)
    if fanout is not None:
        fanout.publish(messages)
