"""Rendering pages within the FlexMeasures layout (also for plugins)."""

from __future__ import annotations

from typing import Any

from flask import current_app, has_request_context, render_template, request
from flask_security import current_user
from flask_wtf.csrf import generate_csrf
from werkzeug.wrappers import Response


def render_flexmeasures_template(template_name: str, **variables: Any) -> str:
    """Render a Jinja2 template with what the FlexMeasures layout (``base.html``) needs."""
    for name, value in layout_context().items():
        variables.setdefault(name, value)
    return render_template(template_name, **variables)


def page_error(status: int, message: str) -> Response:
    """An error page (e.g. 404 or 403) in the layout, with a message saying what is wrong."""
    page = render_flexmeasures_template("error.html", status=status, error_message=message)
    return Response(page, status=status, mimetype="text/html")


def layout_context() -> dict[str, Any]:
    """What ``base.html`` needs: platform name, menu, mode, whether the user is an admin, and
    ``csrf_token_for_forms()`` for the CSRF token of its forms (the "Log out" form posts to
    Flask-Security's POST-only ``/logout``; the token counts if SECURITY_LOGOUT_CSRF is on).

    Also offered to every template (e.g. Flask-Security's login page) by a context processor.
    """
    return {
        "platform_name": current_app.config["FLEXMEASURES_PLATFORM_NAME"],
        "listed_views": _listed_views(),
        "mode": current_app.config.get("FLEXMEASURES_MODE", ""),
        "user_is_admin": bool(getattr(current_user, "is_admin", False)),
        "csrf_token_for_forms": generate_csrf,
    }


# Built-in views only admins may see: not in other users' menus.
ADMIN_ONLY_VIEWS = ("users",)
# Menu labels of the built-in views; other (plugin) views show their capitalised name.
VIEW_LABELS = {
    "dashboard": "Dashboard",
    "portfolio": "Portfolio overview",
    "control": "Balancing actions",
    "upload": "Upload data",
}


def _listed_views() -> list[dict[str, Any]]:
    """The menu: FLEXMEASURES_LISTED_VIEWS that have a route (built-in or from plugins),
    without the admin-only views for users who are no admin.

    Each entry has the view's ``name``, its ``url``, a ``label`` and whether it is the
    ``current`` page (the request's path is the view's path or lies below it).
    """
    known_paths = {rule.rule.strip("/"): rule.rule for rule in current_app.url_map.iter_rules()}
    menu = []
    is_admin = bool(getattr(current_user, "is_admin", False))
    for view in current_app.config["FLEXMEASURES_LISTED_VIEWS"]:
        if view in ADMIN_ONLY_VIEWS and not is_admin:
            continue
        path = "" if view == "dashboard" else view
        if path in known_paths:
            url = known_paths[path]
            menu.append(
                {
                    "name": view,
                    "url": url,
                    "label": VIEW_LABELS.get(view, view.capitalize()),
                    "current": _is_current(url),
                }
            )
    return menu


def _is_current(url: str) -> bool:
    """True if the request is for this menu entry's page (or a page below it)."""
    path = request.path if has_request_context() else ""
    if url == "/":
        return path == "/"
    return path == url or path.startswith(url.rstrip("/") + "/")
