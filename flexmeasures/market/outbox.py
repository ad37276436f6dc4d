"""The outbox of the marketplace's streams: every message to send is a row, written in the
same transaction as the state change it tells about, so that nothing is sent that did not
happen and nothing that happened is lost (a restart or a reconnecting client replays it).

A *channel* is a stream ("trade", "orderbook" or "ticker") and a user id ("trade" messages
are per user; None means every subscriber). Within a channel, sequence numbers go up from 1
without gaps, also under concurrent transactions: the next number comes from a per-channel
counter row that is updated (and so locked) until the transaction ends. A transaction that
rolls back gives its numbers back; transactions on one channel commit in sequence order.

After a commit that recorded messages, each function in ``on_commit_listeners`` is called
with those messages as dicts {"id", "stream", "user_id", "sequence", "message"}; the
WebSocket fan-out registers itself there.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
    event,
    insert,
    select,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from flexmeasures.data import Session as FlexMeasuresSession
from flexmeasures.data import db
from flexmeasures.data.models.types import UTCDateTime
from flexmeasures.market.models import utc_now

STREAMS = ("trade", "orderbook", "ticker")
PENDING_KEY = "market_outbox_pending"

logger = logging.getLogger(__name__)

on_commit_listeners: list[Callable[[list[dict[str, Any]]], None]] = []
Message = dict[str, Any] | str
"""A stream message to record: a dict, or its JSON text (an object, without ``sequence``)."""

stream_counter = Table(
    "market_stream_counter",
    db.metadata,
    Column("channel", String(64), primary_key=True),
    Column("last_sequence", Integer, nullable=False),
)


class StreamMessage(db.Model):
    """A message of a stream, exactly as sent (its ``message`` includes ``sequence``)."""

    __tablename__ = "market_stream_message"
    __table_args__ = (
        UniqueConstraint("channel", "sequence"),
        Index("market_stream_message_stream_user_id_sequence_idx", "stream", "user_id", "sequence"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    stream: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("fm_user.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(64))
    sequence: Mapped[int] = mapped_column(Integer)
    message: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)

    def to_dict(self) -> dict[str, Any]:
        """The message as the on-commit listeners get it."""
        return {
            "id": self.id,
            "stream": self.stream,
            "user_id": self.user_id,
            "sequence": self.sequence,
            "message": self.message,
        }


def channel_of(stream: str, user_id: int | None) -> str:
    """The channel key of a stream and user ("trade:7", "ticker:*")."""
    if stream not in STREAMS:
        raise ValueError(f"Unknown stream {stream!r}; choose from {', '.join(STREAMS)}.")
    return f"{stream}:{'*' if user_id is None else user_id}"


def _take_sequences(session: Session, counts: dict[str, int]) -> dict[str, range]:
    """Take each channel's next ``counts[channel]`` sequence numbers in one statement (an
    upsert of the counters, in channel order), locking the counters until the transaction
    ends (so concurrent writers to a channel wait, and numbers stay gap-free)."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    upsert = dialect.insert(stream_counter).values(
        [{"channel": c, "last_sequence": counts[c]} for c in sorted(counts)]
    )
    upsert = upsert.on_conflict_do_update(
        index_elements=["channel"],
        set_={"last_sequence": stream_counter.c.last_sequence + upsert.excluded.last_sequence},
    ).returning(stream_counter.c.channel, stream_counter.c.last_sequence)
    last = {row.channel: row.last_sequence for row in session.execute(upsert)}
    return {c: range(last[c] - counts[c] + 1, last[c] + 1) for c in counts}


