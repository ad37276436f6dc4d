"""The marketplace's WebSocket streams (GLocalFlex WebSocket API), served by Flask-Sock:
``/api/v1/ws/trade/``, ``/api/v1/ws/orderbook/`` and ``/api/v1/ws/ticker/`` (also without
the trailing slash). They work under ``flexmeasures run`` (threaded, as by default) and under
gunicorn with threads (``--worker-class gthread``); each open stream holds one thread.

Authentication on the handshake: ``Authorization: Bearer <access token>`` (from
``/auth/oauth/v2/token``), or, for browsers, the query parameter ``token`` (or
``access_token``). A missing, bad or expired token refuses the handshake with 401.

``trade`` sends the user's own ``order_status_update`` and ``contract_status_update``
messages; ``orderbook`` the ``orderbook_update`` messages; ``ticker`` the ``ticker_update``
and ``expired_order_update`` messages: each as recorded in the outbox, with its sequence
number. The protocol (control message first, resume and snapshot requests) is described in
``flexmeasures.market.stream_protocol`` and documentation/market-streams.md. Pings are
answered (by simple-websocket); the server pings too (``SOCK_SERVER_OPTIONS``).
simple-websocket reads each connection in a thread of its own while the stream's thread
sends: they take turns on the socket (``flexmeasures.market.stream_socket``), as a TLS
session must not be used by two threads at once.
"""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Flask, current_app, g, jsonify, request
from flask_sock import Sock
from simple_websocket import ConnectionClosed
from sqlalchemy import select

from flexmeasures.data import db
from flexmeasures.market.fanout import Subscriber, fanout_of, init_fanout
from flexmeasures.market.outbox import (
    StreamMessage,
    channel_of,
    latest_sequence,
    messages_after,
)
from flexmeasures.market.service import make_durable, orderbook_snapshot
from flexmeasures.market.stream_protocol import (
    RequestError,
    StreamRequest,
    bearer_token,
    build_snapshot,
    control_message,
    next_step,
    parse_request,
)
from flexmeasures.market.stream_socket import SOCKET_KEYS, SerializedSocket
from flexmeasures.market.tokens import user_for_access_token

STREAM_RULE = "/api/v1/ws/<any(trade, orderbook, ticker):stream>"
REPLAY_PAGE = 1000
SNAPSHOT_WINDOW = 1000
# After this long without messages, a stream checks the outbox for messages that never
# arrived (e.g. published while Redis was unreachable), so none is late by more than this.
IDLE_CHECK_SECONDS = 30.0
# simple-websocket options: ping the client every 25 s (closing the stream if no pong comes
# back within the next interval), and refuse client messages over 64 kB.
DEFAULT_SOCK_OPTIONS = {"ping_interval": 25, "max_message_size": 65536}

market_streams = Blueprint("market_streams", __name__)
sock = Sock()


@market_streams.route(STREAM_RULE, endpoint="plain")
@market_streams.route(STREAM_RULE + "/", endpoint="plain_slash")
def plain_request(stream: str) -> Any:
    """A request without WebSocket upgrade: 426, saying how to connect."""
    response = jsonify(
        error="upgrade_required",
        error_description=f"/api/v1/ws/{stream}/ is a WebSocket stream: connect with "
        "wss:// (see documentation/market-streams.md).",
    )
    response.status_code = 426
    response.headers["Upgrade"] = "websocket"
    return response


def is_upgrade() -> bool:
    """Whether the request asks for a WebSocket connection."""
    return request.environ.get("HTTP_UPGRADE", "").lower() == "websocket"


@market_streams.before_request
def serialize_socket_use() -> None:
    """Hand the WebSocket the connection's socket wrapped so that simple-websocket's reading
    thread and the stream's sending thread take turns on it (see ``SerializedSocket``)."""
    if not is_upgrade():
        return
    for key in SOCKET_KEYS:
        if key in request.environ:
            request.environ[key] = SerializedSocket(request.environ[key])


@market_streams.before_request
def authenticate() -> Any:
    """Refuse the handshake (401) without a valid access token; else remember the user.
    (Requests without WebSocket upgrade pass on, to be answered 426.)"""
    if not is_upgrade():
        return None
    token = (
        bearer_token(request.headers.get("Authorization"))
        or request.args.get("token")
        or request.args.get("access_token")
    )
    user = user_for_access_token(token) if token else None
    if user is None:
        response = jsonify(
            error="invalid_token",
            error_description="Send a valid access token (Authorization: Bearer <token>, "
            "or the query parameter token=<token>).",
        )
        response.status_code = 401
        response.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
        return response
    g.market_user_id = user.id
    return None


def stream_view(ws: Any, stream: str) -> None:
    """Serve one WebSocket connection of the stream until either side closes it."""
    user_id = g.market_user_id if stream == "trade" else None
    db.session.remove()  # hand the connection of the authentication back to the pool
    StreamConnection(ws, stream, user_id).run()


sock.route(STREAM_RULE, bp=market_streams, endpoint="stream")(stream_view)
sock.route(STREAM_RULE + "/", bp=market_streams, endpoint="stream_slash")(stream_view)


