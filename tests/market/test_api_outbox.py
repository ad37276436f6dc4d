"""The outbox: per-channel sequences from 1 without gaps, replay, and commit listeners."""

from __future__ import annotations

from flexmeasures.market import outbox


def test_sequences_count_per_channel(db, traders):
    seller, buyer = traders["seller"].id, traders["buyer"].id
    recorded = [
        outbox.record_stream_message(db.session, "trade", {"type": "a"}, seller),
        outbox.record_stream_message(db.session, "trade", {"type": "b"}, buyer),
        outbox.record_stream_message(db.session, "trade", {"type": "c"}, seller),
        outbox.record_stream_message(db.session, "ticker", {"type": "d"}),
    ]
    assert [m.sequence for m in recorded] == [1, 1, 2, 1]
    assert recorded[2].message == {"type": "c", "sequence": 2}
    assert outbox.latest_sequence("trade", seller) == 2
    assert outbox.latest_sequence("orderbook", None) == 0
    replay = outbox.messages_after("trade", seller, 1)
    assert [m.message["type"] for m in replay] == ["c"]


def test_listeners_hear_committed_messages_only(db, traders, monkeypatch):
    heard = []
    monkeypatch.setattr(outbox, "on_commit_listeners", [heard.extend])
    outbox.record_stream_message(db.session, "ticker", {"type": "lost"})
    db.session.rollback()
    assert heard == []
    outbox.record_stream_message(db.session, "ticker", {"type": "kept"})
    db.session.commit()
    assert [(m["stream"], m["user_id"], m["message"]["type"]) for m in heard] == [
        ("ticker", None, "kept")
    ]
    # the rolled-back message gave its number back
    assert heard[0]["sequence"] == 1


def test_messages_given_as_json_text_are_stored_and_heard_as_dicts(db, traders, monkeypatch):
    heard = []
    monkeypatch.setattr(outbox, "on_commit_listeners", [heard.extend])
    items = [
        ("orderbook", '{"type": "orderbook_update", "data": {"asks": {"0.1": ["Zürich"]}}}', None),
        ("ticker", {"type": "ticker_update", "place": "Genève"}, None),
        ("orderbook", '{"type": "orderbook_update", "data": {}}', None),
    ]
    outbox.record_stream_messages(db.session, items)
    db.session.commit()
    stored = [m.message for m in outbox.messages_after("orderbook", None, 0)]
    assert stored == [
        {"type": "orderbook_update", "data": {"asks": {"0.1": ["Zürich"]}}, "sequence": 1},
        {"type": "orderbook_update", "data": {}, "sequence": 2},
    ]
    assert outbox.messages_after("ticker", None, 0)[0].message["place"] == "Genève"
    assert [m["message"] for m in heard if m["stream"] == "orderbook"] == stored