# Counter upsert and message insert in one statement (PostgreSQL): the items come as one
# JSON array with their positions, their messages' texts joined in one text parameter beside
# it, each item giving where its text starts (1-based) and its length (an orderbook_update
# is large: this way it is neither escaped nor parsed as part of the items);
# each channel's counter goes up by its number of items (in channel order); its items get
# the numbers below the new value, in their order; each stored message is the item's JSON
# text without its closing brace (``_json_prefix``) plus its sequence number.
_RECORD_ON_POSTGRESQL = text(
    """
    WITH item AS (
        SELECT item.*, substr(CAST(:texts AS text), item.start, item.length) AS prefix
        FROM json_to_recordset(CAST(:items AS json)) AS item(
            position integer, stream varchar, user_id integer, channel varchar,
            start integer, length integer
        )
    ), counter AS (
        INSERT INTO market_stream_counter AS c (channel, last_sequence)
        SELECT channel, count(*) FROM item GROUP BY channel ORDER BY channel
        ON CONFLICT (channel) DO UPDATE SET last_sequence = c.last_sequence + excluded.last_sequence
        RETURNING channel, last_sequence
    ), numbered AS (
        SELECT item.*, counter.last_sequence - count(*) OVER (PARTITION BY item.channel)
            + row_number() OVER (PARTITION BY item.channel ORDER BY item.position) AS sequence
        FROM item JOIN counter ON counter.channel = item.channel
    )
    INSERT INTO market_stream_message (stream, user_id, channel, sequence, message, created_at)
    SELECT stream, user_id, channel, sequence,
        CAST(prefix || '"sequence": ' || sequence || '}' AS json), :created_at
    FROM numbered ORDER BY position
    RETURNING id, channel, sequence
    """
)


def _json_prefix(message: Message) -> str:
    """The message's JSON text (without a ``sequence``), cut before its closing brace and
    ready for one more member."""
    if isinstance(message, str):
        text_ = message.rstrip()
    else:
        text_ = json.dumps({k: v for k, v in message.items() if k != "sequence"})
    return text_[:-1] + (", " if text_[:-1].strip() != "{" else "")


def _with_sequence(message: Message, sequence: int) -> dict[str, Any]:
    """The message as a dict with its sequence number."""
    as_dict = json.loads(message) if isinstance(message, str) else message
    return {**as_dict, "sequence": sequence}


def _record_on_postgresql(
    session: Session, items: list[tuple[str, Message, int | None]], channels: list[str]
) -> list[dict[str, Any]]:
    """``record_stream_messages`` in one round trip (PostgreSQL, see _RECORD_ON_POSTGRESQL)."""
    prefixes = [_json_prefix(message) for _, message, _ in items]
    rows, start = [], 1
    for position, ((stream, _, user_id), channel) in enumerate(zip(items, channels, strict=True)):
        row = {"position": position, "stream": stream, "user_id": user_id, "channel": channel}
        rows.append({**row, "start": start, "length": len(prefixes[position])})
        start += len(prefixes[position])
    parameters = {"items": json.dumps(rows), "texts": "".join(prefixes), "created_at": utc_now()}
    stored: dict[str, list[tuple[int, int]]] = {}
    for row in session.connection().execute(_RECORD_ON_POSTGRESQL, parameters):
        stored.setdefault(row.channel, []).append((row.sequence, row.id))
    numbers = {channel: iter(sorted(pairs)) for channel, pairs in stored.items()}
    recorded = []
    for (stream, message, user_id), channel in zip(items, channels, strict=True):
        sequence, id_ = next(numbers[channel])
        recorded.append(
            {
                "id": id_,
                "stream": stream,
                "user_id": user_id,
                "sequence": sequence,
                "message": message,  # made a dict with its sequence after the commit
            }
        )
    return recorded


def _record_in_two_statements(
    session: Session, items: list[tuple[str, Message, int | None]], channels: list[str]
) -> list[dict[str, Any]]:
    """``record_stream_messages`` with one counter upsert and one insert (any database)."""
    by_channel: dict[str, list[int]] = {}
    for index, channel in enumerate(channels):
        by_channel.setdefault(channel, []).append(index)
    rows: list[dict[str, Any]] = [{} for _ in items]
    now = utc_now()
    sequences = _take_sequences(session, {c: len(i) for c, i in by_channel.items()})
    for channel, indices in by_channel.items():
        for index, sequence in zip(indices, sequences[channel], strict=True):
            stream, message, user_id = items[index]
            rows[index] = {
                "stream": stream,
                "user_id": user_id,
                "channel": channel,
                "sequence": sequence,
                "message": _with_sequence(message, sequence),
                "created_at": now,
            }
    table = StreamMessage.__table__
    insert_rows = insert(table).returning(table.c.id, sort_by_parameter_order=True)
    ids = session.execute(insert_rows, rows).scalars().all()
    return [
        {"id": id_, **{k: row[k] for k in ("stream", "user_id", "sequence", "message")}}
        for id_, row in zip(ids, rows, strict=True)
    ]


