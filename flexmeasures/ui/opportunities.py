"""Flexibility opportunities (``/control``, the seed's "Balancing actions" made real): for
the selected days, the schedules that deviate from the forecasts, per asset, with their
volume (MWh) and expected value at the market's prices (EUR), the most valuable first,
each with its profile before (forecast) and after (schedule).

The selection is read like the analytics page's; bad input is said on the page.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
from flask import Blueprint, request
from flask_security import current_user, login_required

from flexmeasures.charts import ChartWindow, PowerData, power_chart
from flexmeasures.charts.opportunities import Opportunity, by_value, opportunity
from flexmeasures.data import db
from flexmeasures.data.models import Market
from flexmeasures.data.services.charts import ChartInputError, power_data
from flexmeasures.security import assets_visible_to
from flexmeasures.ui.analytics import (
    RESOLUTIONS,
    Selection,
    chart_grid,
    embeddable,
    form_options,
    known_sensor,
    read_selection,
    shown,
)
from flexmeasures.ui.bokeh_static import bokeh_script_urls
from flexmeasures.ui.portfolio import market_prices
from flexmeasures.ui.utils.view_utils import render_flexmeasures_template

opportunities_ui = Blueprint("flexmeasures_opportunities", __name__)
MAX_CHARTS = 10


@dataclass
class Opportunities:
    """The opportunities found, the most valuable first, and the before/after chart JSON
    (HTML-safe JSON text) of the first MAX_CHARTS, by div id."""

    found: list[Opportunity] = field(default_factory=list)
    charts: dict[str, str] = field(default_factory=dict)


def find_opportunities(selection: Selection) -> Opportunities:
    """The schedule deviations of the user's assets in the selection (ChartInputError if
    it cannot be shown)."""
    grid = chart_grid(selection)
    market = known_sensor(Market, selection.market_id, "market")
    prices = market_prices(market, grid, pd.Timestamp.now(tz="UTC"))
    assets = list(db.session.scalars(assets_visible_to(current_user)))
    result = Opportunities()
    if not assets:
        return result
    power = power_data(assets, grid)
    result.found = by_value(
        [
            opportunity(name, power.schedules[name], power.forecasts[name], prices, grid.resolution)
            for name in power.schedules.columns
        ]
    )
    window = ChartWindow(grid.start, grid.end)
    for number, found in enumerate(result.found[:MAX_CHARTS]):
        before_after = PowerData(
            forecasts=power.forecasts[[found.asset]], schedules=power.schedules[[found.asset]]
        )
        chart_id = f"opportunity-{number}"
        result.charts[chart_id] = embeddable(
            power_chart(before_after, window, found.asset), chart_id
        )
    return result


def traded(selection: Selection) -> list[dict]:
    """What the user's assets sold on the marketplace for delivery in the selection
    (``flexmeasures.market.reporting.trading_rows``); nothing if the selection is bad."""
    from flexmeasures.market.reporting import trading_rows

    if selection.errors:
        return []
    try:
        grid = chart_grid(selection)
    except ChartInputError:
        return []
    asset_ids = [asset.id for asset in db.session.scalars(assets_visible_to(current_user))]
    return trading_rows(asset_ids, grid.start, grid.end)


@opportunities_ui.route("/control", methods=["GET"])
@login_required
def opportunities_view():
    """The flexibility opportunities for the selection in the query parameters."""
    options = form_options()
    selection = read_selection(request.args, options)
    result = shown(selection, lambda: find_opportunities(selection), Opportunities())
    return render_flexmeasures_template(
        "opportunities.html",
        options=options,
        selection=selection,
        opportunities=result,
        trades=traded(selection),
        resolutions=RESOLUTIONS,
        bokeh_scripts=bokeh_script_urls(),
    )
