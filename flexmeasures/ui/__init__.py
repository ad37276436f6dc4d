"""The web UI: the dashboard landing page and the shared page layout."""

from __future__ import annotations

from flask import Blueprint, Flask
from flask_security import login_required

from flexmeasures.ui.utils.view_utils import render_flexmeasures_template

flexmeasures_ui = Blueprint(
    "flexmeasures_ui",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/ui/static",
)


@flexmeasures_ui.route("/")
@login_required
def dashboard_view():
    """The landing page: what this user can see, in numbers."""
    from flexmeasures.ui.overview import user_overview

    return render_flexmeasures_template("dashboard.html", overview=user_overview())


def register_ui_at(app: Flask) -> None:
    """Register the UI blueprint at the site root; every template gets the layout's context."""
    from flexmeasures.ui.analytics import analytics_ui
    from flexmeasures.ui.bokeh_static import bokeh_static
    from flexmeasures.ui.utils.view_utils import layout_context

    app.register_blueprint(flexmeasures_ui)
    app.register_blueprint(analytics_ui)
    app.register_blueprint(bokeh_static)
    app.context_processor(layout_context)