def record_stream_messages(
    session: Session, items: list[tuple[str, Message, int | None]]
) -> list[dict[str, Any]]:
    """Add messages (stream, message (a dict, or its JSON text: ``Message``), user id) in the
    caller's transaction (never committed here), numbered per channel in the given order;
    return them as recorded ({"id", "stream", "user_id", "sequence", "message"}). After the
    commit the listeners get them with each message as a dict including its sequence
    (parsed then, outside the market's lock). On PostgreSQL one statement (one round trip)
    for all; elsewhere one counter upsert for all channels and one insert for all messages."""
    if not items:
        return []
    channels = [channel_of(stream, user_id) for stream, _, user_id in items]
    if session.get_bind().dialect.name == "postgresql":
        recorded = _record_on_postgresql(session, items, channels)
    else:
        recorded = _record_in_two_statements(session, items, channels)
    session.info.setdefault(PENDING_KEY, []).extend(recorded)
    return recorded


def record_stream_message(
    session: Session, stream: str, message: dict[str, Any], user_id: int | None = None
) -> StreamMessage:
    """Add a message to a stream's channel in the caller's transaction (flushed, never
    committed here); its ``sequence`` is set in the stored message too."""
    [recorded] = record_stream_messages(session, [(stream, message, user_id)])
    return session.get(StreamMessage, recorded["id"])


def messages_after(
    stream: str, user_id: int | None, after_sequence: int, limit: int = 1000
) -> list[StreamMessage]:
    """The channel's committed messages with a sequence above ``after_sequence``, oldest
    first, at most ``limit`` (for a client resuming after a gap)."""
    query = (
        select(StreamMessage)
        .where(
            StreamMessage.channel == channel_of(stream, user_id),
            StreamMessage.sequence > after_sequence,
        )
        .order_by(StreamMessage.sequence)
        .limit(limit)
    )
    return list(db.session.scalars(query))


def latest_sequence(stream: str, user_id: int | None) -> int:
    """The sequence number of the channel's last message (0 if it has none)."""
    query = select(stream_counter.c.last_sequence).where(
        stream_counter.c.channel == channel_of(stream, user_id)
    )
    return db.session.execute(query).scalar() or 0


def take_pending(session: Session) -> list[dict[str, Any]]:
    """Take the messages recorded in the session's transaction so far, so that its commit
    does not hand them to the listeners: the caller does (``notify_listeners``), once the
    commit is durable."""
    return session.info.pop(PENDING_KEY, None) or []


@event.listens_for(FlexMeasuresSession, "after_commit")
def _notify_listeners(session: Session) -> None:
    """Hand the messages of the committed transaction to the listeners."""
    notify_listeners(session.info.pop(PENDING_KEY, None) or [])


def notify_listeners(recorded: list[dict[str, Any]]) -> None:
    """Hand committed messages (as ``record_stream_messages`` returned them) to the
    listeners, each message as a dict with its sequence."""
    if not recorded:
        return
    messages = [{**m, "message": _with_sequence(m["message"], m["sequence"])} for m in recorded]
    for listener in list(on_commit_listeners):
        try:
            listener(messages)
        except Exception:  # a failing listener must not undo or block the commit
            logger.exception("Stream listener %r failed", listener)


@event.listens_for(FlexMeasuresSession, "after_rollback")
def _forget_messages(session: Session) -> None:
    """Messages of a rolled-back transaction are never sent."""
    session.info.pop(PENDING_KEY, None)
