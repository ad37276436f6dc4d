"""Following our orders on the marketplace: the ``trade`` stream (and polling as fallback).

Every ``order_status_update`` and ``contract_status_update`` about one of our orders is
stored: the order's or contract's latest status (``TradingOrder``, ``TradingContract``) and
the status change itself (``TradingStatusChange``, each status once), with the stream's
sequence number (``TradingStreamCursor``) in the same transaction, so a reconnect or restart
resumes after the last message handled (``{"action": "resume", "after_sequence": N}``).
Orders are recognised by their marketplace id, or by their idempotency key (the first
messages about an order may arrive before its submit has answered).

**A filled sell becomes a commitment.** The first time a contract of one of our sells is
seen, its contracted deviation becomes a power commitment of the asset (table
``power_commitment``, source "marketplace", one per contract): over the contract's delivery
window, the asset's net power is at most baseline - contracted power (MW, consumption
positive), so its next schedules deliver what was sold. Orders that do not fill change
nothing.

``TradeStreamFollower.run`` keeps the stream open: it reconnects with bounded back-off, and
after ``max_failures`` failed connections in a row it polls the marketplace's REST API
(``poll_once``) until the stream is back.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import select

from flexmeasures.data import db
from flexmeasures.data.models import (
    Commitment,
    TradingContract,
    TradingOrder,
    TradingStatusChange,
    TradingStreamCursor,
)
from flexmeasures.data.services.commitments import record_commitments
from flexmeasures.market.connector import MarketConnector, backoff_delay
from flexmeasures.market.trading import order_baselines_w

logger = logging.getLogger(__name__)
COMMITMENT_SOURCE = "marketplace"
W_PER_MW = 1_000_000
QUARTER_HOUR = pd.Timedelta(minutes=15)


def _time(text: str | None) -> datetime | None:
    """A marketplace time string as aware UTC (None stays None)."""
    return None if text is None else pd.Timestamp(text).tz_convert("UTC").to_pydatetime()


def _now() -> datetime:
    """Now, aware UTC."""
    return pd.Timestamp.now(tz="UTC").to_pydatetime()


def find_order(market_url: str, data: dict[str, Any]) -> TradingOrder | None:
    """Our order an order object is about (by marketplace id, else idempotency key);
    learns its marketplace id on the way."""
    order_id = data.get("order_id")
    row = db.session.scalar(
        select(TradingOrder).where(
            TradingOrder.market_url == market_url, TradingOrder.market_order_id == order_id
        )
    )
    key = data.get("idempotency_key")
    if row is None and key:
        row = db.session.scalar(select(TradingOrder).where(TradingOrder.idempotency_key == key))
        if row is not None and row.market_order_id is None:
            row.market_order_id = order_id
    return row


def note_status(
    row: TradingOrder, subject: str, status: str, sequence: int | None, at: datetime | None
) -> None:
    """Record that our order (``subject`` "order") or one of its contracts went through a
    status (once per order, subject and status)."""
    exists = db.session.scalar(
        select(TradingStatusChange.id).where(
            TradingStatusChange.order_id == row.id,
            TradingStatusChange.subject == subject,
            TradingStatusChange.status == status,
        )
    )
    if exists is None:
        db.session.add(
            TradingStatusChange(
                order_id=row.id, subject=subject, status=status, sequence=sequence, changed_at=at
            )
        )


def apply_order_update(
    market_url: str, data: dict[str, Any], sequence: int | None = None, at: datetime | None = None
) -> bool:
    """Store an order object's status if the order is ours; True if it was."""
    row = find_order(market_url, data)
    if row is None:
        return False
    status = data.get("status") or row.status
    row.status = status
    row.updated_at = _now()
    note_status(row, "order", status, sequence, at)
    return True


