"""The account page: the user's roles and assets, and a button that creates an API token."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Blueprint, current_app
from flask_security import current_user, login_required
from sqlalchemy import select

from flexmeasures.data import db
from flexmeasures.data.models import Asset
from flexmeasures.ui.forms import ActionForm
from flexmeasures.ui.utils.view_utils import render_flexmeasures_template

account_views = Blueprint("ui_account", __name__)


@account_views.route("/account", methods=["GET", "POST"])
@login_required
def account_view() -> Any:
    """Show the account; POST (the button) creates an auth token and shows it once."""
    form = ActionForm()
    token = None
    if form.validate_on_submit():
        token = current_user.get_auth_token()
    owned = db.session.scalars(
        select(Asset).filter_by(owner_id=current_user.id).order_by(Asset.id)
    ).all()
    return render_flexmeasures_template(
        "account.html",
        form=form,
        token=token,
        token_hours=token_lifetime_in_hours(current_app.config["SECURITY_TOKEN_MAX_AGE"]),
        assets=owned,
        user=current_user,
    )


def token_lifetime_in_hours(max_age: timedelta | int) -> str:
    """SECURITY_TOKEN_MAX_AGE (seconds, or a timedelta as Flask-Security makes it) in hours,
    as text (e.g. "6", "0.5")."""
    seconds = max_age.total_seconds() if isinstance(max_age, timedelta) else max_age
    return f"{seconds / 3600:.4g}"
