"""The marketplace connector against a fake transport: tokens, 401, back-off, idempotency."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import cast

import pytest
import requests

from flexmeasures.market.connector import (
    ConfigurationError,
    ConnectorSettings,
    MarketConnectionError,
    MarketConnector,
    MarketConnectorError,
    backoff_delay,
    idempotency_key,
)

URL = "https://market.example.com"


def response(status: int, body: dict | None = None, headers: dict | None = None):
    """A requests.Response with a JSON body."""
    made = requests.Response()
    made.status_code = status
    made._content = json.dumps(body or {}).encode()
    made.headers.update(headers or {})
    return made


class FakeSession:
    """Answers requests from a script per path; records every request."""

    def __init__(self, script: dict[str, list]):
        self.script = script
        self.sent: list[tuple[str, str, dict]] = []
        self.token_count = 0

    def request(self, method, url, **kwargs):
        path = url[len(URL) :]
        self.sent.append((method, path, kwargs))
        if path == "/auth/oauth/v2/token" and not self.script.get(path):
            self.token_count += 1
            token = {
                "access_token": f"a{self.token_count}",
                "refresh_token": "r",
                "expires_in": 600,
            }
            return response(200, token)
        answer = self.script[path].pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    def to(self, path: str) -> list[dict]:
        """The kwargs of the requests to a path."""
        return [kwargs for _, sent_path, kwargs in self.sent if sent_path == path]


def connector(script: dict[str, list], now: list[float] | None = None, **settings):
    """A connector on a fake session and clock; ``sleeps`` collects the back-off waits."""
    clock = now if now is not None else [0.0]
    sleeps: list[float] = []
    made = MarketConnector(
        ConnectorSettings(URL, "seller", "secret", **settings),
        session=cast(requests.Session, FakeSession(script)),
        clock=lambda: clock[0],
        sleep=sleeps.append,
    )
    return made, sleeps


ORDERS = "/api/v1/order/"


def test_settings_need_url_and_credentials():
    with pytest.raises(ConfigurationError, match="URL"):
        ConnectorSettings("", "u", "p")
    with pytest.raises(ConfigurationError, match="PASSWORD"):
        ConnectorSettings(URL, "u")
    assert ConnectorSettings(URL, token="t").verify is True  # TLS checked by default
    config = {"FLEXMEASURES_TRADING_MARKET_URL": URL + "/", "FLEXMEASURES_TRADING_TOKEN": "t"}
    settings = ConnectorSettings.from_config(config)
    assert settings.base_url == URL and settings.verify is True
    assert settings.ws_url == "wss://market.example.com"


def test_token_refreshed_before_expiry():
    now = [0.0]
    client, _ = connector({ORDERS: [response(200, {"orders": []})] * 3}, now)
    client.list_orders()
    now[0] = 500.0  # more than a minute before the 600 s expiry: same token
    client.list_orders()
    now[0] = 550.0  # within a minute of expiry: refresh first
    client.list_orders()
    grants = [kw["data"]["grant_type"] for kw in client.session.to("/auth/oauth/v2/token")]
    assert grants == ["password", "refresh_token"]
    assert client.session.to(ORDERS)[-1]["headers"]["Authorization"] == "Bearer a2"


def test_401_retried_once_with_a_new_token():
    client, _ = connector({ORDERS: [response(401), response(200, {"orders": [{"order_id": 1}]})]})
    assert client.list_orders() == [{"order_id": 1}]
    assert [kw["headers"]["Authorization"] for kw in client.session.to(ORDERS)] == [
        "Bearer a1",
        "Bearer a2",
    ]
    client, _ = connector({ORDERS: [response(401), response(401)]})
    with pytest.raises(MarketConnectorError) as error:
        client.list_orders()
    assert error.value.status == 401 and len(client.session.to(ORDERS)) == 2


def test_429_and_5xx_retried_with_bounded_backoff():
    script = [response(503), response(429, headers={"Retry-After": "3"}), response(502)]
    client, sleeps = connector({ORDERS: [*script, response(200, {"orders": []})]})
    assert client.list_orders() == []
    assert sleeps == [0.5, 3.0, 2.0]
    client, sleeps = connector({ORDERS: [response(500)] * 10}, max_retries=3)
    with pytest.raises(MarketConnectionError):
        client.list_orders()
    assert len(client.session.to(ORDERS)) == 4 and len(sleeps) == 3


def test_backoff_is_bounded():
    settings = ConnectorSettings(URL, token="t", backoff=1, max_backoff=5)
    assert [backoff_delay(n, settings, None) for n in range(5)] == [1, 2, 4, 5, 5]
    assert backoff_delay(0, settings, "120") == 5


def test_connection_error_retried_and_422_not():
    error = requests.ConnectionError("reset")
    client, sleeps = connector({ORDERS: [error, response(200, {"order_id": 7})]})
    assert client.submit_order({"side": "sell"}, "key-1") == {"order_id": 7}
    assert len(sleeps) == 1
    detail = [{"loc": ["body", "power"], "msg": "must be > 0"}]
    client, sleeps = connector({ORDERS: [response(422, {"detail": detail})]})
    with pytest.raises(MarketConnectorError) as refused:
        client.submit_order({"side": "sell"}, "key-1")
    assert refused.value.status == 422 and refused.value.detail == detail and sleeps == []


def test_every_retry_of_a_submit_carries_the_same_idempotency_key():
    client, _ = connector({ORDERS: [response(503), response(200, {"order_id": 7})]})
    client.submit_order({"side": "sell", "power": 10}, "fm-key")
    sent = client.session.to(ORDERS)
    assert [kw["headers"]["Idempotency-Key"] for kw in sent] == ["fm-key", "fm-key"]
    assert all(kw["json"]["idempotency_key"] == "fm-key" for kw in sent)


def test_idempotency_key_is_deterministic_per_asset_slot_and_run():
    slot = datetime(2030, 1, 7, 10, 15, tzinfo=UTC)
    key = idempotency_key(3, slot, "run-a")
    assert key == idempotency_key(3, slot, "run-a")
    assert len({key, idempotency_key(4, slot, "run-a"), idempotency_key(3, slot, "run-b")}) == 3
    assert key != idempotency_key(3, slot.replace(minute=30), "run-a")


def test_tls_verification_setting():
    config = {"FLEXMEASURES_TRADING_MARKET_URL": URL, "FLEXMEASURES_TRADING_TOKEN": "t"}
    for value, expected in ((None, True), ("false", False), ("/etc/ca.pem", "/etc/ca.pem")):
        settings = ConnectorSettings.from_config(
            {**config, "FLEXMEASURES_TRADING_VERIFY_TLS": value}
        )
        assert settings.verify == expected


def test_the_environment_proxy_and_ca_bundle_are_taken_once(monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example.com:3128")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/our-ca.pem")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    made = MarketConnector(ConnectorSettings(URL, "seller", "secret"))
    assert made.session.proxies["https"] == "http://proxy.example.com:3128"
    assert made.verify == "/etc/ssl/our-ca.pem"
    assert made.session.trust_env is False  # not read again on every request
    unchecked = MarketConnector(ConnectorSettings(URL, "seller", "secret", verify=False))
    assert unchecked.verify is False
    monkeypatch.setenv("NO_PROXY", "market.example.com")
    direct = MarketConnector(ConnectorSettings(URL, "seller", "secret"))
    assert "https" not in direct.session.proxies
