"""The charts endpoint of API v2.0: ``GET /api/v2_0/charts/power``, a bokeh chart of an
asset's (or several assets') power as ``bokeh.embed.json_item``, for web pages to embed
with ``Bokeh.embed.embed_item(item, "<div id>")`` (seed: Chart).

Bad parameters get 400 (INVALID_REQUEST naming each parameter, UNEXPECTED_PARAMS,
INVALID_RESOLUTION), an unknown resource 400 UNRECOGNIZED_ASSET, another user's asset 403
INVALID_SENDER. Power in MW. In demo mode the data come from FLEXMEASURES_DEMO_YEAR, shown
as if they were now.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import pandas as pd
from flask import Blueprint, Response, jsonify
from flask_security import current_user
from marshmallow import Schema, fields, validate

from flexmeasures.api.common.auth import token_auth_required
from flexmeasures.api.common.messages import restore_plus_of_offset
from flexmeasures.api.common.openapi import document_route
from flexmeasures.api.common.responses import BAD_REQUEST, invalid_sender, response
from flexmeasures.api.common.schemas.fields import AwareTimestamp, ISODuration
from flexmeasures.api.common.schemas.route_docs import (
    UNAUTHORIZED,
    json_response,
    query,
    status_responses,
)
from flexmeasures.api.v2_0.rest.common import RestError, query_args
from flexmeasures.charts import ChartWindow, json_text, power_chart_json
from flexmeasures.charts.power import INDIVIDUAL_TRACE_OPTIONS
from flexmeasures.data.services.charts import (
    ChartGrid,
    ChartInputError,
    check_grid,
    resolve_resource,
)
from flexmeasures.data.services.demo_year import read_power

charts_api = Blueprint("charts", __name__)

# The seed's example writes times as "2020-02-20:10:00:00UTC"; that notation is accepted too.
_SEED_NOTATION = re.compile(r"^(\d{4}-\d{2}-\d{2}):(\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)UTC$")


class QueryTimestamp(AwareTimestamp):
    """An aware ISO 8601 timestamp in a query string (a "+" of an offset may arrive as a
    space), or in the seed's notation ``2020-02-20:10:00:00UTC``."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        if isinstance(value, str):
            value = _SEED_NOTATION.sub(r"\1T\2+00:00", restore_plus_of_offset(value))
        return super()._deserialize(value, attr, data, **kwargs)


class PowerChartQuerySchema(Schema):
    """Query parameters of ``GET /api/v2_0/charts/power``."""

    resource = fields.String(
        required=True,
        validate=validate.Length(min=1, max=80),
        metadata={
            "description": "An asset id or name, an asset type (e.g. solar) or renewables.",
            "example": "my-battery",
        },
    )
    start_time = QueryTimestamp(
        required=True,
        metadata={"description": "Start of the window.", "example": "2020-02-20T10:00:00+00:00"},
    )
    end_time = QueryTimestamp(
        required=True,
        metadata={"description": "End of the window.", "example": "2020-02-20T11:00:00+00:00"},
    )
    resolution = ISODuration(
        load_default=timedelta(minutes=15),
        metadata={"description": "Time step of the chart (default PT15M).", "example": "PT15M"},
    )
    consumption_as_positive = fields.Boolean(
        load_default=True,
        metadata={"description": "Show consumption positive (default) or production positive."},
    )
    show_individual_traces_for = fields.String(
        load_default="none",
        validate=validate.OneOf(INDIVIDUAL_TRACE_OPTIONS),
        metadata={"description": "One trace per asset for power or schedules, or none (sums)."},
    )


POWER_CHART_QUERY = PowerChartQuerySchema()


def chart_query() -> dict[str, Any]:
    """The validated query parameters; invalid ones are 400 INVALID_REQUEST naming each."""
    try:
        return query_args(POWER_CHART_QUERY)
    except RestError as error:
        body, status = error.result
        if status != 422:
            raise
        problems = "; ".join(
            f"{name}: {' '.join(messages)}" for name, messages in sorted(body["message"].items())
        )
        raise RestError(
            response("INVALID_REQUEST", f"Invalid parameter(s): {problems}", BAD_REQUEST)
        ) from error


@charts_api.route("/charts/power", methods=["GET"])
@token_auth_required
def get_power_chart() -> Response | tuple[Response, int]:
    """Get a power chart: the measured, forecast and scheduled power of the resource as
    ``bokeh.embed.json_item``, for ``Bokeh.embed.embed_item``."""
    try:
        item = power_chart_item()
    except RestError as error:
        body, status = error.result
        return jsonify(body), status
    return Response(json_text(item), mimetype="application/json")


def power_chart_item() -> dict[str, Any]:
    """The json_item of the power chart the query parameters ask for (RestError if bad)."""
    args = chart_query()
    grid = ChartGrid(
        start=pd.Timestamp(args["start_time"]).tz_convert("UTC"),
        end=pd.Timestamp(args["end_time"]).tz_convert("UTC"),
        resolution=pd.Timedelta(args["resolution"]),
    )
    try:
        check_grid(grid)
        name, assets = resolve_resource(args["resource"], current_user)
    except ChartInputError as error:
        if error.status == "INVALID_SENDER":
            raise RestError(invalid_sender(message=error.message)) from error
        raise RestError(response(error.status, error.message, BAD_REQUEST)) from error
    return power_chart_json(
        read_power(assets, grid, summed=args["show_individual_traces_for"] == "none"),
        ChartWindow(grid.start, grid.end),
        name,
        consumption_as_positive=args["consumption_as_positive"],
        show_individual_traces_for=args["show_individual_traces_for"],
    )


document_route(
    "flexmeasures_api_v2_0.charts.get_power_chart",
    "GET",
    summary="Get a power chart",
    parameters=query(PowerChartQuerySchema),
    responses={
        "200": json_response(
            "The chart as bokeh.embed.json_item (target_id, root_id, doc, version).",
            {"type": "object"},
        ),
        **status_responses(
            (
                400,
                [
                    "INVALID_REQUEST",
                    "INVALID_RESOLUTION",
                    "UNEXPECTED_PARAMS",
                    "UNRECOGNIZED_ASSET",
                ],
            ),
            UNAUTHORIZED,
            (403, ["INVALID_SENDER"]),
        ),
    },
)
