"""The platform's client for a GLocalFlex-compatible marketplace (ours, or any other at a URL).

REST over HTTPS with ``requests``:

- **Tokens**: the OAuth2 password grant (``/auth/oauth/v2/token``, form-encoded, client id
  ``glocalflexmarket_public_api``), refreshed with the refresh_token grant ``refresh_margin``
  seconds before the access token expires (falling back to the password grant when the
  refresh token is refused). A configured static token is used as it is.
- **401**: the request is retried once with a new token (if one can be had).
- **429 and 5xx** (and connection errors or time-outs): retried up to ``max_retries`` times,
  waiting ``backoff * 2**attempt`` seconds (at most ``max_backoff``; a 429's ``Retry-After``
  is honoured within that bound). Then ``MarketConnectionError``.
- **Idempotency**: every order submit carries an ``Idempotency-Key`` header and body field
  (``idempotency_key``), so a retried submit returns the first order instead of selling
  twice. ``idempotency_key`` derives it from asset, slot and strategy run.
- **TLS**: certificates are verified by default (``verify``: True, or a CA bundle path;
  False only when configured so, e.g. against a test server with a self-signed certificate).

Settings come from the app config (``ConnectorSettings.from_config``, documented in
documentation/configuration.md): FLEXMEASURES_TRADING_MARKET_URL, _USERNAME, _PASSWORD,
_TOKEN, _VERIFY_TLS, _MAX_RETRIES, _BACKOFF_SECONDS. Units as the marketplace's: power in W,
price in EUR/kWh, energy in kWh.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import requests

CLIENT_ID = "glocalflexmarket_public_api"
TOKEN_PATH = "/auth/oauth/v2/token"
ORDER_PATH = "/api/v1/order/"
METERING_PATH = "/api/v1/verification/metering"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class MarketConnectorError(Exception):
    """The marketplace refused a request: its HTTP status and what it said (``detail``)."""

    def __init__(self, status: int | None, detail: Any) -> None:
        super().__init__(f"The marketplace answered {status}: {detail}")
        self.status = status
        self.detail = detail


class MarketConnectionError(MarketConnectorError):
    """The marketplace could not be reached (or kept answering 429/5xx) within the retries."""


class ConfigurationError(ValueError):
    """The connector's settings are incomplete; the message names the setting."""


@dataclass(frozen=True)
class ConnectorSettings:
    """Where the marketplace is and how to log in (see the module docstring)."""

    base_url: str
    username: str | None = None
    password: str | None = None
    token: str | None = None
    verify: bool | str = True
    timeout: float = 30.0
    max_retries: int = 4
    backoff: float = 0.5
    max_backoff: float = 8.0
    refresh_margin: float = 60.0

    def __post_init__(self) -> None:
        """ConfigurationError for a missing URL or missing credentials."""
        if not self.base_url or not self.base_url.startswith(("https://", "http://")):
            raise ConfigurationError(
                "FLEXMEASURES_TRADING_MARKET_URL must be the marketplace's https:// URL."
            )
        if not self.token and not (self.username and self.password):
            raise ConfigurationError(
                "Set FLEXMEASURES_TRADING_USERNAME and FLEXMEASURES_TRADING_PASSWORD "
                "(or FLEXMEASURES_TRADING_TOKEN) to trade on the marketplace."
            )
        if self.max_retries < 0 or self.backoff < 0:
            raise ConfigurationError("Retries and back-off must not be negative.")

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> ConnectorSettings:
        """The settings from the app config (FLEXMEASURES_TRADING_*)."""
        return cls(
            base_url=(config.get("FLEXMEASURES_TRADING_MARKET_URL") or "").rstrip("/"),
            username=config.get("FLEXMEASURES_TRADING_USERNAME"),
            password=config.get("FLEXMEASURES_TRADING_PASSWORD"),
            token=config.get("FLEXMEASURES_TRADING_TOKEN"),
            verify=verify_setting(config.get("FLEXMEASURES_TRADING_VERIFY_TLS", True)),
            max_retries=int(config.get("FLEXMEASURES_TRADING_MAX_RETRIES", 4)),
            backoff=float(config.get("FLEXMEASURES_TRADING_BACKOFF_SECONDS", 0.5)),
        )

    @property
    def ws_url(self) -> str:
        """The base URL of the WebSocket streams (wss:// for https://)."""
        return "ws" + self.base_url[len("http") :]


