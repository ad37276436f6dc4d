"""The user documentation keeps up with the code: every CLI command and every setting is
documented, documented defaults are the real ones, the generated CLI reference is current,
and links between the documents resolve."""

from __future__ import annotations

import importlib.util
import logging
import re
from datetime import timedelta
from pathlib import Path
from types import ModuleType

import click
import pytest

from flexmeasures import config as fm_config
from flexmeasures.cli import LAZY_COMMANDS, cli, import_command

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "documentation"
CLI_DOC = DOCS / "cli.md"
CONFIG_DOC = DOCS / "configuration.md"
# Flask-Migrate's developer tools: documented by the generated reference only.
GENERATED_ONLY = "flexmeasures db "
DESCRIBED_DB_COMMANDS = ("upgrade", "downgrade", "current", "history")


def load_generator() -> ModuleType:
    """Import documentation/generate_cli_reference.py (documentation/ is not a package)."""
    path = DOCS / "generate_cli_reference.py"
    spec = importlib.util.spec_from_file_location("generate_cli_reference", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def command_paths(prefix: str, command: click.Command) -> list[tuple[str, click.Command]]:
    """Every command below ``command`` (hidden ones included), with the words that call it."""
    found = []
    children = command.commands if isinstance(command, click.Group) else {}
    for name, child in children.items():
        found.append((f"{prefix} {name}", child))
        found.extend(command_paths(f"{prefix} {name}", child))
    return found


def cli_commands() -> list[tuple[str, click.Command]]:
    """Every built-in command of the CLI, lazily imported ones included."""
    found = command_paths("flexmeasures", cli)
    for name, (import_path, _) in LAZY_COMMANDS.items():
        lazy = import_command(import_path)
        found.append((f"flexmeasures {name}", lazy))
        found.extend(command_paths(f"flexmeasures {name}", lazy))
    return found


def hand_written_part(document: str) -> str:
    """The part of cli.md before the generated reference."""
    return document.split("<!-- BEGIN GENERATED CLI REFERENCE")[0]


def setting_section(document: str, name: str) -> str:
    """The text under the heading ``### NAME``, up to the next heading."""
    match = re.search(rf"^### {name}\n(.*?)(?=^#)", document + "\n#", re.S | re.M)
    assert match, f"configuration.md has no section '### {name}'"
    return match.group(1)


def config_settings(cls: type) -> list[str]:
    """The upper-case settings a config class defines itself."""
    return [name for name in vars(cls) if name.isupper()]


def test_every_cli_command_has_a_reference_section():
    document = CLI_DOC.read_text()
    missing = [path for path, _ in cli_commands() if f"\n### {path}" not in document]
    assert not missing, f"Run python documentation/generate_cli_reference.py; missing: {missing}"


def test_every_own_cli_command_is_described_by_hand():
    """A new command needs a line in the overview, not only its generated --help."""
    described = hand_written_part(CLI_DOC.read_text())
    own = [
        path
        for path, command in cli_commands()
        if not isinstance(command, click.Group) and not path.startswith(GENERATED_ONLY)
    ]
    own += [f"flexmeasures db {name}" for name in DESCRIBED_DB_COMMANDS]
    missing = [path for path in own if f"`{path}`" not in described]
    assert not missing, f"Describe these commands in documentation/cli.md: {missing}"


def test_generated_cli_reference_is_up_to_date():
    generator = load_generator()
    document = CLI_DOC.read_text()
    expected = generator.replace_generated_part(document, generator.render_reference())
    assert document == expected, "Run python documentation/generate_cli_reference.py"


def test_generating_the_cli_reference_creates_no_app(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the CLI reference must be generated without an app")

    monkeypatch.setattr("flexmeasures.app.create_app", refuse)
    reference = load_generator().render_reference()
    assert "### flexmeasures add user\n" in reference
    assert "--roles TEXT" in reference


def test_generator_refuses_a_document_without_markers():
    with pytest.raises(ValueError, match="markers"):
        load_generator().replace_generated_part("# CLI\n", "reference")


def test_every_setting_is_documented_with_type_default_and_variable():
    document = CONFIG_DOC.read_text()
    for name in config_settings(fm_config.Config):
        section = setting_section(document, name)
        for field in ("- Type: ", "- Default: ", "- Environment variable: "):
            assert field in section, f"{name}: '{field.strip()}' missing in configuration.md"


@pytest.mark.parametrize("name", config_settings(fm_config.Config))
def test_documented_default_is_the_real_default(name):
    section = setting_section(CONFIG_DOC.read_text(), name)
    documented = re.search(r"^- Default: `(.+?)`", section, re.M)
    assert documented, f"{name}: no '- Default: `...`' line in configuration.md"
    names = {"__builtins__": {}, "timedelta": timedelta, "logging": logging}  # nothing else
    value = eval(documented.group(1), names)
    assert value == getattr(fm_config.Config, name)


@pytest.mark.parametrize(
    "cls", [c for c in fm_config.CONFIG_CLASSES.values() if c is not fm_config.Config]
)
def test_environment_specific_settings_are_documented(cls):
    """Each setting an environment changes is named in the Environments section."""
    document = CONFIG_DOC.read_text()
    environments = document.split("## Environments")[1].split("\n## ")[0]
    changed = [
        name
        for name in config_settings(cls)
        if getattr(fm_config.Config, name, None) != getattr(cls, name)
    ]
    missing = [name for name in changed if f"`{name}" not in environments]
    assert not missing, f"{cls.__name__} sets {missing}; document them under Environments"


def github_anchor(heading: str) -> str:
    """The anchor GitHub gives a Markdown heading."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def local_links(document: str) -> list[str]:
    """The targets of Markdown links that are not web addresses."""
    targets = re.findall(r"\]\(([^)\s]+)\)", document)
    return [target for target in targets if not re.match(r"[a-z]+:", target)]


@pytest.mark.parametrize(
    "document", sorted(DOCS.glob("*.md")) + [ROOT / "README.md"], ids=lambda path: path.name
)
def test_links_between_documents_resolve(document: Path):
    for target in local_links(document.read_text()):
        path_part, _, anchor = target.partition("#")
        linked = (document.parent / path_part).resolve() if path_part else document
        assert linked.exists(), f"{document.name} links to missing {target}"
        if anchor and linked.suffix == ".md":
            headings = re.findall(r"^#+ (.+)$", linked.read_text(), re.M)
            anchors = {github_anchor(heading) for heading in headings}
            assert anchor in anchors, f"{document.name} links to missing anchor {target}"