def apply_contract_update(
    market_url: str, data: dict[str, Any], sequence: int | None = None, at: datetime | None = None
) -> bool:
    """Store a contract object's status (and verification result and settlement, if it
    carries them) if it is about one of our sells; the first sight of a contract commits
    the asset to deliver it. True if it was ours."""
    row = find_order(market_url, {"order_id": data.get("sell_order_id")})
    if row is None:
        return False
    contract = db.session.scalar(
        select(TradingContract).where(
            TradingContract.order_id == row.id,
            TradingContract.market_contract_id == data["contract_id"],
        )
    )
    if contract is None:
        contract = _new_contract(row, data)
        commit_to_deliver(row, contract)
    contract.status = data.get("status") or contract.status
    contract.updated_at = _now()
    _take_results(contract, data)
    note_status(row, f"contract {contract.market_contract_id}", contract.status, sequence, at)
    return True


def _new_contract(row: TradingOrder, data: dict[str, Any]) -> TradingContract:
    """A contract of our order, as the marketplace described it (added to the session)."""
    contract = TradingContract(
        order=row,
        market_contract_id=data["contract_id"],
        status=data.get("status") or "verification_initiated",
        power_w=float(data["power"]),
        price_eur_per_kwh=float(data["price"]),
        energy_kwh=float(data["energy"]),
        delivery_start=_time(data["delivery_start"]),
        delivery_end=_time(data["delivery_end"]),
    )
    db.session.add(contract)
    return contract


def _take_results(contract: TradingContract, data: dict[str, Any]) -> None:
    """Keep the verification result and settlement a contract object carries."""
    if data.get("verification_result"):
        contract.verification = data["verification_result"]
    settlement = data.get("settlement")
    if settlement:
        contract.settlement = settlement
        net = settlement.get("net_eur", settlement.get("net_amount_eur"))
        contract.net_amount_eur = None if net is None else float(net)


def commit_to_deliver(row: TradingOrder, contract: TradingContract) -> list[Commitment]:
    """The asset's commitments to deliver a sold contract: per quarter hour of the contract's
    delivery window, net power at most that quarter hour's baseline - contracted power (MW,
    consumption positive). Consecutive quarter hours with the same bound share one; when
    there are several, each one's external id ends with its start (they are unique)."""
    bounds = (order_baselines_w(row) - contract.power_w) / W_PER_MW
    inside = (bounds.index >= contract.delivery_start) & (bounds.index < contract.delivery_end)
    bounds = bounds[inside]
    runs = [run for _, run in bounds.groupby((bounds != bounds.shift()).cumsum())]
    reference = f"{row.market_url}#contract-{contract.market_contract_id}"
    commitments = [
        Commitment(
            asset_id=row.asset_id,
            start=run.index[0].to_pydatetime(),
            end=(run.index[-1] + QUARTER_HOUR).to_pydatetime(),
            kind="at most",
            power_in_mw=float(run.iloc[0]),
            source=COMMITMENT_SOURCE,
            external_id=(
                reference if len(runs) == 1 else f"{reference}@{run.index[0]:%Y%m%dT%H%M}"
            )[-120:],
            reason=f"marketplace contract {contract.market_contract_id} "
            f"(sold {contract.power_w:g} W)",
        )
        for run in runs
    ]
    record_commitments(commitments)
    return commitments


def apply_message(market_url: str, message: dict[str, Any]) -> bool:
    """Store a trade stream message about one of our orders (not committed); True if it
    was about one of ours."""
    data = message.get("data") or {}
    at = _time(message.get("created_at"))
    sequence = message.get("sequence")
    if message.get("type") == "order_status_update":
        return apply_order_update(market_url, data, sequence, at)
    if message.get("type") == "contract_status_update":
        return apply_contract_update(market_url, data, sequence, at)
    return False


def cursor(market_url: str, account: str) -> TradingStreamCursor:
    """Where the trade stream of this marketplace and account left off (created at 0)."""
    row = db.session.get(TradingStreamCursor, (market_url, account))
    if row is None:
        row = TradingStreamCursor(market_url=market_url, account=account, last_sequence=0)
        db.session.add(row)
        db.session.flush()
    return row


def handle_stream_message(market_url: str, account: str, message: dict[str, Any]) -> bool:
    """Handle one trade stream message in one transaction (with the cursor); messages at
    or below the cursor were handled already. True if it moved the cursor."""
    sequence = message.get("sequence")
    if not isinstance(sequence, int):
        return False
    position = cursor(market_url, account)
    if sequence <= position.last_sequence:
        db.session.rollback()
        return False
    apply_message(market_url, message)
    position.last_sequence = sequence
    position.updated_at = _now()
    db.session.commit()
    return True


