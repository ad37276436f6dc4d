"""v3_0 assets: list, get, create, change and delete, asset types, and triggering an
asset's schedule.

Permissions as in v2.0: admins see and change every asset and alone create assets; other
users see, change and delete the assets they own. An asset belongs to an account through
its owner: a new asset's owner is the current user if they are in the account, else the
account's first user.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from flask import Blueprint
from flask_security import current_user
from sqlalchemy import select

from flexmeasures.api.common.implementations.schedules import trigger_schedule
from flexmeasures.api.v2_0.rest.common import (
    json_object_body,
    load,
    query_args,
    require_admin,
    service_errors,
)
from flexmeasures.api.v3_0.common import (
    accessible_asset,
    asset_json,
    asset_type_ids,
    asset_type_json,
    invalid_field,
    refuse,
    v3_view,
)
from flexmeasures.api.v3_0.schemas import AssetInputSchema, AssetListQuerySchema
from flexmeasures.data import db
from flexmeasures.data.models import Account, Asset, AssetType, User
from flexmeasures.data.services.assets import create_asset, delete_asset, update_asset
from flexmeasures.security import assets_visible_to, current_user_object

assets_api = Blueprint("v3_0_assets", __name__)

ASSET_SCHEMA = AssetInputSchema()
DEFAULT_RESOLUTION = timedelta(minutes=15)
# Fields kept as JSON text on the asset.
JSON_FIELDS = ("attributes", "flex_context", "flex_model")
# Fields the client may send that have no counterpart here.
IGNORED_FIELDS = ("sensors_to_show", "parent_asset_id")


@assets_api.route("/assets", methods=["GET"])
@v3_view
def get_assets() -> tuple[Any, int]:
    """The assets the user may see (admins: all; others: their own), optionally of one
    account, sorted by ``sort_by`` (id or name) in ``sort_dir`` (asc or desc)."""
    args = query_args(AssetListQuerySchema())
    query = assets_visible_to(current_user)
    if args["account_id"] is not None:
        query = query.join(User, User.id == Asset.owner_id).where(
            User.account_id == args["account_id"]
        )
    column = Asset.name if args["sort_by"] == "name" else Asset.id
    query = query.order_by(None).order_by(column.desc() if args["sort_dir"] == "desc" else column)
    type_ids = asset_type_ids()
    return [asset_json(asset, type_ids) for asset in db.session.scalars(query)], 200


@assets_api.route("/assets/types", methods=["GET"])
@v3_view
def get_asset_types() -> tuple[Any, int]:
    """The asset types, with the ids assets refer to (``generic_asset_type_id``)."""
    query_args()
    type_ids = asset_type_ids()
    types = db.session.scalars(select(AssetType)).all()
    listed = sorted(types, key=lambda asset_type: type_ids[asset_type.name])
    return [asset_type_json(t, type_ids[t.name]) for t in listed], 200


@assets_api.route("/assets/<int:asset_id>", methods=["GET"])
@v3_view
def get_asset(asset_id: int) -> tuple[Any, int]:
    """The asset (its owner or an admin)."""
    query_args()
    return asset_json(accessible_asset(asset_id)), 200


@assets_api.route("/assets", methods=["POST"])
@v3_view
def post_asset() -> tuple[Any, int]:
    """Create an asset (admins only); 201 with the whole asset. Without
    ``capacity_in_mw`` its power capacity is 0 MW (a flex-model can give one)."""
    require_admin("create assets")
    fields = load(ASSET_SCHEMA, json_object_body())
    extra = {key: fields.pop(key) for key in (*JSON_FIELDS, *IGNORED_FIELDS) if key in fields}
    fields["owner_id"] = account_owner(fields.pop("account_id")).id
    fields["asset_type_name"] = asset_type_name(fields.pop("generic_asset_type_id"))
    fields.setdefault("capacity_in_mw", 0.0)
    fields.setdefault("event_resolution", DEFAULT_RESOLUTION)
    with service_errors(ASSET_SCHEMA):
        asset = create_asset(**fields)
    _set_json_fields(asset, extra)
    return asset_json(asset), 201


@assets_api.route("/assets/<int:asset_id>", methods=["PATCH"])
@v3_view
def patch_asset(asset_id: int) -> tuple[Any, int]:
    """Change some fields of the asset (its owner or an admin; only admins move it to
    another account); 200 with the whole asset."""
    query_args()
    asset = accessible_asset(asset_id)
    changes = load(ASSET_SCHEMA, json_object_body(), partial=True)
    extra = {key: changes.pop(key) for key in (*JSON_FIELDS, *IGNORED_FIELDS) if key in changes}
    account_id = changes.pop("account_id", None)
    if account_id is not None and account_id != asset.owner.account_id:
        require_admin("move assets to another account")
        changes["owner_id"] = account_owner(account_id).id
    if "generic_asset_type_id" in changes:
        changes["asset_type_name"] = asset_type_name(changes.pop("generic_asset_type_id"))
    with service_errors(ASSET_SCHEMA):
        update_asset(asset, **changes)
    _set_json_fields(asset, extra)
    return asset_json(asset), 200


@assets_api.route("/assets/<int:asset_id>", methods=["DELETE"])
@v3_view
def delete_asset_and_data(asset_id: int) -> tuple[Any, int]:
    """Delete the asset with its sensors and data (its owner or an admin); 204."""
    query_args()
    delete_asset(accessible_asset(asset_id))
    return {"message": f"Asset {asset_id} and its sensors and data have been deleted."}, 204


@assets_api.route("/assets/<int:asset_id>/schedules/trigger", methods=["POST"])
@v3_view
def post_schedule_trigger(asset_id: int) -> tuple[Any, int]:
    """Enqueue a schedule for the asset (``start``, ``duration``, ``flex-model``,
    ``flex-context``); 200 with ``{"schedule": <job id>}``."""
    query_args()
    return trigger_schedule(accessible_asset(asset_id), json_object_body())


def account_owner(account_id: int) -> User:
    """Who owns an asset of this account: the current user if in it, else its first user."""
    user = current_user_object()
    if user is not None and user.account_id == account_id:
        return user
    if db.session.get(Account, account_id) is None:
        raise invalid_field("account_id", f"There is no account with id {account_id}.")
    owner = db.session.scalar(
        select(User).where(User.account_id == account_id).order_by(User.id).limit(1)
    )
    if owner is None:
        raise invalid_field("account_id", f"Account {account_id} has no users to own assets.")
    if not current_user.is_admin:
        raise refuse("Only admins may add assets to another account.")
    return owner


def asset_type_name(type_id: int) -> str:
    """The name of the asset type with this v3_0 id (422 if there is none)."""
    names = {number: name for name, number in asset_type_ids().items()}
    if type_id not in names:
        raise invalid_field(
            "generic_asset_type_id", f"There is no asset type with id {type_id} (see assets/types)."
        )
    return names[type_id]


def _set_json_fields(asset: Asset, fields: dict[str, Any]) -> None:
    """Keep the JSON fields as text on the asset."""
    for key in JSON_FIELDS:
        if key in fields:
            setattr(asset, key, json.dumps(fields[key]))
