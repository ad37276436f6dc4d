"""All models, importable from one place (and registered with the metadata on import)."""

from flexmeasures.data.models.account import Account
from flexmeasures.data.models.asset import Asset, AssetType
from flexmeasures.data.models.commitment import Commitment, MeterableUnitAsset
from flexmeasures.data.models.data_source import DataSource
from flexmeasures.data.models.market import Market, MarketType
from flexmeasures.data.models.sensor import Sensor
from flexmeasures.data.models.task_runs import LatestTaskRun
from flexmeasures.data.models.time_series import LatestBeliefDay, TimedBelief
from flexmeasures.data.models.trading import (
    TradingContract,
    TradingOrder,
    TradingSetting,
    TradingStatusChange,
    TradingStreamCursor,
)
from flexmeasures.data.models.user import Role, User
from flexmeasures.data.models.weather import WeatherSensor, WeatherSensorType

__all__ = [
    "Account",
    "Asset",
    "AssetType",
    "Commitment",
    "DataSource",
    "LatestBeliefDay",
    "LatestTaskRun",
    "Market",
    "MarketType",
    "MeterableUnitAsset",
    "Role",
    "Sensor",
    "TimedBelief",
    "TradingContract",
    "TradingOrder",
    "TradingSetting",
    "TradingStatusChange",
    "TradingStreamCursor",
    "User",
    "WeatherSensor",
    "WeatherSensorType",
]
