"""User administration (admins only): list, view, deactivate or reactivate, reset the
password, and delete with confirmation; through the data services of the v2.0 users API."""

from __future__ import annotations

import smtplib
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, request, url_for
from flask_security import current_user, login_required
from sqlalchemy import func, select

from flexmeasures.data import db
from flexmeasures.data.models import Asset, User
from flexmeasures.data.services.users import (
    delete_user,
    reset_password_and_send_instructions,
    update_user,
)
from flexmeasures.ui.forms import ActionForm, ConfirmForm
from flexmeasures.ui.utils.asset_maps import format_time
from flexmeasures.ui.utils.view_utils import page_error, render_flexmeasures_template

user_views = Blueprint("ui_users", __name__)


@user_views.route("/users")
@login_required
def user_list() -> Any:
    """All active users (with ``include_inactive``, also the inactive ones), by username."""
    require_admin("see the users")
    include_inactive = request.args.get("include_inactive") in ("1", "on", "true")
    query = select(User).order_by(func.lower(User.username))
    if not include_inactive:
        query = query.where(User.active.is_(True))
    users = db.session.scalars(query).all()
    return render_flexmeasures_template(
        "users/list.html", users=users, include_inactive=include_inactive, last_login=last_login
    )


@user_views.route("/users/<int:user_id>")
@login_required
def user_view(user_id: int) -> Any:
    """A user's account overview, with buttons to (de)activate, reset the password, delete."""
    user = administered_user(user_id)
    assets = db.session.scalar(select(func.count(Asset.id)).filter_by(owner_id=user.id))
    return render_flexmeasures_template(
        "users/view.html",
        user=user,
        asset_count=assets or 0,
        last_login=last_login(user),
        form=ActionForm(),
    )


@user_views.route("/users/<int:user_id>/active", methods=["POST"])
@login_required
def toggle_active(user_id: int) -> Any:
    """Deactivate an active user (their tokens and sessions stop working), or reactivate."""
    user = administered_user(user_id, not_oneself="change your own active status")
    if ActionForm().validate_on_submit():
        update_user(user, active=not user.active)
        db.session.commit()
        flash(f"User {user.username} is {'active' if user.active else 'deactivated'}.", "success")
    return redirect(url_for("ui_users.user_view", user_id=user.id))


@user_views.route("/users/<int:user_id>/reset-password", methods=["POST"])
@login_required
def reset_user_password(user_id: int) -> Any:
    """Give the user a random password and email them how to choose a new one."""
    user = administered_user(user_id)
    if ActionForm().validate_on_submit():
        try:
            reset_password_and_send_instructions(user)
        except (OSError, smtplib.SMTPException) as error:
            db.session.rollback()
            current_app.logger.warning(f"Could not send the password-reset email: {error}")
            flash(
                f"The password-reset email could not be sent ({error}), so the password was "
                "not changed. Check the MAIL_* settings.",
                "error",
            )
        else:
            db.session.commit()
            flash(
                f"The password of {user.username} was reset; they got an email to choose "
                "a new one.",
                "success",
            )
    return redirect(url_for("ui_users.user_view", user_id=user_id))


@user_views.route("/users/<int:user_id>/delete", methods=["GET", "POST"])
@login_required
def delete_user_view(user_id: int) -> Any:
    """Ask to confirm (GET), then delete the user with their assets and data (POST)."""
    user = administered_user(user_id, not_oneself="delete yourself")
    form = ConfirmForm()
    if form.validate_on_submit():
        username = user.username
        deleted = delete_user(user)
        db.session.commit()
        flash(
            f"User {username} was deleted, with {deleted['assets']} assets and "
            f"{deleted['beliefs']} data points.",
            "success",
        )
        return redirect(url_for("ui_users.user_list"))
    return render_flexmeasures_template("users/delete.html", user=user, form=form)


def require_admin(action: str) -> None:
    """Show a 403 page to users who are no admin."""
    if not current_user.is_admin:
        abort(page_error(403, f"Only admins may {action}."))


def administered_user(user_id: int, not_oneself: str | None = None) -> User:
    """The user an admin acts on: 403 for non-admins (or acting on oneself when the action
    is ``not_oneself``), 404 if there is no such user."""
    require_admin("administer users")
    if not_oneself and user_id == current_user.id:
        abort(page_error(403, f"You cannot {not_oneself}."))
    user = db.session.get(User, user_id)
    if user is None:
        abort(page_error(404, f"There is no user with id {user_id}."))
    return user


def last_login(user: User) -> str:
    """When the user last logged in, as they would read it ("never" if not known)."""
    return format_time(user.last_login_at) if user.last_login_at else "never"