class StreamConnection:
    """One client's stream: live messages from the fan-out, gaps filled from the outbox,
    and the client's requests. Only this object's thread sends (a second thread reads)."""

    def __init__(self, ws: Any, stream: str, user_id: int | None) -> None:
        self.ws = ws
        self.stream = stream
        self.user_id = user_id
        self.last_sent = 0

    def run(self) -> None:
        """Subscribe, send the control message, then serve until the connection closes."""
        fanout = fanout_of(current_app)
        subscriber = fanout.subscribe(self.stream, self.user_id)
        try:
            self.last_sent = self._read(latest_sequence, self.stream, self.user_id, durable=True)
            self.send(control_message(self.stream, self.last_sent))
            threading.Thread(target=self._read_requests, args=(subscriber,), daemon=True).start()
            self._serve(subscriber)
        except ConnectionClosed:
            pass
        finally:
            fanout.unsubscribe(subscriber)

    def send(self, message: dict[str, Any]) -> None:
        """Send one message as JSON text."""
        self.ws.send(json.dumps(message))

    def _serve(self, subscriber: Subscriber) -> None:
        """Handle what arrives in the inbox until the connection is closed."""
        while self.ws.connected:
            try:
                kind, item = subscriber.inbox.get(timeout=IDLE_CHECK_SECONDS)
            except queue.Empty:  # quiet for a while: check that nothing went missing
                kind, item = "check", None
            if kind == "closed":
                return
            if kind == "message":
                self._live(item)
            elif kind == "check":
                self._replay(self.last_sent)
            else:
                self._request(item)

    def _read_requests(self, subscriber: Subscriber) -> None:
        """Read the client's messages into the inbox (runs in its own thread)."""
        try:
            while True:
                subscriber.inbox.put(("request", self.ws.receive()))
        except ConnectionClosed:
            subscriber.inbox.put(("closed", None))

    def _live(self, item: dict[str, Any]) -> None:
        """Send a live message if it is the next one; replay a gap; skip what was sent."""
        step = next_step(self.last_sent, item["sequence"])
        if step == "send":
            self.send(item["message"])
            self.last_sent = item["sequence"]
        elif step == "gap":
            self._replay(self.last_sent)

    def _replay(self, after_sequence: int) -> None:
        """Send the outbox's messages with a sequence above ``after_sequence``."""
        while True:
            page = self._read(self._page_after, after_sequence, durable=True)
            for message in page:
                self.send(message)
                self.last_sent = after_sequence = message["sequence"]
            if len(page) < REPLAY_PAGE:
                return

    def _page_after(self, after_sequence: int) -> list[dict[str, Any]]:
        """The next REPLAY_PAGE messages of the channel after ``after_sequence``."""
        rows = messages_after(self.stream, self.user_id, after_sequence, REPLAY_PAGE)
        return [row.message for row in rows]

    def _request(self, text: Any) -> None:
        """Answer a client request (resume or snapshot), or say what is wrong with it."""
        try:
            request_ = parse_request(text)
            if request_.action == "resume":
                self._resume(request_)
            else:
                self._snapshot()
        except RequestError as exc:
            self.send(control_message(self.stream, self.last_sent, str(exc), status="error"))

    def _resume(self, request_: StreamRequest) -> None:
        """Replay the messages after the client's sequence, then confirm where it is."""
        latest = self._read(latest_sequence, self.stream, self.user_id)
        after = request_.after_sequence or 0
        if after > latest:
            raise RequestError(f"after_sequence {after} is ahead of the stream (at {latest}).")
        self.last_sent = after
        self._replay(after)
        self.send(control_message(self.stream, self.last_sent, "Resumed", action="resume"))

    def _snapshot(self) -> None:
        """Send the stream's state as of its last message; go on live from there."""
        if self.stream == "orderbook":  # every price level, not just the capped update's
            sequence, data = self._read(orderbook_snapshot)
            snapshot = {"type": "snapshot", "stream": self.stream, "sequence": sequence}
            snapshot["data"] = data
        else:
            snapshot = build_snapshot(
                self.stream, self._read(self._snapshot_messages, durable=True)
            )
        self.send(snapshot)
        self.last_sent = snapshot["sequence"]

    def _snapshot_messages(self) -> list[dict[str, Any]]:
        """The messages a snapshot is built from, oldest first: the user's every message
        (trade), or the channel's last SNAPSHOT_WINDOW (ticker)."""
        query = select(StreamMessage.message).where(
            StreamMessage.channel == channel_of(self.stream, self.user_id)
        )
        if self.stream == "trade":
            return list(db.session.scalars(query.order_by(StreamMessage.sequence)))
        query = query.order_by(StreamMessage.sequence.desc()).limit(SNAPSHOT_WINDOW)
        return list(reversed(db.session.scalars(query).all()))

    @staticmethod
    def _read(query: Callable[..., Any], *args: Any, durable: bool = False) -> Any:
        """Run a read-only query and hand the database connection back to the pool.
        ``durable``: what it read (to be sent) is on disk before it is returned, for a
        market change is visible from its commit, a little before it is durable
        (``service.make_durable``; nothing to flush when it read nothing)."""
        try:
            result = query(*args)
            if durable and result:
                make_durable(db.session)
            return result
        finally:
            db.session.remove()


def register_streams_at(app: Flask) -> None:
    """Register the WebSocket streams and the fan-out that feeds them."""
    app.config.setdefault("SOCK_SERVER_OPTIONS", dict(DEFAULT_SOCK_OPTIONS))
    init_fanout(app)
    app.register_blueprint(market_streams)
