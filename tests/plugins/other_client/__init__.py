"""A plugin that uses another file of its own, as the seed's "Using other files in your
plugin" shows: the plugin folder goes on the import path, then its modules import by name.
"""

import os
import sys

from flask import Blueprint, jsonify

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from other_client_tariffs import peak_price

other_client_bp = Blueprint("other_client", "other_client")
other_client_bp.cli.help = "Our other client's commands"


@other_client_bp.route("/other-client/peak-price")
def peak_price_view():
    """The peak price of our other client's tariff, in EUR/MWh."""
    return jsonify(peak_price=peak_price(), unit="EUR/MWh")


@other_client_bp.cli.command("peak-price")
def peak_price_command():
    """Print the peak price of our other client's tariff, in EUR/MWh."""
    print(f"{peak_price()} EUR/MWh")
