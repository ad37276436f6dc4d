"""The seed's showcase plugin (chapter "Writing plugins"): a view and a CLI command.

Load it with ``FLEXMEASURES_PLUGIN_PATHS = ["<this repo>/tests/plugins/our_client"]``; then
``/metrics`` shows a page in the FlexMeasures layout and ``flexmeasures our_client test``
runs a command that has the app.
"""

import click
from flask import Blueprint, current_app
from flask.cli import with_appcontext
from flask_security import login_required

from flexmeasures.ui.utils.view_utils import render_flexmeasures_template

our_client_bp = Blueprint("our_client", "our_client", template_folder="templates")


# Showcase: adding a view


@our_client_bp.route("/metrics")
@login_required
def metrics():
    """A page of our client's metrics, rendered within the FlexMeasures layout."""
    msg = "I am part of FM !"
    return render_flexmeasures_template("metrics.html", message=msg)


# Showcase: adding a CLI command

our_client_bp.cli.help = "Our client commands"


@our_client_bp.cli.command("test")
@with_appcontext
def oc_test():
    """Say which app this command is part of."""
    click.echo(f"I am a CLI command, part of FlexMeasures: {current_app}")
