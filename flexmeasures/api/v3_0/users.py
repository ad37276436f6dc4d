"""v3_0 users, accounts and jobs.

Admins list every user (optionally of one account) and see every account and job; other
users list the users of their own account, see their own account and the jobs of their
own assets.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from flask_security import current_user
from sqlalchemy import select

from flexmeasures.api.common.implementations.schedules import fetch_job, job_status
from flexmeasures.api.v2_0.rest.common import not_found, query_args
from flexmeasures.api.v3_0.common import accessible_asset, refuse, v3_view
from flexmeasures.api.v3_0.schemas import UserListQuerySchema
from flexmeasures.data import db
from flexmeasures.data.models import Account, User
from flexmeasures.data.schemas import UserSchema

users_api = Blueprint("v3_0_users", __name__)

USERS_SCHEMA = UserSchema(many=True)


@users_api.route("/users", methods=["GET"])
@v3_view
def get_users() -> tuple[Any, int]:
    """Users ordered by id, each with its ``account_id``; only active ones unless
    ``include_inactive``. Admins see all (or one ``account_id``'s), others their account's."""
    args = query_args(UserListQuerySchema())
    account_id = args["account_id"]
    if not current_user.is_admin:
        if account_id not in (None, current_user.account_id):
            raise refuse("Only admins may list the users of another account.")
        account_id = current_user.account_id
    query = select(User).order_by(User.id)
    if account_id is not None:
        query = query.where(User.account_id == account_id)
    if not args["include_inactive"]:
        query = query.where(User.active.is_(True))
    users = db.session.scalars(query).all()
    dumped = USERS_SCHEMA.dump(users)
    return [
        {**fields, "account_id": user.account_id}
        for fields, user in zip(dumped, users, strict=True)
    ], 200


@users_api.route("/accounts/<int:account_id>", methods=["GET"])
@v3_view
def get_account(account_id: int) -> tuple[Any, int]:
    """The account (admins: any; others: their own), with ``id`` and ``name``."""
    query_args()
    if not current_user.is_admin and account_id != current_user.account_id:
        raise refuse("You may only see your own account.")
    account = db.session.get(Account, account_id)
    if account is None:
        raise not_found("UNRECOGNIZED_ACCOUNT", f"There is no account with id {account_id}.")
    return {"id": account.id, "name": account.name}, 200


@users_api.route("/jobs/<job_id>", methods=["GET"])
@v3_view
def get_job(job_id: str) -> tuple[Any, int]:
    """A job's ``status`` (QUEUED, STARTED, FINISHED, FAILED, ...) and ``message``: jobs
    of an asset for those who may see the asset, other jobs for admins."""
    query_args()
    job = fetch_job(job_id)
    asset_id = job.meta.get("asset_id")
    if asset_id is not None:
        accessible_asset(asset_id)
    elif not current_user.is_admin:
        raise refuse("Only admins may see this job.")
    return job_status(job)
