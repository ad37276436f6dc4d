"""The connections (assets) a user may address, as entity addresses."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_security import current_user

from flexmeasures.api.common.entities import server_host
from flexmeasures.api.common.handling import admitted_roles
from flexmeasures.api.common.responses import ResponseTuple
from flexmeasures.data import db
from flexmeasures.data.entity_address import build_entity_address
from flexmeasures.data.models import Asset
from flexmeasures.modes import uses_unique_connection_names
from flexmeasures.security import addressable_assets


def connection_address(asset: Asset) -> str:
    """The full ea1 address of an asset's connection on this server."""
    return build_entity_address(
        {"owner_id": asset.owner_id, "asset_id": asset.id},
        "connection",
        server_host(),
        current_app.config["FLEXMEASURES_HOSTS_AND_AUTH_START"],
    )


def get_connection(version, message: dict[str, Any]) -> ResponseTuple:
    """Entity addresses and names of the user's connections, newest first.

    Users who may address every asset (admins, and roles besides Prosumer that the service
    admits, such as MDC or Aggregator: see ``security.may_address_every_asset``) get every
    asset, Prosumers the assets they own. In play mode, names are the assets' unique
    names, not display names.
    """
    query = addressable_assets(current_user, admitted_roles()).order_by(Asset.id.desc())
    assets = db.session.scalars(query).all()
    unique = uses_unique_connection_names(current_app.config)
    names = [a.name if unique or not a.display_name else a.display_name for a in assets]
    return {
        "connections": [connection_address(a) for a in assets],
        "names": names,
        "status": "PROCESSED",
        "message": "Request has been processed.",
    }, 200


def get_service(version, message: dict[str, Any]) -> ResponseTuple:
    """The services of this API version, optionally only those a role (``access``) may use."""
    access = message.get("access")
    listing = version.service_listing(access)
    if access is not None and not listing["services"]:
        return {
            "result": "Rejected",
            "status": "INVALID_ROLE",
            "message": f"No known services for specified role {access}.",
        }, 400
    return {**listing, "status": "PROCESSED", "message": "Request has been processed."}, 200
