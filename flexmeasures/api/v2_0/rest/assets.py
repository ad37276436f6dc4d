"""REST endpoints for assets (API v2.0): list, create, get, change and delete.

Field names and units as in ``flexmeasures.data.schemas.AssetSchema``. Admins may do
everything; other users see, change and delete only the assets they own, and only admins
create assets or give an asset another owner. ``id`` in a request body is ignored.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from flask_security import current_user

from flexmeasures.api.common.responses import invalid_sender, unprocessable_entity
from flexmeasures.api.v2_0.rest.common import (
    RestError,
    get_by_id,
    json_object_body,
    load,
    not_found,
    query_args,
    require_admin,
    rest_view,
    service_errors,
)
from flexmeasures.data import db
from flexmeasures.data.models import Asset, User
from flexmeasures.data.schemas import AssetQuerySchema, AssetSchema
from flexmeasures.data.services.assets import create_asset, delete_asset, update_asset
from flexmeasures.security import assets_visible_to, can_access_asset

assets_api = Blueprint("assets", __name__)

ASSET_SCHEMA = AssetSchema()
ASSETS_SCHEMA = AssetSchema(many=True)
# Set after creation (create_asset does not take them).
STATE_OF_CHARGE_FIELDS = ("soc_in_mwh", "soc_datetime", "soc_udi_event_id")


@assets_api.route("/assets", methods=["GET"])
@rest_view
def get_assets() -> tuple[Any, int]:
    """List the assets the user may see (admins: all; others: their own), ordered by id.

    ``owner_id`` (query parameter) selects one owner's assets; only admins may ask for
    another user's. 200 with a JSON list of assets.
    """
    owner_id = query_args(AssetQuerySchema())["owner_id"]
    query = assets_visible_to(current_user)
    if owner_id is not None:
        if not can_access_asset(current_user, owner_id):
            raise RestError(invalid_sender(message="Only admins may list other users' assets."))
        if get_by_id(User, owner_id) is None:
            raise RestError(
                unprocessable_entity({"owner_id": [f"There is no user with id {owner_id}."]})
            )
        query = query.where(Asset.owner_id == owner_id)
    return ASSETS_SCHEMA.dump(db.session.scalars(query)), 200


@assets_api.route("/assets", methods=["POST"])
@rest_view
def post_asset() -> tuple[Any, int]:
    """Create an asset (admins only); 201 with the whole new asset.

    Required: name, asset_type, unit (MW or kW), owner, event_resolution (minutes),
    capacity_in_mw, latitude, longitude; without ``market`` the asset gets the market
    epex_da (if it exists). 422 names each invalid or missing field.
    """
    require_admin("create assets")
    fields = load(ASSET_SCHEMA, json_object_body())
    state_of_charge = {key: fields.pop(key) for key in STATE_OF_CHARGE_FIELDS if key in fields}
    with service_errors(ASSET_SCHEMA):
        asset = create_asset(**fields)
        update_asset(asset, **state_of_charge)
    return ASSET_SCHEMA.dump(asset), 201


@assets_api.route("/asset/<int:asset_id>", methods=["GET"])
@rest_view
def get_asset(asset_id: int) -> tuple[Any, int]:
    """The asset (its owner or an admin only); 200 with the whole asset."""
    query_args()
    return ASSET_SCHEMA.dump(accessible_asset(asset_id)), 200


@assets_api.route("/asset/<int:asset_id>", methods=["PATCH"])
@rest_view
def patch_asset(asset_id: int) -> tuple[Any, int]:
    """Change any subset of the asset's fields (its owner or an admin); 200 with the whole
    asset. Only admins may change ``owner``; unit and event_resolution only change while
    the asset has no data. 422 names each invalid field; nothing changes then."""
    query_args()
    asset = accessible_asset(asset_id)
    changes = load(ASSET_SCHEMA, json_object_body(), partial=True)
    if changes.get("owner_id", asset.owner_id) != asset.owner_id and not current_user.is_admin:
        raise RestError(invalid_sender(message="Only admins may give an asset another owner."))
    with service_errors(ASSET_SCHEMA):
        update_asset(asset, **changes)
    return ASSET_SCHEMA.dump(asset), 200


@assets_api.route("/asset/<int:asset_id>", methods=["DELETE"])
@rest_view
def delete_asset_and_data(asset_id: int) -> tuple[Any, int]:
    """Delete the asset with all its data (its owner or an admin); 204 with an empty body."""
    query_args()
    delete_asset(accessible_asset(asset_id))
    return None, 204


def accessible_asset(asset_id: int) -> Asset:
    """The asset with this id: 404 UNRECOGNIZED_ASSET if there is none, 403 INVALID_SENDER
    if the current user neither owns it nor is an admin."""
    asset = get_by_id(Asset, asset_id)
    if asset is None:
        raise not_found("UNRECOGNIZED_ASSET", f"There is no asset with id {asset_id}.")
    if not can_access_asset(current_user, asset):
        raise RestError(
            invalid_sender(message=f"You do not own asset {asset_id} (and are no admin).")
        )
    return asset
