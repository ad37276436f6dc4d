"""Reading uploaded CSV files of sensor data (API v3_0's data upload): pure, no Flask.

Each file has a header row and then rows of ``event_start`` (ISO 8601 with an offset) and
``event_value``; further columns are ignored. The rows of all files together must be
evenly spaced, without repeated or missing events, so that they form one time series.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import timedelta

import pandas as pd

from flexmeasures.api.common.messages import MessageError


def read_uploaded_series(files: Sequence[tuple[str, bytes]]) -> pd.Series:
    """The values of the files (name, content) as one series indexed by UTC event start.

    Raises MessageError (INVALID_REQUEST) naming the file and what is wrong with it.
    """
    if not files:
        raise MessageError("REQUIRED_INFO_MISSING", "Upload one or more CSV files.")
    series = pd.concat([_read_file(name, content) for name, content in files]).sort_index()
    repeated = series.index[series.index.duplicated()]
    if len(repeated):
        raise MessageError("INVALID_REQUEST", f"The event at {repeated[0].isoformat()} repeats.")
    return series


def _read_file(name: str, content: bytes) -> pd.Series:
    """One file's values, indexed by UTC event start."""
    try:
        frame = pd.read_csv(io.BytesIO(content), usecols=[0, 1], dtype=str)
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as error:
        raise _invalid(name, f"it is no CSV file with two columns ({error})") from error
    if frame.empty:
        raise _invalid(name, "it has no rows of data")
    starts = pd.to_datetime(frame.iloc[:, 0], errors="coerce", utc=False, format="ISO8601")
    values = pd.to_numeric(frame.iloc[:, 1], errors="coerce")
    bad = frame.index[starts.isna() | values.isna()]
    if len(bad):
        raise _invalid(name, f"row {bad[0] + 2} has no ISO 8601 time or no number")
    if not isinstance(starts.dtype, pd.DatetimeTZDtype):
        raise _invalid(name, "its times need a UTC offset (e.g. 2025-01-01T00:00:00+01:00)")
    return pd.Series(values.to_numpy(dtype=float), index=pd.DatetimeIndex(starts).tz_convert("UTC"))


def _invalid(name: str, problem: str) -> MessageError:
    return MessageError("INVALID_REQUEST", f"Cannot read {name}: {problem}.")


def resolution_of(series: pd.Series) -> timedelta:
    """The spacing of an evenly spaced series (INVALID_REQUEST if it has gaps or one value
    only, whose resolution cannot be told)."""
    if len(series) < 2:
        raise MessageError(
            "INVALID_REQUEST", "Upload at least two events, so that their resolution shows."
        )
    steps = series.index[1:] - series.index[:-1]
    if (steps != steps[0]).any():
        gap = series.index[1:][steps != steps[0]][0]
        raise MessageError(
            "INVALID_REQUEST",
            f"The events are not evenly spaced (see the event at {gap.isoformat()}); upload "
            "one file per series without gaps.",
        )
    return steps[0].to_pytimedelta()
