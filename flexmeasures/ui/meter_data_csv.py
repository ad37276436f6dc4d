"""Reading a CSV file of meter data (the Upload data page): one row per event, power in MW.

The file has a header row ``event_start,power (MW)`` and then one row per event: its start
(ISO 8601 with a UTC offset) and the measured power (consumption positive). The rows are
consecutive events of equal length. Each problem is reported with its row number (the
header is row 1) and column, so the user can find it in a spreadsheet.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from flexmeasures.api.common.messages import MessageError, parse_timestamp_field
from flexmeasures.api.common.numbers import NotAFiniteNumber, finite_float

START_COLUMN = "event_start"
POWER_COLUMN_PATTERN = re.compile(r"^power \((?P<unit>[^()]*)\)$")
EXAMPLE_HEADER = "event_start,power (MW)"


class CsvProblem(Exception):
    """The file cannot be used; the text names the row and column where possible."""


@dataclass(frozen=True)
class MeterDataCsv:
    """The events of a CSV file: starts (timezone-aware), power values, the unit of the
    power column, the events' length and the row number of each value."""

    starts: tuple[datetime, ...]
    values: tuple[float, ...]
    unit: str
    resolution: timedelta
    rows: tuple[int, ...]


def read_meter_data_csv(content: bytes, default_resolution: timedelta) -> MeterDataCsv:
    """Parse the file's bytes (UTF-8). ``default_resolution`` is the events' length when the
    file holds a single row. Raises CsvProblem naming the row and column of a problem."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise CsvProblem(f"The file is not UTF-8 text (byte {error.start}).") from error
    reader = csv.reader(io.StringIO(text, newline=""))
    unit = _unit_from_header(next(reader, []))
    starts, values, rows = [], [], []
    for cells in reader:
        if not any(cell.strip() for cell in cells):
            continue
        row = reader.line_num
        start, value = _parse_row(cells, row)
        starts.append(start)
        values.append(value)
        rows.append(row)
    if not values:
        raise CsvProblem("The file has no data rows below its header.")
    resolution = _check_consecutive(starts, rows, default_resolution)
    return MeterDataCsv(tuple(starts), tuple(values), unit, resolution, tuple(rows))


def _unit_from_header(header: list[str]) -> str:
    """The unit stated in the header's power column (CsvProblem if the header is wrong)."""
    cells = [cell.strip() for cell in header]
    match = POWER_COLUMN_PATTERN.match(cells[1]) if len(cells) == 2 else None
    if cells[:1] != [START_COLUMN] or match is None:
        found = ",".join(cells) or "nothing"
        raise CsvProblem(
            f"Row 1 (the header) should name two columns, '{EXAMPLE_HEADER}', "
            f"but it holds '{found}'."
        )
    return match.group("unit").strip()


def _parse_row(cells: list[str], row: int) -> tuple[datetime, float]:
    """The event start and the power value of one data row."""
    if len(cells) != 2:
        raise CsvProblem(f"Row {row} has {len(cells)} columns; it should have 2.")
    try:
        start = parse_timestamp_field(cells[0].strip(), START_COLUMN)
    except MessageError as error:
        raise CsvProblem(f"Row {row}, column '{START_COLUMN}': {error.message}") from error
    try:
        value = finite_float(float(cells[1]))
    except (ValueError, NotAFiniteNumber) as error:
        raise CsvProblem(
            f"Row {row}, column 'power': '{cells[1].strip()}' is not a finite number."
        ) from error
    return start, value


def _check_consecutive(
    starts: list[datetime], rows: list[int], default_resolution: timedelta
) -> timedelta:
    """The events' length (the first two rows' distance), checking every row follows the one
    before it by that length."""
    if len(starts) == 1:
        return default_resolution
    resolution = starts[1] - starts[0]
    if resolution <= timedelta(0):
        raise CsvProblem(
            f"Row {rows[1]}, column '{START_COLUMN}': the events should be in time order, "
            f"but it does not start after row {rows[0]}."
        )
    for previous, start, row in zip(starts, starts[1:], rows[1:], strict=False):
        if start - previous != resolution:
            raise CsvProblem(
                f"Row {row}, column '{START_COLUMN}': {start.isoformat()} does not follow the "
                f"row before ({previous.isoformat()}) by {resolution}, the distance of the "
                "first two rows; the rows should be consecutive events without gaps."
            )
    return resolution
