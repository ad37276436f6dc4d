"""Plugins: Flask blueprints (views, CLI commands) loaded from FLEXMEASURES_PLUGIN_PATHS.

A plugin is a folder with an ``__init__.py`` that defines a Blueprint named
``<folder name>_bp``. Its routes and its ``bp.cli`` commands become part of FlexMeasures
(``flexmeasures <folder name> <command>``).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from flask import Blueprint, Flask

from flexmeasures.config import ConfigurationError


def register_plugins(app: Flask) -> None:
    """Import every configured plugin and register its blueprint; record them in the config."""
    loaded: dict[str, str] = {}
    paths = app.config.get("FLEXMEASURES_PLUGIN_PATHS") or []
    if isinstance(paths, str):
        raise ConfigurationError(
            f"FLEXMEASURES_PLUGIN_PATHS must be a list of paths, not the string '{paths}'."
        )
    for path in paths:
        name, blueprint = load_plugin(Path(path))
        app.register_blueprint(blueprint)
        loaded[name] = str(Path(path).resolve())
        app.logger.info(f"Registered plugin '{name}' from {path}")
    app.config["LOADED_PLUGINS"] = loaded


def load_plugin(path: Path) -> tuple[str, Blueprint]:
    """Import the plugin folder at ``path`` and return its name and ``<name>_bp`` blueprint."""
    init_file = path / "__init__.py"
    if not init_file.is_file():
        raise ConfigurationError(
            f"Plugin path {path} has no __init__.py; a plugin is a folder with an __init__.py "
            "that defines a Blueprint called <folder name>_bp."
        )
    name = path.resolve().name
    module = _import_module_from(name, init_file)
    blueprint = getattr(module, f"{name}_bp", None)
    if not isinstance(blueprint, Blueprint):
        raise ConfigurationError(
            f"Plugin '{name}' ({init_file}) does not define a Blueprint called '{name}_bp'."
        )
    return name, blueprint


def _import_module_from(name: str, init_file: Path) -> ModuleType:
    """Import a package from its ``__init__.py`` under ``name`` (re-using an earlier import)."""
    existing = sys.modules.get(name)
    if existing is not None and Path(getattr(existing, "__file__", "")) == init_file.resolve():
        return existing
    spec = importlib.util.spec_from_file_location(
        name, init_file, submodule_search_locations=[str(init_file.parent)]
    )
    if spec is None or spec.loader is None:
        raise ConfigurationError(f"Cannot import plugin from {init_file}.")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        del sys.modules[name]
        raise ConfigurationError(f"Plugin '{name}' failed to import: {exc}") from exc
    return module
