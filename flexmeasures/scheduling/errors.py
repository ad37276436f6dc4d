"""Errors of the scheduling core, each with a message a user (Prosumer or operator) can act on."""

from __future__ import annotations

from datetime import datetime

from flexmeasures.scheduling.wording import format_window


class SchedulingError(Exception):
    """Base class: no schedule could be computed; the message says why."""


class InvalidProblemError(SchedulingError, ValueError):
    """The problem's inputs are malformed (e.g. a target between two steps, a negative capacity)."""


class MissingPricesError(SchedulingError):
    """No prices are known for some steps of the schedule (the API's UNKNOWN_PRICES).

    ``windows`` lists the (start, end) intervals without prices, in UTC.
    """

    def __init__(self, windows: list[tuple[datetime, datetime]]):
        self.windows = windows
        named = ", ".join(format_window(start, end) for start, end in windows)
        super().__init__(f"No prices are known for {named}.")


class UnknownSolverError(SchedulingError, ValueError):
    """The configured solver (FLEXMEASURES_LP_SOLVER) is unknown or not installed here."""


class UnsupportedAssetTypeError(SchedulingError, ValueError):
    """The asset type has no storage scheduler (only battery and EVSE types have one)."""
