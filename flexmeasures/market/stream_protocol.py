"""The marketplace's WebSocket protocol, as pure functions (no Flask, no database, no sockets).

Server → client: first the control message of the GLocalFlex WebSocket API
(``{"type": "control", "status": "success", "data": {"message": ...}}``, here with the
stream's name and its current ``sequence`` in ``data``), then the stream's messages, each as
recorded in the outbox, with ``sequence``: 1, 2, 3, ... per stream (per user for ``trade``).

Client → server (beyond GLocalFlex; a JSON text message, optional):

- ``{"action": "resume", "after_sequence": N}``: send every message with a sequence above N
  again (from the outbox), then go on live; ends with a control message whose
  ``data.sequence`` is the last sequence sent.
- ``{"action": "snapshot"}``: one message ``{"type": "snapshot", "stream": ...,
  "sequence": S, "data": ...}`` with the state after message S (see ``build_snapshot``; the
  server sends the orderbook's from the database instead, with every price level);
  live messages go on after S.

A request that cannot be understood is answered by a control message with ``"status":
"error"`` and a ``data.message`` saying why; the connection stays open.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

STREAM_NAMES = ("trade", "orderbook", "ticker")
CONNECTED = "Connected to the WebSocket API"
ACTIONS = ("resume", "snapshot")

Step = Literal["send", "skip", "gap"]


class RequestError(ValueError):
    """A client message that is not a valid request; the message says why."""


@dataclass(frozen=True)
class StreamRequest:
    """A client's request: ``action`` "resume" (with ``after_sequence``) or "snapshot"."""

    action: str
    after_sequence: int | None = None


def control_message(
    stream: str, sequence: int, message: str = CONNECTED, status: str = "success", **extra: Any
) -> dict[str, Any]:
    """The GLocalFlex control message, with the stream and its last sequence number in data."""
    return {
        "type": "control",
        "status": status,
        "data": {"message": message, "stream": stream, "sequence": sequence, **extra},
    }


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization`` header value: ``Bearer <token>`` (the scheme is
    case-insensitive) or a bare token (as the platform's ``BearerTokenMiddleware`` leaves it);
    None if the header is empty or of another scheme."""
    scheme, _, token = (authorization or "").strip().partition(" ")
    if not token:
        return scheme or None
    return token.strip() if scheme.lower() == "bearer" else None


def parse_request(text: str | bytes) -> StreamRequest:
    """Parse a client message into a request; RequestError says what is wrong."""
    try:
        payload = json.loads(text)
    except (TypeError, ValueError) as exc:
        raise RequestError(f"Not JSON: {exc}.") from exc
    if not isinstance(payload, dict) or payload.get("action") not in ACTIONS:
        raise RequestError(f"Send a JSON object with an action, one of: {', '.join(ACTIONS)}.")
    if payload["action"] == "snapshot":
        return StreamRequest("snapshot")
    after = payload.get("after_sequence")
    if isinstance(after, bool) or not isinstance(after, int) or after < 0:
        raise RequestError("after_sequence must be a whole number >= 0.")
    return StreamRequest("resume", after)


def next_step(last_sent: int, sequence: int) -> Step:
    """What to do with a live message, given the last sequence sent to this client:
    "skip" it (sent already), "send" it (the next one) or fill the "gap" before it first."""
    if sequence <= last_sent:
        return "skip"
    return "send" if sequence == last_sent + 1 else "gap"


def build_snapshot(stream: str, messages: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """The snapshot message of a stream after the given messages (oldest first, each with
    its ``sequence``): ``sequence`` is the last one's (0 if none) and ``data`` is

    - orderbook: the last ``orderbook_update``'s data (bids and asks; empty if none);
    - ticker: ``{"last_trade": ..., "last_expired_order": ...}``, the data of the last
      ``ticker_update`` and ``expired_order_update`` (null if none);
    - trade: ``{"orders": [...], "contracts": [...]}``, the latest data of every order and
      contract (by ``order_id`` / ``contract_id``, or ``id``), in order of first appearance.
    """
    messages = list(messages)
    sequence = messages[-1]["sequence"] if messages else 0
    latest: dict[str, dict[str, Any]] = {}
    for message in messages:
        latest[message.get("type", "")] = message.get("data") or {}
    if stream == "orderbook":
        data: dict[str, Any] = latest.get("orderbook_update") or {"bids": {}, "asks": {}}
    elif stream == "ticker":
        data = {
            "last_trade": latest.get("ticker_update"),
            "last_expired_order": latest.get("expired_order_update"),
        }
    else:
        data = _fold_trade_messages(messages)
    return {"type": "snapshot", "stream": stream, "sequence": sequence, "data": data}


def _fold_trade_messages(messages: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """The latest data per order and per contract among the trade stream's messages."""
    folded: dict[str, dict[Any, dict[str, Any]]] = {"orders": {}, "contracts": {}}
    for message in messages:
        data = message.get("data") or {}
        if message.get("type") == "order_status_update":
            key = data.get("order_id", data.get("id"))
            folded["orders"][key] = data
        elif message.get("type") == "contract_status_update":
            key = data.get("contract_id", data.get("id"))
            folded["contracts"][key] = data
    return {kind: list(by_id.values()) for kind, by_id in folded.items()}
