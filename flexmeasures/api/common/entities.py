"""Finding the assets, markets and weather sensors that API messages address.

Connections may be given as a full ``ea1`` address (with or without owner id), as
``<owner-id>:<asset-id>``, as ``<asset-id>``, or by the asset's name or display name (as the
seed's examples write "CS 1"). A full address must carry this server's domain
(INVALID_DOMAIN otherwise); its date code is not checked, since clients copy addresses
made under earlier configurations too.

An address that does not parse (for connections: and is no asset's name either) is
INVALID_DOMAIN (seed change log v1.2-3, "for invalid entity addresses"), for connections,
markets, weather sensors and UDI events alike. An address that parses but names nothing
known stays UNRECOGNIZED_* (e.g. UNRECOGNIZED_MARKET for an unknown market name); so does
a well-formed address whose id is larger than any stored id can be.

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
    EntityIdOutOfRange,
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


def invalid_address(error: EntityAddressException) -> MessageError:
    """INVALID_DOMAIN for an entity address that does not parse (the error says why)."""
    return MessageError("INVALID_DOMAIN", f"Invalid entity address: {error}")


def parse_address(address: str, entity_type: str, unknown_status: str) -> dict[str, Any]:
    """Parse an entity address of this server (see ``check_domain``).

    INVALID_DOMAIN if it does not parse; ``unknown_status`` if it has an id larger than any
    stored id can be (it names nothing).
    """
    try:
        parsed = parse_entity_address(address, entity_type)
    except EntityIdOutOfRange as exc:
        raise MessageError(unknown_status, f"No such {entity_type}: {exc}") from exc
    except EntityAddressException as exc:
        raise invalid_address(exc) from exc
    check_domain(parsed, address)
    return parsed


def resolve_connection(address: Any) -> Asset:
    """Find the asset a connection address (or asset name) points to, for the current user."""
    address = str(address).strip()
    try:
        parsed = parse_entity_address(address, "connection")
    except EntityIdOutOfRange as exc:
        raise MessageError("UNRECOGNIZED_ASSET", f"Cannot identify asset: {exc}") from exc
    except EntityAddressException as exc:
        return _asset_by_name(address, exc)
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


def _asset_by_name(name: str, parse_error: EntityAddressException) -> Asset:
    """Find an addressable asset by name or display name.

    UNRECOGNIZED_CONNECTION_GROUP if several match, or only assets the user may not
    address; INVALID_DOMAIN if no asset has that name (it is no address at all).
    """
    named = or_(Asset.name == name, Asset.display_name == name)
    query = addressable_assets(current_user, admitted_roles()).where(named)
    assets = db.session.scalars(query.limit(2)).all()
    if len(assets) == 1:
        return assets[0]
    if assets or db.session.scalar(select(Asset.id).where(named).limit(1)) is not None:
        raise _unrecognized_connection(name, ambiguous=len(assets) > 1)
    raise invalid_address(parse_error)


def _unrecognized_connection(address: str, ambiguous: bool = False) -> MessageError:
    reason = "matches several assets" if ambiguous else "is not a connection you may address"
    return MessageError(
        "UNRECOGNIZED_CONNECTION_GROUP",
        f"Connection {address} {reason}. Use an entity address as listed by getConnection.",
    )


def resolve_market(address: Any) -> Market:
    """Find the market an address (``ea1...:<name>`` or the bare name) points to."""
    address = str(address).strip()
    parsed = parse_address(address, "market", "UNRECOGNIZED_MARKET")
    market = db.session.scalar(select(Market).filter_by(name=parsed["market_name"]))
    if market is None:
        names = db.session.scalars(select(Market.name).order_by(Market.name)).all()
        raise MessageError(
            "UNRECOGNIZED_MARKET",
            f"No market called '{parsed['market_name']}'; known markets: {', '.join(names)}.",
        )
    return market


def parse_weather_sensor_address(address: Any) -> dict[str, Any]:
    """Parse a weather sensor address (type, latitude, longitude); INVALID_DOMAIN if bad."""
    return parse_address(str(address).strip(), "weather_sensor", "UNRECOGNIZED_SENSOR")


def server_host() -> str:
    """The host this server is addressed by (for building entity addresses)."""
    return current_app.config.get("SERVER_NAME") or request.host
