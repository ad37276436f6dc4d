"""The web UI: the shared page layout, its static files and the pages (``views``)."""

from __future__ import annotations

from flask import Blueprint, Flask

# Templates (base.html, the layout) and static files (/ui/static/..., vendor/ included).
flexmeasures_ui = Blueprint(
    "flexmeasures_ui",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/ui/static",
)


def register_ui_at(app: Flask) -> None:
    """Register the UI blueprints at the site root; every template gets the layout's context."""
    from flexmeasures.ui.analytics import analytics_ui
    from flexmeasures.ui.bokeh_static import bokeh_static
    from flexmeasures.ui.opportunities import opportunities_ui
    from flexmeasures.ui.portfolio import portfolio_ui
    from flexmeasures.ui.utils.view_utils import layout_context
    from flexmeasures.ui.views.account import account_views
    from flexmeasures.ui.views.assets import asset_views
    from flexmeasures.ui.views.dashboard import dashboard_views
    from flexmeasures.ui.views.rq_dashboard import mount_rq_dashboard
    from flexmeasures.ui.views.tasks import task_views
    from flexmeasures.ui.views.upload import upload_views
    from flexmeasures.ui.views.users import user_views

    app.register_blueprint(flexmeasures_ui)
    app.register_blueprint(dashboard_views)
    app.register_blueprint(asset_views)
    app.register_blueprint(user_views)
    app.register_blueprint(account_views)
    app.register_blueprint(upload_views)
    app.register_blueprint(task_views)
    mount_rq_dashboard(app)
    app.register_blueprint(analytics_ui)
    app.register_blueprint(portfolio_ui)
    app.register_blueprint(opportunities_ui)
    app.register_blueprint(bokeh_static)
    app.context_processor(layout_context)
