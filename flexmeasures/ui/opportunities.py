"""Flexibility opportunities (``/control``, the seed's "Balancing actions" made real): for
the selected hours, the schedule deviations from the forecasts per asset and hour, with
their volume (MWh) and expected value at the market's prices (EUR), the most valuable
first, each with its profile before (forecast) and after (schedule).

The selection is read like the analytics page's (days in FLEXMEASURES_TIMEZONE), narrowed
to the hours ``from_hour`` on the start date to ``to_hour`` on the end date; by default
today and tomorrow, whole days. Bad input is said on the page.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import pandas as pd
from flask import Blueprint, current_app, request
from flask_security import current_user, login_required

from flexmeasures.charts import ChartWindow, PowerData, power_chart
from flexmeasures.charts.opportunities import (
    COST,
    GAIN,
    Opportunity,
    Span,
    add_highlights,
    by_value,
    hourly_opportunities,
)
from flexmeasures.data import db
from flexmeasures.data.models import Market
from flexmeasures.data.services.charts import ChartGrid, ChartInputError, check_grid
from flexmeasures.data.services.demo_year import read_power
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
MAX_ROWS = 200
"""The most opportunities listed (the most valuable; the totals count them all)."""
CONTEXT = pd.Timedelta(hours=3)
"""How much of the profile each opportunity's chart shows before and after its hour."""
HOUR = pd.Timedelta(hours=1)


@dataclass
class Opportunities:
    """The opportunities found (one per asset and hour), the most valuable first, their
    totals (MWh, EUR), and the before/after chart JSON (HTML-safe JSON text) of the first
    MAX_CHARTS, by div id."""

    found: list[Opportunity] = field(default_factory=list)
    charts: dict[str, str] = field(default_factory=dict)

    @property
    def volume(self) -> float:
        """The total volume in MWh."""
        return sum(o.volume for o in self.found)

    @property
    def value(self) -> float:
        """The total expected value in EUR."""
        return sum(o.value for o in self.found)


def read_hours(args: Mapping[str, str], errors: list[str]) -> tuple[int, int]:
    """The ``from_hour`` (0–23, default 0) and ``to_hour`` (1–24, default 24) fields,
    with a message for anything else (then the default)."""
    hours = []
    for key, lowest, default in (("from_hour", 0, 0), ("to_hour", 1, 24)):
        text = args.get(key, "").strip()
        if text.isdecimal() and lowest <= int(text) <= lowest + 23:
            hours.append(int(text))
            continue
        if text:
            what = key.replace("_", " ")
            errors.append(f"The {what} '{text[:10]}' is no hour from {lowest} to {lowest + 23}.")
        hours.append(default)
    return hours[0], hours[1]


def _local(day: date, hour: int, zone: str) -> pd.Timestamp:
    """The local time at ``hour`` (24: the next midnight) of a day, in UTC."""
    moment = pd.Timestamp(datetime.combine(day, time(0)) + timedelta(hours=hour))
    # an hour skipped by a change to summer time starts when it ends; a doubled one the first time
    local = moment.tz_localize(zone, nonexistent="shift_forward", ambiguous=True)
    return local.tz_convert("UTC")


def hours_grid(selection: Selection, hours: tuple[int, int]) -> ChartGrid:
    """The selection's grid narrowed to the selected hours (ChartInputError if empty or
    coarser than an hour: opportunities are per hour)."""
    grid = chart_grid(selection)
    zone = current_app.config["FLEXMEASURES_TIMEZONE"]
    narrowed = dataclasses.replace(
        grid,
        start=_local(selection.start, hours[0], zone),
        end=_local(selection.end, hours[1], zone),
    )
    check_grid(narrowed)
    if narrowed.resolution > HOUR:
        raise ChartInputError(
            "INVALID_RESOLUTION",
            "Opportunities are per hour: choose a resolution of at most an hour.",
        )
    return narrowed


def find_opportunities(selection: Selection, hours: tuple[int, int]) -> Opportunities:
    """The schedule deviations of the user's assets per hour in the selected hours
    (ChartInputError if they cannot be shown)."""
    grid = hours_grid(selection, hours)
    market = known_sensor(Market, selection.market_id, "market")
    prices = market_prices(market, grid, pd.Timestamp.now(tz="UTC"))
    assets = list(db.session.scalars(assets_visible_to(current_user)))
    result = Opportunities()
    if not assets:
        return result
    power = read_power(assets, grid)
    found = []
    for name in power.schedules.columns:
        found += hourly_opportunities(
            name, power.schedules[name], power.forecasts[name], prices, grid.resolution
        )
    result.found = by_value(found)
    for number, one in enumerate(result.found[:MAX_CHARTS]):
        chart_id = f"opportunity-{number}"
        chart = before_after_chart(power, one, grid, current_app.config["FLEXMEASURES_TIMEZONE"])
        result.charts[chart_id] = embeddable(chart, chart_id)
    return result


def before_after_chart(power: PowerData, one: Opportunity, grid: ChartGrid, zone: str):
    """The asset's forecast (before) and schedule (after) around the opportunity's hour
    (CONTEXT either side, within the grid), the hour shaded by whether it gains or costs;
    the title names the hour in the time ``zone``."""
    start = max(grid.start, one.start - CONTEXT)
    end = min(grid.end, one.end + CONTEXT)
    shown_part = slice(start, end - pd.Timedelta(1))
    before_after = PowerData(  # the forecast (with its band) before, the schedule after
        **{
            part: getattr(power, part).loc[shown_part, [one.asset]]
            for part in ("forecasts", "forecast_lower", "forecast_upper", "schedules")
        }
    )
    chart = power_chart(before_after, ChartWindow(start, end), one.asset)
    hour = f"{one.start.tz_convert(zone):%Y-%m-%d %H:%M}–{one.end.tz_convert(zone):%H:%M}"
    chart.title.text = f"{one.asset}, {hour}: before (forecast) and after (schedule)"
    add_highlights(chart, [Span(one.start, one.end, GAIN if one.value >= 0 else COST)])
    return chart


def _default_days(args: Mapping[str, str]) -> dict[str, str]:
    """The query parameters; without days, today and tomorrow (the upcoming hours)."""
    if args.get("start_date") or args.get("end_date"):
        return dict(args)
    today = pd.Timestamp.now(tz=current_app.config["FLEXMEASURES_TIMEZONE"]).date()
    tomorrow = today + timedelta(days=1)
    return {**args, "start_date": today.isoformat(), "end_date": tomorrow.isoformat()}


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
    selection = read_selection(_default_days(request.args.to_dict()), options)
    hours = read_hours(request.args, selection.errors)
    result = shown(selection, lambda: find_opportunities(selection, hours), Opportunities())
    return render_flexmeasures_template(
        "opportunities.html",
        options=options,
        selection=selection,
        hours=hours,
        opportunities=result,
        max_rows=MAX_ROWS,
        resolutions={k: v for k, v in RESOLUTIONS.items() if pd.Timedelta(k) <= HOUR},
        trades=traded(selection),
        bokeh_scripts=bokeh_script_urls(),
        timezone=current_app.config["FLEXMEASURES_TIMEZONE"],
    )
