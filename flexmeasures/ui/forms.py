"""Forms of the UI pages (Flask-WTF: CSRF-protected when WTF_CSRF_ENABLED)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import FloatField, IntegerField, SelectField, StringField, SubmitField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from flexmeasures.data import db
from flexmeasures.data.models import Asset, AssetType, Market, User
from flexmeasures.data.services.assets import ASSET_UNITS, MAX_NAME_LENGTH

NO_MARKET = ""


def _market_id(value: Any) -> int | None:
    """The market id chosen in the form (None for "no market")."""
    return None if value in (None, NO_MARKET, "None") else int(value)


class AssetForm(FlaskForm):
    """An asset's fields, with the units of ``flexmeasures.data.services.assets``.

    The data services check the values as a whole (e.g. a free name); the form only checks
    that each field is filled in and in range, so the user gets a message per field.
    """

    name = StringField("Name", [InputRequired(), Length(max=MAX_NAME_LENGTH)])
    display_name = StringField("Display name", [Optional(), Length(max=MAX_NAME_LENGTH)])
    asset_type_name = SelectField("Asset type", [InputRequired()])
    owner_id = SelectField("Owner", [InputRequired()], coerce=int)
    market_id = SelectField("Market", coerce=_market_id)
    unit = SelectField("Unit of its power values", choices=list(ASSET_UNITS))
    capacity_in_mw = FloatField("Capacity (MW)", [InputRequired(), NumberRange(min=0)])
    event_resolution = IntegerField(
        "Resolution (minutes, e.g. 15)", [InputRequired(), NumberRange(min=1)]
    )
    latitude = FloatField("Latitude", [InputRequired(), NumberRange(min=-90, max=90)])
    longitude = FloatField("Longitude", [InputRequired(), NumberRange(min=-180, max=180)])
    timezone = StringField("Time zone (e.g. Europe/Amsterdam)", [Optional(), Length(max=80)])
    submit = SubmitField("Save")

    def offer_choices(self, may_choose_owner: bool) -> None:
        """Fill the drop-downs from the database; without ``may_choose_owner``, no owner field."""
        types = db.session.scalars(select(AssetType).order_by(AssetType.name))
        self.asset_type_name.choices = [(t.name, t.display_name or t.name) for t in types]
        markets = db.session.scalars(select(Market).order_by(Market.name))
        self.market_id.choices = [(NO_MARKET, "(no market)")] + [
            (m.id, m.display_name or m.name) for m in markets
        ]
        if may_choose_owner:
            users = db.session.scalars(select(User).order_by(User.username))
            self.owner_id.choices = [(u.id, f"{u.username} ({u.email})") for u in users]
        else:
            del self.owner_id

    def asset_fields(self) -> dict[str, Any]:
        """The values for ``create_asset``/``update_asset`` (resolution as a timedelta)."""
        fields = {
            name: field.data
            for name, field in self._fields.items()
            if name not in ("submit", "csrf_token")
        }
        fields["event_resolution"] = timedelta(minutes=fields["event_resolution"])
        fields["display_name"] = (fields["display_name"] or "").strip()
        fields["timezone"] = (fields["timezone"] or "").strip() or None
        return fields

    def show_asset(self, asset: Asset) -> None:
        """Fill the fields with the asset's current values."""
        for name, field in self._fields.items():
            if name not in ("submit", "csrf_token"):
                field.data = getattr(asset, name)
        self.event_resolution.data = int(asset.event_resolution.total_seconds() // 60)

    def add_error(self, field_name: str | None, message: str) -> None:
        """Show a data service's error at its field (or at the top of the form)."""
        field = self._fields.get(field_name or "")
        if field is None:
            self.form_errors.append(message)
        else:
            field.errors = [*field.errors, message]


class ConfirmForm(FlaskForm):
    """A button that confirms an action (e.g. deleting), with CSRF protection."""

    submit = SubmitField("Yes, delete")


class ActionForm(FlaskForm):
    """A button for an action without fields (e.g. deactivate a user), CSRF-protected."""

    submit = SubmitField("Go")
