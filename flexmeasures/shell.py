"""What ``flexmeasures shell`` has at hand, besides Flask's ``app`` and ``g``."""

from __future__ import annotations

from typing import Any


def shell_context() -> dict[str, Any]:
    """The database (``db``), every model (``Asset``, ``Sensor``, ...) and ``search_beliefs``
    (beliefs of a sensor as a timely-beliefs BeliefsDataFrame), by name."""
    from flexmeasures.data import db, models
    from flexmeasures.data.beliefs import search_beliefs

    context: dict[str, Any] = {name: getattr(models, name) for name in models.__all__}
    return context | {"db": db, "search_beliefs": search_beliefs}
