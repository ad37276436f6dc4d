"""Write the generated part of documentation/cli.md: the ``--help`` of every CLI command.

The command tree of ``flexmeasures.cli.cli`` is walked statically (its registered and lazy
commands, recursively), so no app is created and no configuration or database is needed;
commands that plugins add are left out, as they depend on the configuration. The result
replaces the text between the two markers in cli.md.

Usage::

    python documentation/generate_cli_reference.py          # rewrite cli.md
    python documentation/generate_cli_reference.py --check  # exit 1 if cli.md is stale
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from pathlib import Path

import click

CLI_DOC = Path(__file__).resolve().with_name("cli.md")
BEGIN_MARKER = (
    "<!-- BEGIN GENERATED CLI REFERENCE "
    "(python documentation/generate_cli_reference.py; do not edit by hand) -->"
)
END_MARKER = "<!-- END GENERATED CLI REFERENCE -->"
HELP_WIDTH = 88  # fixed, so that the output does not depend on the terminal


def top_level_commands(cli: click.Group) -> dict[str, click.Command]:
    """The CLI's own top-level commands, lazy ones imported, sorted by name (no plugins)."""
    from flexmeasures.cli import import_command

    commands = dict(cli.commands)
    for name, (import_path, _short_help) in getattr(cli, "lazy_commands", {}).items():
        commands.setdefault(name, import_command(import_path))
    return dict(sorted(commands.items()))


def subcommands(command: click.Command) -> dict[str, click.Command]:
    """The commands registered on a group (hidden ones included), sorted by name."""
    if isinstance(command, click.Group):
        return dict(sorted(command.commands.items()))
    return {}


def walk(cli: click.Group, prog_name: str = "flexmeasures") -> Iterator[click.Context]:
    """Yield a help context for the CLI and for every command below it, depth first."""
    root = click.Context(
        cli, info_name=prog_name, terminal_width=HELP_WIDTH, max_content_width=HELP_WIDTH
    )
    yield root
    for name, command in top_level_commands(cli).items():
        yield from _walk_below(name, command, root)


def _walk_below(
    name: str, command: click.Command, parent: click.Context
) -> Iterator[click.Context]:
    """Yield the context of ``command`` (named ``name`` under ``parent``) and its subcommands."""
    context = click.Context(command, info_name=name, parent=parent)
    yield context
    for sub_name, subcommand in subcommands(command).items():
        yield from _walk_below(sub_name, subcommand, context)


def help_text(context: click.Context, children: dict[str, click.Command]) -> str:
    """The command's ``--help`` text, listing ``children`` as its commands.

    Written like click's own help, but the command listing comes from the static tree, so
    that the top-level group neither creates the app nor looks for plugins.
    """
    command = context.command
    formatter = context.make_formatter()
    command.format_usage(context, formatter)
    command.format_help_text(context, formatter)
    click.Command.format_options(command, context, formatter)
    listed = {name: child for name, child in children.items() if not child.hidden}
    if listed:
        limit = formatter.width - 6 - max(len(name) for name in listed)
        rows = [(name, child.get_short_help_str(limit)) for name, child in listed.items()]
        with formatter.section("Commands"):
            formatter.write_dl(rows)
    command.format_epilog(context, formatter)
    return formatter.getvalue().rstrip() + "\n"


def render_reference(cli: click.Group | None = None) -> str:
    """The Markdown of the generated reference: one section per command, with its help."""
    if cli is None:
        from flexmeasures.cli import cli
    sections = []
    for context in walk(cli):
        is_root = context.parent is None
        children = top_level_commands(cli) if is_root else subcommands(context.command)
        hidden = " (hidden alias)" if context.command.hidden else ""
        sections.append(
            f"### {context.command_path}{hidden}\n\n```text\n{help_text(context, children)}```\n"
        )
    return "\n".join(sections)


def replace_generated_part(document: str, reference: str) -> str:
    """Put ``reference`` between the markers of ``document``; raise ValueError without them."""
    start, end = document.find(BEGIN_MARKER), document.find(END_MARKER)
    if start < 0 or end < start:
        raise ValueError(f"{CLI_DOC.name} lacks the markers {BEGIN_MARKER!r} and {END_MARKER!r}.")
    head = document[: start + len(BEGIN_MARKER)]
    return f"{head}\n\n{reference}\n{document[end:]}"


def main(argv: list[str] | None = None) -> int:
    """Rewrite the generated part of cli.md, or with --check say whether it is up to date."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check; exit 1 if stale")
    arguments = parser.parse_args(argv)
    document = CLI_DOC.read_text()
    updated = replace_generated_part(document, render_reference())
    if arguments.check:
        if updated != document:
            print(f"{CLI_DOC} is out of date; run python {Path(__file__).name}.", file=sys.stderr)
            return 1
        return 0
    if updated != document:
        CLI_DOC.write_text(updated)
        print(f"Updated {CLI_DOC}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
