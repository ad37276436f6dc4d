"""Tariff figures of our other client (a module next to the plugin's ``__init__.py``)."""

OFF_PEAK_PRICE = 40.0  # EUR/MWh
PEAK_SURCHARGE = 25.5  # EUR/MWh


def peak_price() -> float:
    """The price at peak times, in EUR/MWh."""
    return OFF_PEAK_PRICE + PEAK_SURCHARGE