def poll_once(connector: MarketConnector) -> int:
    """Bring our open orders up to date through the REST API (the stream's fallback):
    statuses, contracts, verification results and settlements. Returns the number of our
    orders looked at. Commits."""
    market_url = connector.settings.base_url
    rows = db.session.scalars(
        select(TradingOrder).where(
            TradingOrder.market_url == market_url,
            TradingOrder.market_order_id.is_not(None),
            TradingOrder.status.not_in(("cancelled", "expired", "failed")),
        )
    ).all()
    for row in rows:
        details = connector.get_order(row.market_order_id)
        apply_order_update(market_url, details["order"])
        for contract in details.get("contracts", []):
            apply_contract_update(market_url, contract)
    db.session.commit()
    return len(rows)


class TradeStreamFollower:
    """Follows the trade stream of the connector's marketplace into the database (see the
    module docstring). ``connect`` opens a WebSocket (``websocket-client`` by default)."""

    def __init__(
        self,
        connector: MarketConnector,
        max_failures: int = 3,
        connect: Callable[..., Any] | None = None,
        receive_timeout: float = 5.0,
    ) -> None:
        self.connector = connector
        self.market_url = connector.settings.base_url
        self.account = connector.settings.username or "token"
        self.max_failures = max_failures
        self.connect = connect or _websocket_connect
        self.receive_timeout = receive_timeout
        self.connections = 0

    def run(self, stop: threading.Event) -> None:
        """Follow the stream until ``stop`` is set: reconnect after a drop (bounded
        back-off), poll while the stream cannot be reached."""
        failures = 0
        while not stop.is_set():
            try:
                self.follow(stop)
                failures = 0
            except Exception as exc:  # any drop: the socket, TLS, the server going away
                db.session.rollback()
                failures += 1
                logger.warning(
                    "Trade stream of %s: %r (failure %d)", self.market_url, exc, failures
                )
                if failures >= self.max_failures:
                    self._poll_quietly()
                stop.wait(backoff_delay(min(failures, 6), self.connector.settings, None))

    def _poll_quietly(self) -> None:
        """Poll once; if the REST API is away too, try again after the next back-off."""
        try:
            poll_once(self.connector)
        except Exception:  # the marketplace is down: nothing to learn now
            db.session.rollback()

    def follow(self, stop: threading.Event) -> None:
        """One connection: ask to resume after the cursor, then handle messages until the
        connection drops (an exception) or ``stop`` is set."""
        url = f"{self.connector.settings.ws_url}/api/v1/ws/trade/"
        ws = self.connect(url, self.connector.access_token(), self.connector.settings.verify)
        self.connections += 1
        try:
            after = cursor(self.market_url, self.account).last_sequence
            db.session.commit()
            ws.send(json.dumps({"action": "resume", "after_sequence": after}))
            while not stop.is_set():
                self._receive(ws)
        finally:
            ws.close()

    def _receive(self, ws: Any) -> None:
        """Handle the next message, if one comes within the receive time-out."""
        import websocket

        try:
            text = ws.recv()
        except websocket.WebSocketTimeoutException:
            return
        if not text:
            raise ConnectionError("The trade stream was closed.")
        message = json.loads(text)
        if message.get("type") not in ("control", "snapshot"):
            handle_stream_message(self.market_url, self.account, message)


def _websocket_connect(url: str, token: str, verify: bool | str) -> Any:
    """Open a WebSocket with a Bearer token; certificates checked unless ``verify`` is
    False (a string: the CA bundle to check them with)."""
    import ssl

    import websocket

    if verify is False:
        sslopt: dict[str, Any] = {"cert_reqs": ssl.CERT_NONE, "check_hostname": False}
    elif isinstance(verify, str):
        sslopt = {"ca_certs": verify}
    else:
        sslopt = {}
    ws = websocket.create_connection(
        url, header=[f"Authorization: Bearer {token}"], sslopt=sslopt, timeout=10
    )
    ws.settimeout(5.0)
    return ws
