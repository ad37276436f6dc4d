"""Scheduling of storage devices (batteries, EV chargers): a pure optimisation core.

problem → ``formulation`` (sparse standard-form arrays, written once) → a solver backend
(HiGHS in-process by default; CBC, GLPK or HiGHS through Pyomo) → ``StorageSchedule``.
Nothing here knows about Flask or the database: callers pass pandas objects and numbers
(MW, MWh, currency/MWh, UTC times) and get pandas objects back.
"""

from flexmeasures.scheduling.asset_types import (
    STORAGE_ASSET_TYPES,
    power_limits_for_asset_type,
    storage_settings,
)
from flexmeasures.scheduling.backends import available_solvers, resolve_solver
from flexmeasures.scheduling.errors import (
    InvalidProblemError,
    MissingPricesError,
    SchedulingError,
    UnknownSolverError,
    UnsupportedAssetTypeError,
)
from flexmeasures.scheduling.problem import (
    StorageProblem,
    check_prices,
    split_round_trip_efficiency,
    step_starts,
)
from flexmeasures.scheduling.schedule import Shortfall, StorageSchedule, schedule_storage

__all__ = [
    "STORAGE_ASSET_TYPES",
    "InvalidProblemError",
    "MissingPricesError",
    "SchedulingError",
    "Shortfall",
    "StorageProblem",
    "StorageSchedule",
    "UnknownSolverError",
    "UnsupportedAssetTypeError",
    "available_solvers",
    "check_prices",
    "power_limits_for_asset_type",
    "resolve_solver",
    "schedule_storage",
    "split_round_trip_efficiency",
    "step_starts",
    "storage_settings",
]