def verify_setting(value: bool | str | None) -> bool | str:
    """FLEXMEASURES_TRADING_VERIFY_TLS as ``requests`` takes it: True (also None and the
    texts true/1/yes/on), False (false/0/no/off), or the path of a CA bundle."""
    if value is None or isinstance(value, bool):
        return value is not False
    text = str(value).strip()
    if text.lower() in ("", "1", "true", "yes", "on"):
        return True
    return False if text.lower() in ("0", "false", "no", "off") else text


def environment_settings(session: requests.Session, settings: ConnectorSettings) -> bool | str:
    """Settle what ``requests`` takes from the environment for the marketplace's URL, once:
    the proxies (HTTPS_PROXY etc., unless NO_PROXY covers the URL) become the session's, and
    with certificate checks on, REQUESTS_CA_BUNDLE or CURL_CA_BUNDLE is the CA bundle; then
    the session stops looking (``trust_env`` off; the Authorization header is ours, not
    ~/.netrc's). Returns the ``verify`` argument to send with. A session without
    ``trust_env`` (a fake transport) is left as it is."""
    if not getattr(session, "trust_env", False):
        return settings.verify
    session.proxies.update(requests.utils.get_environ_proxies(settings.base_url))
    session.trust_env = False
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    return bundle if settings.verify is True and bundle else settings.verify


def idempotency_key(asset_id: int, slot_start: datetime, run_id: str) -> str:
    """The idempotency key of the order for one asset and quarter hour in one strategy run:
    the same inputs always give the same key (a retry or re-run never sells twice)."""
    slot = slot_start.strftime("%Y%m%dT%H%M%z")
    digest = hashlib.sha256(f"{asset_id}|{slot}|{run_id}".encode()).hexdigest()[:24]
    return f"fm-{asset_id}-{slot}-{digest}"


def backoff_delay(attempt: int, settings: ConnectorSettings, retry_after: str | None) -> float:
    """Seconds to wait before retry number ``attempt`` (0-based): exponential, at most
    ``max_backoff``; a numeric Retry-After header is honoured within that bound."""
    delay = settings.backoff * 2**attempt
    if retry_after is not None and retry_after.strip().isdigit():
        delay = max(delay, float(retry_after))
    return min(delay, settings.max_backoff)


@dataclass
class _Tokens:
    """The current access token, when to refresh it (monotonic seconds) and the refresh
    token."""

    access: str | None = None
    refresh: str | None = None
    refresh_at: float = 0.0


