"""Charts: bokeh figures of power, prices and weather, built from frames of beliefs.

Pure: frames in, bokeh figures (or their ``json_item``) out; no Flask, no database. The
UI's pages and the API's charts endpoint both build their charts here (from the same belief
queries), so neither imports the other.

- ``beliefs``: belief frames (``flexmeasures.data.queries.BELIEF_COLUMNS``) to series per
  sensor, with the uncertainty band of forecasts that give one;
- ``downsampling``: at most two points per horizontal pixel (each pixel's lowest and
  highest value), so a year of 15-minute data is never shipped point by point;
- ``figures``: traces (measurements, forecasts with their band, schedules) on a time axis;
- ``skeletons``: the same charts' JSON from a cached skeleton per chart shape (no bokeh
  models built per request);
- ``power``, ``sensors``: the power chart (consumption positive or negative, one trace per
  asset or their sum) and the price and weather charts;
- ``summary``: realised and expected totals, MAE and WAPE of the forecasts;
- ``portfolio``, ``opportunities``: the portfolio overview's finances and charts, and the
  schedules' deviations from the forecasts per hour with their value, and the time slots
  highlighted on charts where they deviate;
- ``mocked_bands``: the uncertainty bands demo servers mock where forecasts have none.
- ``mocked_flexibility``: the flexibility numbers and the balancing action demo servers
  mock on the portfolio overview where there are no schedules.
"""

from flexmeasures.charts.figures import ChartWindow, Trace, chart_json, json_text
from flexmeasures.charts.power import PowerData, power_chart, power_chart_json
from flexmeasures.charts.sensors import SensorData, sensor_chart, sensor_chart_json

__all__ = [
    "ChartWindow",
    "PowerData",
    "SensorData",
    "Trace",
    "chart_json",
    "json_text",
    "power_chart",
    "power_chart_json",
    "sensor_chart",
    "sensor_chart_json",
]
