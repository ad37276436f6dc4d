"""The Tasks pages: the jobs of the forecasting and scheduling queues (admins; everyone who
is logged in in demo mode, see ``flexmeasures.modes.can_view_queues``)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, redirect, url_for
from flask_security import current_user, login_required

from flexmeasures.jobs import get_queue, queues_are_async
from flexmeasures.modes import can_view_queues
from flexmeasures.ui.job_lists import MAX_JOBS_PER_STATE, jobs_by_state
from flexmeasures.ui.utils.view_utils import page_error, render_flexmeasures_template

task_views = Blueprint("ui_tasks", __name__)

# Page name -> (queue name, heading).
TASK_PAGES = {
    "forecasting": ("forecasting", "Forecasting jobs"),
    "schedules": ("scheduling", "Scheduling jobs"),
}


def check_may_view_queues() -> None:
    """A 403 page unless the user may view the job queues."""
    if not can_view_queues(current_user, current_app.config):
        abort(page_error(403, "Only admins may view the job queues (everyone in demo mode)."))


@task_views.route("/tasks")
@login_required
def tasks_view() -> Any:
    """The Tasks menu entry: the forecasting jobs."""
    return redirect(url_for("ui_tasks.task_list", page="forecasting"))


@task_views.route("/tasks/<page>")
@login_required
def task_list(page: str) -> Any:
    """The queued, started, finished and failed jobs of the page's queue; without Redis, a
    message that jobs run in-process."""
    if page not in TASK_PAGES:
        return page_error(404, f"There is no task page '{page}'; see forecasting or schedules.")
    check_may_view_queues()
    queue_name, heading = TASK_PAGES[page]
    jobs = jobs_by_state(get_queue(queue_name)) if queues_are_async() else None
    return render_flexmeasures_template(
        "tasks.html",
        heading=heading,
        queue_name=queue_name,
        pages=TASK_PAGES,
        current_page=page,
        jobs=jobs,
        max_jobs=MAX_JOBS_PER_STATE,
    )