@dataclass
class MarketConnector:
    """A logged-in client of one marketplace (see the module docstring). ``session``,
    ``clock`` (monotonic seconds) and ``sleep`` can be replaced (tests, a fake transport)."""

    settings: ConnectorSettings
    session: requests.Session = field(default_factory=requests.Session)
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    tokens: _Tokens = field(default_factory=_Tokens)
    token_lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)
    verify: bool | str = field(init=False)

    def __post_init__(self) -> None:
        """Take the environment's proxy and CA bundle settings once (``requests`` would read
        the whole environment and ~/.netrc again on every request)."""
        self.verify = environment_settings(self.session, self.settings)

    # --- tokens -------------------------------------------------------------------------

    def access_token(self) -> str:
        """A valid access token: the static one, or one refreshed before it expires (one
        thread at a time: threads submitting through one connector renew it once)."""
        if self.settings.token and not self.settings.username:
            return self.settings.token
        with self.token_lock:
            if self.tokens.access is None or self.clock() >= self.tokens.refresh_at:
                self._renew()
            if self.tokens.access is None:
                raise MarketConnectorError(None, "the token endpoint gave no access token")
            return self.tokens.access

    def _renew(self) -> None:
        """Get new tokens: refresh_token grant if possible, else the password grant."""
        if self.tokens.refresh:
            answer = self._token_request(
                {"grant_type": "refresh_token", "refresh_token": self.tokens.refresh}
            )
            if answer is not None:
                return self._keep(answer)
        if not (self.settings.username and self.settings.password):
            raise MarketConnectorError(401, "The configured token was refused; no credentials.")
        answer = self._token_request(
            {
                "grant_type": "password",
                "username": self.settings.username,
                "password": self.settings.password,
            }
        )
        if answer is None:
            raise MarketConnectorError(401, "The marketplace refused the username or password.")
        return self._keep(answer)

    def _token_request(self, form: dict[str, str]) -> dict[str, Any] | None:
        """POST a grant to the token endpoint; its answer, or None if refused (4xx)."""
        response = self._send("POST", TOKEN_PATH, data={"client_id": CLIENT_ID, **form})
        if 400 <= response.status_code < 500:
            return None
        return response.json()

    def _keep(self, answer: dict[str, Any]) -> None:
        """Remember the tokens of a token answer (expires_in in seconds); refresh
        ``refresh_margin`` s before expiry (half-way through for short-lived tokens)."""
        lifetime = float(answer.get("expires_in", 3600))
        self.tokens = _Tokens(
            access=answer["access_token"],
            refresh=answer.get("refresh_token"),
            refresh_at=self.clock() + lifetime - min(self.settings.refresh_margin, lifetime / 2),
        )

    def invalidate_token(self) -> None:
        """Forget the access token (the next request gets a new one)."""
        self.tokens.access = None

    # --- requests -----------------------------------------------------------------------

    def _send(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """Send one request, retrying 429, 5xx and connection errors with back-off."""
        url = self.settings.base_url + path
        for attempt in range(self.settings.max_retries + 1):
            try:
                response = self.session.request(
                    method,
                    url,
                    timeout=self.settings.timeout,
                    verify=self.verify,
                    **kwargs,
                )
            except (requests.ConnectionError, requests.Timeout) as exc:
                failure: Any = exc
                retry_after = None
            else:
                if response.status_code not in RETRY_STATUSES:
                    return response
                failure, retry_after = response, response.headers.get("Retry-After")
            if attempt < self.settings.max_retries:
                self.sleep(backoff_delay(attempt, self.settings, retry_after))
        status = getattr(failure, "status_code", None)
        raise MarketConnectionError(status, _detail(failure))

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        """An authenticated request: its JSON answer. 401 is retried once with a new token;
        other 4xx raise MarketConnectorError with the marketplace's detail."""
        response = self._authorised(method, path, **kwargs)
        if response.status_code == 401 and (self.settings.username or self.tokens.refresh):
            self.invalidate_token()
            response = self._authorised(method, path, **kwargs)
        if response.status_code >= 400:
            raise MarketConnectorError(response.status_code, _detail(response))
        return response.json()

    def _authorised(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """Send with the current access token in the Authorization header."""
        headers = {**kwargs.pop("headers", {}), "Authorization": f"Bearer {self.access_token()}"}
        return self._send(method, path, headers=headers, **kwargs)

    # --- the marketplace's API ----------------------------------------------------------

    def submit_order(self, order: dict[str, Any], key: str) -> dict[str, Any]:
        """Submit an order (the marketplace's order shape) with an idempotency key; the
        order object answered (the first order's, if this key was used before)."""
        body = {**order, "idempotency_key": key}
        return self.request("POST", ORDER_PATH, json=body, headers={"Idempotency-Key": key})

    def get_order(self, order_id: int) -> dict[str, Any]:
        """One of our orders with its contracts (verification results, settlements)."""
        return self.request("GET", f"{ORDER_PATH}{order_id}")

    def list_orders(self, status: str | None = None) -> list[dict[str, Any]]:
        """Our orders (newest first), optionally of one status."""
        params = {"status": status} if status else None
        return self.request("GET", ORDER_PATH, params=params)["orders"]

    def cancel_order(self, order_id: int) -> dict[str, Any]:
        """Cancel one of our open orders; the order object."""
        return self.request("DELETE", f"{ORDER_PATH}{order_id}")

    def submit_metering(self, order_id: int, metering_data: dict[str, Any]) -> dict[str, Any]:
        """Send the metering data of a filled sell after delivery (kWh per quarter hour)."""
        body = {
            "order_id": order_id,
            "measurement_type": "metering",
            "metering_data": metering_data,
        }
        return self.request("POST", METERING_PATH, json=body)


def _detail(failure: Any) -> Any:
    """What a failed response (its JSON ``detail`` or text) or exception says."""
    if isinstance(failure, requests.Response):
        try:
            return failure.json().get("detail", failure.text)
        except (ValueError, AttributeError):
            return failure.text
    return str(failure)
