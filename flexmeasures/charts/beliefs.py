"""From belief frames to chart series, per sensor.

Belief frames have the columns of ``flexmeasures.data.queries.BELIEF_COLUMNS`` (sensor_id,
event_start, belief_horizon, source_id, cumulative_probability, event_value in the
sensor's unit). A forecast may come as several beliefs about one event with different
cumulative probabilities (e.g. 0.1, 0.5 and 0.9): its line is the value closest to the
median (0.5) and its uncertainty band spans the lowest to the highest probability's value.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

KEYS = ["sensor_id", "event_start"]
MEDIAN = 0.5


def series_per_sensor(beliefs: pd.DataFrame) -> dict[int, pd.Series]:
    """Each sensor's values by event start (the first belief per event, as sorted)."""
    frame = beliefs.drop_duplicates(subset=KEYS, keep="first")
    return {
        int(sensor_id): pd.Series(
            group["event_value"].to_numpy(dtype="float64"),
            index=pd.DatetimeIndex(group["event_start"]),
        ).sort_index()
        for sensor_id, group in frame.groupby("sensor_id", sort=True)
    }


def most_recent_beliefs(beliefs: pd.DataFrame) -> pd.DataFrame:
    """Per event, every probability of the most recent belief (smallest horizon; on a tie,
    the lowest source id), from a frame with any number of beliefs per event."""
    frame = beliefs.sort_values([*KEYS, "belief_horizon", "source_id"], kind="stable")
    first = frame.groupby(KEYS, sort=False)[["belief_horizon", "source_id"]].transform("first")
    same_belief = (frame["belief_horizon"] == first["belief_horizon"]) & (
        frame["source_id"] == first["source_id"]
    )
    return frame[same_belief]


def forecasts_with_band(beliefs: pd.DataFrame) -> dict[int, pd.DataFrame]:
    """Per sensor, a frame by event start with the forecast ``value`` (the probability
    closest to the median) and its band ``lower`` and ``upper`` (NaN where the most recent
    belief gives one probability only). Values in the sensor's unit."""
    frame = most_recent_beliefs(beliefs).copy()
    if frame.empty:
        return {}
    frame["distance"] = (frame["cumulative_probability"] - MEDIAN).abs()
    by_distance = frame.sort_values([*KEYS, "distance"], kind="stable").groupby(KEYS)
    by_probability = frame.sort_values([*KEYS, "cumulative_probability"], kind="stable")
    by_probability = by_probability.groupby(KEYS)["event_value"]
    table = pd.DataFrame(
        {
            "value": by_distance["event_value"].first(),
            "lower": by_probability.first(),
            "upper": by_probability.last(),
            "count": by_probability.size(),
        }
    )
    single = table["count"] < 2
    table.loc[single, ["lower", "upper"]] = np.nan
    table = table.drop(columns="count").reset_index()
    return {
        int(sensor_id): group.set_index(pd.DatetimeIndex(group["event_start"]))[
            ["value", "lower", "upper"]
        ].astype("float64")
        for sensor_id, group in table.groupby("sensor_id", sort=True)
    }
