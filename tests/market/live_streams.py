"""Live TLS servers of the marketplace for the stream tests and benchmark: a self-signed
certificate (made here with ``cryptography``), apps on a schema of their own in the test
database (built by the migrations, see ``tests/live_server.py``), traders with
access tokens, and WebSocket clients (``websocket-client``, as GLocalFlex's examples use)."""

from __future__ import annotations

import datetime as dt
import json
import ssl
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
import websocket
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from flask import Flask

from flexmeasures.data import db
from flexmeasures.market.fanout import fanout_of
from flexmeasures.market.tokens import issue_tokens
from flexmeasures.utils.tls import server_ssl_context
from tests.live_server import LiveServer, migrated_app, recreate_schema, serve

UNVERIFIED = {"cert_reqs": ssl.CERT_NONE, "check_hostname": False}


def self_signed_certificate(directory: Path, host: str = "127.0.0.1") -> tuple[Path, Path]:
    """Write a self-signed certificate for ``host`` and its key (PEM); their paths."""
    import ipaddress

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(host))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "cert.pem", directory / "key.pem"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


@dataclass
class Market:
    """Live TLS servers on one schema: their apps share the database and the fan-out."""

    servers: list[LiveServer]
    cert_file: Path
    key_file: Path
    schema: str
    tokens: dict[str, str] = field(default_factory=dict)
    user_ids: dict[str, int] = field(default_factory=dict)

    @property
    def app(self) -> Flask:
        """The first server's app (to set up data)."""
        return self.servers[0].app

    def ws_url(self, path: str, server: int = 0) -> str:
        """The wss:// URL of a path on one of the servers."""
        return f"wss://{self.servers[server].address}{path}"

    def https_url(self, path: str, server: int = 0) -> str:
        """The https:// URL of a path on one of the servers."""
        return f"https://{self.servers[server].address}{path}"


@contextmanager
def live_market(
    database_uri: str, redis_url: str | None, tmp_dir: Path, servers: int = 1
) -> Iterator[Market]:
    """Serve ``servers`` apps over TLS on a fresh schema, with traders "seller" and "buyer"
    (and their access tokens); with ``redis_url``, the apps fan out through Redis on a
    pub/sub channel of their own."""
    schema = f"market_streams_{uuid.uuid4().hex[:8]}"
    cert_file, key_file = self_signed_certificate(tmp_dir)
    context = server_ssl_context(cert_file, key_file)
    settings = {"FLEXMEASURES_MARKET_STREAMS_CHANNEL": f"test-market-streams-{schema}"}
    with ExitStack() as stack:
        stack.callback(recreate_schema, database_uri, schema, drop_only=True)
        running = []
        for number in range(servers):  # one fresh schema, shared by every server
            app = migrated_app(database_uri, schema, redis_url, settings, fresh=number == 0)
            stack.callback(fanout_of(app).close)
            generator = serve(app, context)
            stack.callback(generator.close)
            running.append(next(generator))
        market = Market(running, cert_file, key_file, schema)
        _add_traders(market)
        yield market


def _add_traders(market: Market) -> None:
    """Create the traders "seller" and "buyer" (and a Prosumer "viewer") with tokens."""
    from flexmeasures.data.services.users import create_user
    from tests.conftest import TEST_PASSWORD

    with market.app.app_context():
        for name, roles in (("seller", ["trader"]), ("buyer", ["trader"]), ("viewer", [])):
            user = create_user(f"{name}@streams.example.com", TEST_PASSWORD, name, roles)
            db.session.flush()
            market.user_ids[name] = user.id
            market.tokens[name] = issue_tokens(user)["access_token"]
        db.session.commit()
        db.session.remove()


def connect(url: str, token: str | None = None, query_token: bool = False, timeout: float = 10):
    """Open a WebSocket over TLS (certificate not checked, as GLocalFlex's examples do),
    authenticated by an ``Authorization: Bearer`` header, or by ``?token=`` if asked."""
    header = []
    if token and query_token:
        url = f"{url}?token={token}"
    elif token:
        header = [f"Authorization: Bearer {token}"]
    return websocket.create_connection(url, header=header, sslopt=UNVERIFIED, timeout=timeout)


def receive(ws: websocket.WebSocket) -> dict[str, Any]:
    """The next message, parsed from JSON."""
    return json.loads(ws.recv())


def receive_until_pong(ws: websocket.WebSocket, messages: list[dict[str, Any]]) -> bytes:
    """Add the messages that come before the next pong to ``messages``; the pong's data."""
    while True:
        opcode, frame = ws.recv_data_frame(control_frame=True)
        if opcode == websocket.ABNF.OPCODE_PONG:
            return frame.data
        if opcode == websocket.ABNF.OPCODE_TEXT:
            messages.append(json.loads(frame.data))


def next_quarter(moment: dt.datetime) -> dt.datetime:
    """The first quarter hour after the moment."""
    moment = moment.replace(second=0, microsecond=0)
    return moment + dt.timedelta(minutes=15 - moment.minute % 15)


def at(moment: dt.datetime) -> str:
    """A time as the seed writes it."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def order(side: str, price: float, hours_ahead: int = 3) -> dict[str, Any]:
    """A 1 kW order for the hour starting ``hours_ahead`` hours from now (sells with a
    baseline), expiring in an hour, in FI."""
    start = next_quarter(dt.datetime.now(dt.UTC)) + dt.timedelta(hours=hours_ahead)
    body: dict[str, Any] = {
        "side": side,
        "power": 1000,
        "price": price,
        "delivery_start": at(start),
        "delivery_end": at(start + dt.timedelta(hours=1)),
        "expiry_time": at(dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)),
        "location": {"location_id": ["FI_1"], "country_code": "FI"},
    }
    if side == "sell":
        points = [
            {"timestamp": at(start + dt.timedelta(minutes=15 * (i + 1))), "value": 0.25}
            for i in range(4)
        ]
        body["baseline"] = {
            "metering_id": "m-1",
            "created_at": at(dt.datetime.now(dt.UTC)),
            "reading_start": at(start),
            "reading_end": at(start + dt.timedelta(hours=1)),
            "resolution": 900,
            "unit_measured": "kWh",
            "data_points": points,
        }
    return body


def submit(market: Market, who: str, body: dict[str, Any]) -> dict[str, Any]:
    """POST an order over HTTPS as the trader; the order object answered."""
    response = requests.post(
        market.https_url("/api/v1/order/"),
        json=body,
        headers={"Authorization": f"Bearer {market.tokens[who]}"},
        verify=str(market.cert_file),
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return response.json()
