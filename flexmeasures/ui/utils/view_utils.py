"""Rendering pages within the FlexMeasures layout (also for plugins)."""

from __future__ import annotations

from typing import Any

from flask import current_app, render_template
from flask_security import current_user
from flask_wtf.csrf import generate_csrf


def render_flexmeasures_template(template_name: str, **variables: Any) -> str:
    """Render a Jinja2 template with what the FlexMeasures layout (``base.html``) needs."""
    for name, value in layout_context().items():
        variables.setdefault(name, value)
    return render_template(template_name, **variables)


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


def _listed_views() -> list[dict[str, str]]:
    """The menu: FLEXMEASURES_LISTED_VIEWS that have a route (built-in or from plugins)."""
    known_paths = {rule.rule.strip("/"): rule.rule for rule in current_app.url_map.iter_rules()}
    menu = []
    for view in current_app.config["FLEXMEASURES_LISTED_VIEWS"]:
        path = "" if view == "dashboard" else view
        if path in known_paths:
            menu.append({"name": view, "url": known_paths[path]})
    return menu
