"""The portfolio overview (``/portfolio``): per asset type the production, consumption,
costs, revenues and profit or loss at the market's prices over a time window (the past
measured, the future forecast), the stacked power profile per asset type (consumption or
production, as switched) and the change in power due to schedules, both with the time
slots highlighted where schedules deviate from the forecasts (green where that earns money
at the market's prices, red where it costs, grey where no price is known).

On a demo server (``mocks_flexibility``), where no schedule deviates from the forecasts,
the page shows mocked flexibility instead, labelled as a demonstration: a plausible change
in power with its volume and value and one balancing action
(``flexmeasures.charts.mocked_flexibility``).

The selection is read like the analytics page's (days in FLEXMEASURES_TIMEZONE, the end
date included, a resolution and a market); bad input is said on the page, never a 500.
Energy in MWh, money in EUR (prices in EUR/MWh).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
from flask import Blueprint, current_app, request
from flask_security import current_user, login_required

from flexmeasures.charts import ChartWindow
from flexmeasures.charts.figures import json_text
from flexmeasures.charts.mocked_flexibility import (
    MOCK_FLEXIBLE_SHARE,
    MockedFlexibility,
    mocked_flexibility,
)
from flexmeasures.charts.opportunities import TOLERANCE, highlight_spans
from flexmeasures.charts.portfolio import (
    Finances,
    finances,
    past_then_future,
    schedule_change,
    schedule_change_json,
    stacked_power_json,
)
from flexmeasures.charts.power import total
from flexmeasures.data import db
from flexmeasures.data.models import Market
from flexmeasures.data.services.charts import ChartGrid
from flexmeasures.data.services.demo_year import read_power, read_sensor
from flexmeasures.modes import mocks_flexibility
from flexmeasures.security import assets_visible_to
from flexmeasures.ui.analytics import (
    RESOLUTIONS,
    Selection,
    chart_grid,
    form_options,
    known_sensor,
    read_selection,
    shown,
)
from flexmeasures.ui.bokeh_static import bokeh_script_urls
from flexmeasures.ui.utils.view_utils import render_flexmeasures_template

portfolio_ui = Blueprint("flexmeasures_portfolio", __name__)


@dataclass
class Portfolio:
    """What the page shows: finances per asset type (and their ``sum``), chart JSON items
    (HTML-safe JSON text) by div id, whether opportunities are ``highlighted``, and the
    ``mocked`` flexibility a demo server shows where there are no schedules."""

    rows: dict[str, Finances] = field(default_factory=dict)
    sum: Finances | None = None
    charts: dict[str, str] = field(default_factory=dict)
    highlighted: bool = False
    mocked: MockedFlexibility | None = None


def _types_and_assets() -> dict[str, list]:
    """The assets the user may see, by asset type name."""
    by_type: dict[str, list] = {}
    for asset in db.session.scalars(assets_visible_to(current_user)):
        by_type.setdefault(asset.asset_type_name, []).append(asset)
    return dict(sorted(by_type.items()))


def market_prices(market: Market | None, grid: ChartGrid, now: pd.Timestamp) -> pd.Series:
    """The market's prices on the grid (EUR/MWh): measured before now, forecast after (and
    where no price was measured, e.g. the current hour's day-ahead price)."""
    if market is None:
        return pd.Series(dtype="float64")
    data = read_sensor(market, grid)
    prices = past_then_future(data.measurements, data.forecasts, now)
    return prices.fillna(data.forecasts.reindex(prices.index))


def _added(a: Finances, b: Finances) -> Finances:
    return Finances(
        a.production + b.production,
        a.consumption + b.consumption,
        a.costs + b.costs,
        a.revenues + b.revenues,
    )


def build_portfolio(selection: Selection, consumption_as_positive: bool) -> Portfolio:
    """The portfolio of the user's assets over the selection (ChartInputError if it cannot
    be shown)."""
    grid = chart_grid(selection)
    market = known_sensor(Market, selection.market_id, "market")
    now = pd.Timestamp.now(tz="UTC")
    prices = market_prices(market, grid, now)
    result = Portfolio()
    profiles: dict[str, pd.Series] = {}
    changes: list[pd.Series] = []
    for type_name, assets in _types_and_assets().items():
        power = read_power(assets, grid, summed_measurements=True)
        profile = past_then_future(total(power.measurements), total(power.forecasts), now)
        profiles[type_name] = profile
        result.rows[type_name] = finances(profile, prices, grid.resolution)
        changes.append(schedule_change(power.schedules, power.forecasts))
    result.sum = _sum(list(result.rows.values()))
    window = ChartWindow(grid.start, grid.end)
    change = _summed(changes)
    result.mocked = _mocked(change, profiles, prices, grid.resolution)
    if result.mocked is not None:
        change = result.mocked.change
    spans = highlight_spans(change, prices, grid.resolution, window)
    stacked = stacked_power_json(profiles, window, consumption_as_positive, spans, "stacked-chart")
    result.charts["stacked-chart"] = json_text(stacked)
    title = MOCKED_CHANGE_TITLE if result.mocked is not None else None
    change_chart = schedule_change_json(change, window, spans, title, "schedule-change-chart")
    result.charts["schedule-change-chart"] = json_text(change_chart)
    result.highlighted = bool(spans)
    return result


MOCKED_CHANGE_TITLE = "Change in power due to schedules (mocked for this demonstration)"


def _summed(series: list[pd.Series]) -> pd.Series:
    """The sum per event of the series (MW; NaN where none has a value)."""
    if not series:
        return pd.Series(dtype="float64")
    return pd.concat(series, axis=1).sum(axis=1, min_count=1).astype("float64")


def _mocked(
    change: pd.Series,
    profiles: dict[str, pd.Series],
    prices: pd.Series,
    resolution: pd.Timedelta,
) -> MockedFlexibility | None:
    """On a demo server (``mocks_flexibility``) where no schedule deviates from the
    forecasts (``change`` in MW is zero everywhere), the mocked flexibility of the summed
    profiles (MW) at the prices (EUR/MWh); None otherwise or if nothing could be shifted."""
    if not mocks_flexibility(current_app.config) or change.abs().gt(TOLERANCE).any():
        return None
    mocked = mocked_flexibility(_summed(list(profiles.values())), prices, resolution)
    return mocked if mocked.action is not None else None


def _sum(rows: list[Finances]) -> Finances | None:
    if not rows:
        return None
    result = rows[0]
    for row in rows[1:]:
        result = _added(result, row)
    return result


@portfolio_ui.route("/portfolio", methods=["GET"])
@login_required
def portfolio_view():
    """The portfolio overview for the selection in the query parameters."""
    options = form_options()
    selection = read_selection(request.args, options)
    consumption_as_positive = request.args.get("show", "consumption") != "production"
    portfolio = shown(
        selection, lambda: build_portfolio(selection, consumption_as_positive), Portfolio()
    )
    return render_flexmeasures_template(
        "portfolio.html",
        options=options,
        selection=selection,
        portfolio=portfolio,
        consumption_as_positive=consumption_as_positive,
        resolutions=RESOLUTIONS,
        bokeh_scripts=bokeh_script_urls(),
        hide_nan=current_app.config.get("FLEXMEASURES_HIDE_NAN_IN_UI", False),
        timezone=current_app.config["FLEXMEASURES_TIMEZONE"],
        mock_share=MOCK_FLEXIBLE_SHARE,
    )
