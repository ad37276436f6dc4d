"""`flexmeasures jobs expire-market-orders`: orders expire without any API traffic."""

from __future__ import annotations

from datetime import timedelta

from flexmeasures.cli import cli
from flexmeasures.market import service
from flexmeasures.market.models import EXPIRED, MATCHING_ACTIVE, MarketOrder
from flexmeasures.market.rules import parse_order

from .conftest import NOW, order_body


def test_the_expiry_command_expires_due_orders(app, db, traders, clock):
    data = parse_order(order_body("buy", expiry_time="2030-01-07T08:30:00Z"), NOW)
    order, _ = service.submit_order(traders["buyer"], data)
    order_id = order.id
    assert order.status == MATCHING_ACTIVE
    clock["now"] = NOW + timedelta(minutes=30)
    result = app.test_cli_runner().invoke(cli, ["jobs", "expire-market-orders"])
    assert result.exit_code == 0, result.output
    assert "Expired 1 market order(s)." in result.output
    assert db.session.get(MarketOrder, order_id).status == EXPIRED
