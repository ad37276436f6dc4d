"""Bokeh's JavaScript, served from the installed bokeh package (never from a CDN), so the
browser always runs the version the server's charts were made with.

``GET /ui/static/bokeh/<file>`` serves bokeh's own scripts (``bokeh.min.js``,
``bokeh-widgets.min.js``, ...), public like every static file; ``bokeh_script_urls`` gives
the URLs a page with charts includes (with bokeh's version, so caches refresh on upgrade).
"""

from __future__ import annotations

import re
from pathlib import Path

import bokeh
from bokeh.util.paths import bokehjs_path
from flask import Blueprint, Response, abort, send_from_directory, url_for

BOKEH_JS_FOLDER = Path(bokehjs_path()) / "js"
BOKEH_SCRIPT = re.compile(r"^bokeh(-[a-z]+)?(\.min)?\.js$")
PAGE_SCRIPTS = ("bokeh.min.js",)
ONE_DAY = 24 * 3600

bokeh_static = Blueprint("bokeh_static", __name__)


@bokeh_static.route("/ui/static/bokeh/<string:filename>", methods=["GET"])
def bokeh_script(filename: str) -> Response:
    """One of bokeh's scripts from the installed package (404 for anything else)."""
    if not BOKEH_SCRIPT.match(filename):
        abort(404)
    return send_from_directory(BOKEH_JS_FOLDER, filename, max_age=ONE_DAY)


def bokeh_script_urls() -> list[str]:
    """The URLs of the scripts a page needs to show bokeh charts, tagged with the version."""
    return [
        url_for("bokeh_static.bokeh_script", filename=name, v=bokeh.__version__)
        for name in PAGE_SCRIPTS
    ]
