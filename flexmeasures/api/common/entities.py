"""Finding the assets, markets and weather sensors that API messages address.

Connections may be given as a full ``ea1`` address (with or without owner id), as
``<owner-id>:<asset-id>``, as ``<asset-id>``, or by the asset's name or display name (as the
seed's examples write "CS 1"). A full address must carry this server's domain
(INVALID_DOMAIN otherwise); its date code is not checked, since clients copy addresses
made under earlier configurations too.

Who may address what: admins and users with a non-Prosumer role that the service accepts
(MDC, Supplier, Aggregator, DSO, ESCo) may address every asset; other users (Prosumers,
also those with further roles the service does not accept) may address just the assets
they own. Anything else is reported as the seed's
UNRECOGNIZED_CONNECTION_GROUP (the rule is in ``flexmeasures.security.may_address_asset``);
an address whose asset id does not exist at all is
UNRECOGNIZED_ASSET (seed change log v1.3-5).
"""

from __future__ import annotations

from typing import Any

from flask import current_app, request
from flask_security import current_user
from sqlalchemy import or_, select

from flexmeasures.api.common.handling import admitted_roles
from flexmeasures.api.common.messages import MessageError
from flexmeasures.data import db
from flexmeasures.data.entity_address import (
    EntityAddressException,
    parse_entity_address,
    reverse_domain_name,
)
from flexmeasures.data.models import Asset, Market
from flexmeasures.security import addressable_assets, may_address_asset


def check_domain(parsed: dict[str, Any], address: str) -> None:
    """Raise INVALID_DOMAIN if a full address names another domain than this server's."""
    authority = parsed.get("naming_authority")
    if not authority:
        return
    domain = authority.split(".", 1)[1] if "." in authority else ""
    expected = _comparable(reverse_domain_name(request.host))
    if _comparable(domain) != expected:
        raise MessageError(
            "INVALID_DOMAIN",
            f"The address {address} is not of this server's domain; expected addresses like "
            f"ea1.<YYYY-MM>.{expected}:...",
        )


LOOPBACK_NAMES = ("localhost", "127.0.0.1", "[::1]", "::1")


def _comparable(domain: str) -> str:
    """A domain without port, lower case; every name of this machine's loopback is localhost
    (a server reached at 127.0.0.1 accepts the localhost addresses it hands out)."""
    name = domain.lower()
    if name.startswith("[::1]") or name == "::1":
        return "localhost"
    name = name.split(":", 1)[0]
    return "localhost" if name in LOOPBACK_NAMES else name


def resolve_connection(address: Any) -> Asset:
    """Find the asset a connection address points to, for the current user."""
    address = str(address).strip()
    try:
        parsed = parse_entity_address(address, "connection")
    except EntityAddressException:
        return _asset_by_name(address)
    check_domain(parsed, address)
    return addressed_asset(parsed["asset_id"], parsed.get("owner_id"), address)


def addressed_asset(
    asset_id: int,
    owner_id: int | None,
    address: str,
    unknown_status: str = "UNRECOGNIZED_ASSET",
) -> Asset:
    """The asset with this id, if its owner is ``owner_id`` (when given) and the current user
    may address it (``flexmeasures.security.may_address_asset``).

    Raises ``unknown_status`` for an id without asset, UNRECOGNIZED_CONNECTION_GROUP else.
    """
    asset = db.session.get(Asset, asset_id)
    if asset is None:
        raise MessageError(unknown_status, f"Cannot identify asset: no asset with id {asset_id}.")
    if owner_id is not None and asset.owner_id != owner_id:
        raise _unrecognized_connection(address)
    if not may_address_asset(current_user, asset, admitted_roles()):
        raise _unrecognized_connection(address)
    return asset


def _asset_by_name(name: str) -> Asset:
    """Find a visible asset by name or display name (UNRECOGNIZED_CONNECTION_GROUP if none)."""
    query = addressable_assets(current_user, admitted_roles()).where(
        or_(Asset.name == name, Asset.display_name == name)
    )
    assets = db.session.scalars(query.limit(2)).all()
    if len(assets) != 1:
        raise _unrecognized_connection(name, ambiguous=len(assets) > 1)
    return assets[0]


def _unrecognized_connection(address: str, ambiguous: bool = False) -> MessageError:
    reason = "matches several assets" if ambiguous else "is not a connection you may address"
    return MessageError(
        "UNRECOGNIZED_CONNECTION_GROUP",
        f"Connection {address} {reason}. Use an entity address as listed by getConnection.",
    )


def resolve_market(address: Any) -> Market:
    """Find the market an address (``ea1...:<name>`` or the bare name) points to."""
    address = str(address).strip()
    try:
        parsed = parse_entity_address(address, "market")
    except EntityAddressException as exc:
        raise MessageError("UNRECOGNIZED_MARKET", f"Invalid market address: {exc}") from exc
    check_domain(parsed, address)
    market = db.session.scalar(select(Market).filter_by(name=parsed["market_name"]))
    if market is None:
        names = db.session.scalars(select(Market.name).order_by(Market.name)).all()
        raise MessageError(
            "UNRECOGNIZED_MARKET",
            f"No market called '{parsed['market_name']}'; known markets: {', '.join(names)}.",
        )
    return market


def parse_weather_sensor_address(address: Any) -> dict[str, Any]:
    """Parse a weather sensor address (type, latitude, longitude); UNRECOGNIZED_SENSOR if bad."""
    address = str(address).strip()
    try:
        parsed = parse_entity_address(address, "weather_sensor")
    except EntityAddressException as exc:
        raise MessageError("UNRECOGNIZED_SENSOR", f"Invalid sensor address: {exc}") from exc
    check_domain(parsed, address)
    return parsed


def server_host() -> str:
    """The host this server is addressed by (for building entity addresses)."""
    return current_app.config.get("SERVER_NAME") or request.host
