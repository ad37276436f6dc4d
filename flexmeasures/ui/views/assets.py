"""Asset pages: a paged, filterable list; view and edit; create; delete with confirmation.

Admins see and change every asset and alone create assets or choose an asset's owner;
other users see, change and delete the assets they own (as on the v2.0 REST API, and
through the same data services).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_security import current_user, login_required
from sqlalchemy import func, or_, select

from flexmeasures.api.common.implementations.connections import connection_address
from flexmeasures.data import db
from flexmeasures.data.entity_address import EntityAddressException
from flexmeasures.data.models import Asset
from flexmeasures.data.services.assets import (
    InvalidAssetError,
    create_asset,
    default_market,
    delete_asset,
    update_asset,
)
from flexmeasures.security import assets_visible_to, can_access_asset
from flexmeasures.ui.forms import NO_MARKET, AssetForm, ConfirmForm
from flexmeasures.ui.utils.asset_maps import (
    analytics_url,
    asset_marker,
    describe_state,
    latest_states,
    map_settings,
)
from flexmeasures.ui.utils.paging import Page, page_request
from flexmeasures.ui.utils.view_utils import page_error, render_flexmeasures_template

asset_views = Blueprint("ui_assets", __name__)


@asset_views.route("/assets")
@login_required
def asset_list() -> str:
    """The assets the user may see, filtered by ``q`` (name or type) and paged."""
    paging = page_request(request.args)
    query = assets_visible_to(current_user)
    if paging.filter_text:
        pattern = f"%{paging.filter_text}%"
        query = query.where(
            or_(
                Asset.name.ilike(pattern),
                Asset.display_name.ilike(pattern),
                Asset.asset_type_name.ilike(pattern),
            )
        )
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = Page(paging, total)
    assets = db.session.scalars(query.offset(page.offset).limit(paging.per_page))
    rows = [{"asset": asset, "address": entity_address(asset)} for asset in assets]
    return render_flexmeasures_template("assets/list.html", rows=rows, page=page)


@asset_views.route("/assets/new", methods=["GET", "POST"])
@login_required
def new_asset() -> Any:
    """Create an asset (admins only); on success, go to its page."""
    if not current_user.is_admin:
        return page_error(403, "Only admins may create assets.")
    form = AssetForm()
    form.offer_choices(may_choose_owner=True)
    if not form.is_submitted():
        form.owner_id.data = current_user.id
        form.market_id.data = getattr(default_market(), "id", NO_MARKET)
    if form.validate_on_submit():
        asset = saved(form, lambda: create_asset_without_default_market(form.asset_fields()))
        if asset is not None:
            flash(f"Asset '{asset.name}' was created.", "success")
            return redirect(url_for("ui_assets.asset_view", asset_id=asset.id))
    map_data = map_settings([], pick_location=True)
    return render_flexmeasures_template("assets/new.html", form=form, map_data=map_data)


@asset_views.route("/assets/<int:asset_id>", methods=["GET", "POST"])
@login_required
def asset_view(asset_id: int) -> Any:
    """An asset's page: edit form, API info, latest state and location (click to move)."""
    asset = accessible_asset(asset_id)
    form = AssetForm()
    form.offer_choices(may_choose_owner=current_user.is_admin)
    if not form.is_submitted():
        form.show_asset(asset)
    elif form.validate() and saved(form, lambda: update_asset(asset, **form.asset_fields())):
        flash(f"Asset '{asset.name}' was saved.", "success")
        return redirect(url_for("ui_assets.asset_view", asset_id=asset.id))
    state = latest_states([asset]).get(asset.id)
    return render_flexmeasures_template(
        "assets/view.html",
        asset=asset,
        form=form,
        state=describe_state(state, asset),
        address=entity_address(asset),
        analytics=analytics_url(asset=asset.id),
        map_data=map_settings([asset_marker(asset, state)], pick_location=True),
    )


@asset_views.route("/assets/<int:asset_id>/delete", methods=["GET", "POST"])
@login_required
def delete_asset_view(asset_id: int) -> Any:
    """Ask to confirm (GET), then delete the asset with all its data (POST)."""
    asset = accessible_asset(asset_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        name = asset.name
        beliefs = delete_asset(asset)
        db.session.commit()
        flash(f"Asset '{name}' was deleted, with {beliefs} data points.", "success")
        return redirect(url_for("ui_assets.asset_list"))
    return render_flexmeasures_template("assets/delete.html", asset=asset, form=form)


def saved(form: AssetForm, save: Callable[[], Asset]) -> Asset | None:
    """Run a data service that saves the form's asset and commit; on InvalidAssetError,
    roll back, show the error at its field and return None."""
    try:
        asset = save()
    except InvalidAssetError as error:
        db.session.rollback()
        form.add_error(error.field, str(error))
        return None
    db.session.commit()
    return asset


def create_asset_without_default_market(fields: dict[str, Any]) -> Asset:
    """Create an asset; "(no market)" in the form means no market, not the default one."""
    asset = create_asset(**fields)
    if fields["market_id"] is None:
        update_asset(asset, market_id=None)
    return asset


def accessible_asset(asset_id: int) -> Asset:
    """The asset, if the user may see it; else a 404 (no such asset) or 403 page."""
    asset = db.session.get(Asset, asset_id)
    if asset is None:
        abort(page_error(404, f"There is no asset with id {asset_id}."))
    if not can_access_asset(current_user, asset):
        abort(page_error(403, f"You do not own asset {asset_id} (and are no admin)."))
    return asset


def entity_address(asset: Asset) -> str:
    """The asset's entity address on this server, or why there is none."""
    try:
        return connection_address(asset)
    except EntityAddressException as error:
        return f"(unknown: {error})"
