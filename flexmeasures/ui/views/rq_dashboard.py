"""rq-dashboard at ``/rq`` when the job queues are on Redis; a plain message page there
otherwise. Only users who may view the queues (``modes.can_view_queues``) get in."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, current_app, redirect, request, url_for
from flask_security import current_user, login_required
from redis import Redis

from flexmeasures.jobs import queues_are_async, redis_connection
from flexmeasures.modes import can_view_queues
from flexmeasures.ui.utils.view_utils import page_error, render_flexmeasures_template

RQ_DASHBOARD_PATH = "/rq"
no_rq_dashboard = Blueprint("ui_no_rq_dashboard", __name__)


@no_rq_dashboard.route(RQ_DASHBOARD_PATH, strict_slashes=False)
@login_required
def without_redis() -> Any:
    """Say there are no queues to show: jobs run in-process without Redis."""
    return render_flexmeasures_template("tasks.html", heading="Job queues", pages={}, jobs=None)


def mount_rq_dashboard(app: Flask) -> None:
    """Mount rq-dashboard on the app's Redis (polling every RQ_DASHBOARD_POLL_INTERVAL ms),
    or the message page when the queues run in-process."""
    if not queues_are_async(app):
        app.register_blueprint(no_rq_dashboard)
        return
    import rq_dashboard
    from rq_dashboard.web import setup_rq_connection

    app.config["RQ_DASHBOARD_REDIS_URL"] = redis_url(redis_connection(app))
    setup_rq_connection(app)
    app.register_blueprint(rq_dashboard.blueprint, url_prefix=RQ_DASHBOARD_PATH)
    app.before_request(guard_rq_dashboard)


def guard_rq_dashboard() -> Any:
    """Before each rq-dashboard request: log in first; then only users who may view queues."""
    if request.blueprint != "rq_dashboard":
        return None
    if not current_user.is_authenticated:
        return redirect(url_for("security.login", next=request.path))
    if not can_view_queues(current_user, current_app.config):
        return page_error(403, "Only admins may view the job queues (everyone in demo mode).")
    return None


def redis_url(connection: Redis) -> str:
    """The redis:// URL of a connection (password included), for rq-dashboard."""
    kwargs = connection.connection_pool.connection_kwargs
    password = kwargs.get("password")
    credentials = f":{password}@" if password else ""
    return f"redis://{credentials}{kwargs['host']}:{kwargs['port']}/{kwargs.get('db', 0)}"
