"""The forecasting core: pure functions and models, pandas in and pandas out.

It knows nothing of Flask or the database: jobs, the CLI and the API read beliefs into
Series, call these, and save the results as beliefs with the model's data source label.

- features: design matrices (lagged outcomes at lags ≥ the horizon, calendar, regressors)
- transform: the zero-safe Box-Cox transformation
- models: OLS ARX, gradient boosting and naive models; ``get_model(name)``
- baselines: the naive baselines (persistence, same time yesterday, same time last week)
- profile: a quantile of the same time of day over recent days ("profile")
- selection: model choice per sensor and horizon by a rolling-origin backtest ("auto")
- rolling: ``rolling_forecasts`` for every step of a window, refitted daily
- metrics: MAE, WAPE, accuracy (1 - WAPE) and the ratio to seasonal naive
"""

from flexmeasures.forecasting.baselines import BASELINES
from flexmeasures.forecasting.combinations import PROFILE_COMBINATIONS
from flexmeasures.forecasting.models import MODELS, ModelSource, get_model
from flexmeasures.forecasting.profile import DailyProfileForecaster
from flexmeasures.forecasting.rolling import DEFAULT_HORIZONS, rolling_forecasts

MODELS.update(BASELINES)  # the baselines are models too: get_model("naive-yesterday")
MODELS[DailyProfileForecaster.name] = DailyProfileForecaster
MODELS.update({model.name: model for model in PROFILE_COMBINATIONS})

__all__ = ["DEFAULT_HORIZONS", "MODELS", "ModelSource", "get_model", "rolling_forecasts"]
