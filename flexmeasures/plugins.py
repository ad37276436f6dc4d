"""Plugins: Flask blueprints (views, CLI commands) loaded from FLEXMEASURES_PLUGIN_PATHS.

A plugin is a folder with an ``__init__.py`` that defines a Blueprint named
``<folder name>_bp`` (the seed's chapter "Writing plugins"). Its routes and its ``bp.cli``
commands become part of FlexMeasures (``flexmeasures <folder name> <command>``); views
named in ``FLEXMEASURES_LISTED_VIEWS`` appear in the menu. The plugin is imported as a
package named like its folder, so it may use relative imports of its own modules, or put
its folder on ``sys.path`` as the seed shows.

Every misconfiguration (a path that is not a list, a missing folder, no ``__init__.py``,
no ``<name>_bp``, an import error, a name taken by another module) is a ConfigurationError
that says which path and what is expected.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterable
from pathlib import Path
from types import ModuleType
from typing import Any

import click
from flask import Blueprint, Flask

from flexmeasures.config import ConfigurationError

EXPECTED = "a plugin is a folder with an __init__.py that defines a Blueprint called <folder>_bp"


def register_plugins(app: Flask) -> None:
    """Import every configured plugin and register its blueprint; record them in the config.

    ``app.config["LOADED_PLUGINS"]`` maps each plugin name to its folder.
    """
    loaded: dict[str, str] = {}
    for path in plugin_paths(app.config.get("FLEXMEASURES_PLUGIN_PATHS")):
        name, blueprint = load_plugin(path)
        if name in loaded:
            raise ConfigurationError(
                f"Two plugins are called '{name}' ({loaded[name]} and {path}); "
                "plugin folder names must be unique."
            )
        app.register_blueprint(blueprint)
        loaded[name] = str(path)
        app.logger.debug(f"Registered plugin '{name}' from {path}")
    app.config["LOADED_PLUGINS"] = loaded


def plugin_paths(setting: Any) -> list[Path]:
    """Return the plugin folders of a FLEXMEASURES_PLUGIN_PATHS value (a list of paths).

    Relative paths count from the current working directory. Raises ConfigurationError
    for a value that is not a list of strings (or path objects).
    """
    if setting is None:
        return []
    if isinstance(setting, str) or not isinstance(setting, list | tuple):
        raise ConfigurationError(
            f"FLEXMEASURES_PLUGIN_PATHS must be a list of paths, e.g. ['/path/to/our_client'], "
            f"not {setting!r}."
        )
    if not all(isinstance(path, str | Path) for path in setting):
        raise ConfigurationError(f"FLEXMEASURES_PLUGIN_PATHS must list paths, not {setting!r}.")
    return [Path(path).expanduser().resolve() for path in setting]


def load_plugin(path: Path) -> tuple[str, Blueprint]:
    """Import the plugin folder at ``path`` and return its name and ``<name>_bp`` blueprint."""
    path = Path(path).resolve()
    if not path.is_dir():
        raise ConfigurationError(
            f"Plugin path {path} (in FLEXMEASURES_PLUGIN_PATHS) is not an existing folder; "
            f"{EXPECTED}."
        )
    init_file = path / "__init__.py"
    if not init_file.is_file():
        raise ConfigurationError(f"Plugin path {path} has no __init__.py; {EXPECTED}.")
    name = path.name
    module = _import_module_from(name, init_file)
    blueprint = getattr(module, f"{name}_bp", None)
    if not isinstance(blueprint, Blueprint):
        raise ConfigurationError(
            f"Plugin '{name}' ({init_file}) does not define a Blueprint called '{name}_bp'."
        )
    return name, blueprint


def plugin_cli_commands(paths: Iterable[Path]) -> dict[str, click.Command]:
    """The top-level CLI commands that the plugins at these paths add, found without an app.

    Mirrors how Flask registers a blueprint's ``cli`` group: under the blueprint's
    ``cli_group`` name (by default its own name), or its commands one by one if
    ``cli_group`` is None. Blueprints without commands add nothing.
    """
    commands: dict[str, click.Command] = {}
    for path in paths:
        _, blueprint = load_plugin(path)
        if not blueprint.cli.commands:
            continue
        if blueprint.cli_group is None:
            commands.update(blueprint.cli.commands)
        else:
            group_name = blueprint.cli_group if isinstance(blueprint.cli_group, str) else None
            commands[group_name or blueprint.name] = blueprint.cli
    return commands


def _import_module_from(name: str, init_file: Path) -> ModuleType:
    """Import a package from its ``__init__.py`` under ``name`` (re-using an earlier import).

    Raises ConfigurationError when another module of that name is already imported, or
    when the plugin fails to import.
    """
    existing = sys.modules.get(name)
    if existing is not None:
        if Path(getattr(existing, "__file__", None) or "").resolve() == init_file.resolve():
            return existing
        raise ConfigurationError(
            f"Plugin folder name '{name}' ({init_file.parent}) is already taken by the "
            f"module {existing.__name__} ({getattr(existing, '__file__', 'built in')}); "
            "rename the plugin folder."
        )
    spec = importlib.util.spec_from_file_location(
        name, init_file, submodule_search_locations=[str(init_file.parent)]
    )
    if spec is None or spec.loader is None:
        raise ConfigurationError(f"Cannot import plugin from {init_file}.")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:  # any error in a plugin must become a clear message
        del sys.modules[name]
        message = f"Plugin '{name}' ({init_file}) failed to import: {exc!r}"
        raise ConfigurationError(message) from exc
    return module
