"""The quickstart works when followed in order, on machines without sudo, and the scheduling
docs say what prices a schedule needs."""

from __future__ import annotations

import re
from pathlib import Path

from flexmeasures.config import REQUIRED_IN_PRODUCTION

DOCS = Path(__file__).resolve().parent.parent / "documentation"
QUICKSTART = DOCS / "quickstart.md"


def shell_commands(document: str) -> list[str]:
    """The command lines of the document's ```bash blocks, in order (comments dropped)."""
    blocks = re.findall(r"```bash\n(.*?)```", document, re.S)
    lines = [line.split("  #")[0].strip() for block in blocks for line in block.splitlines()]
    return [line for line in lines if line and not line.startswith("#")]


def test_quickstart_sets_what_production_requires_before_the_cli_runs_in_production():
    """Followed in order, no flexmeasures command runs in production without its settings."""
    exported: set[str] = set()
    production = False
    commands = shell_commands(QUICKSTART.read_text())
    for command in commands:
        exported |= set(re.findall(r"^export (\w+)=", command))
        production = production or command.startswith("export FLEXMEASURES_ENV=production")
        if production and command.startswith("flexmeasures "):
            missing = [name for name in REQUIRED_IN_PRODUCTION if name not in exported]
            assert not missing, f"`{command}` runs in production before {missing} is set"
    assert production, "the quickstart no longer sets the production environment"


def test_quickstart_commands_do_not_assume_sudo():
    """Commands run as written in a root shell (containers often have no sudo)."""
    with_sudo = [cmd for cmd in shell_commands(QUICKSTART.read_text()) if "sudo " in cmd]
    assert not with_sudo
    assert "put `sudo` in front if you use it" in QUICKSTART.read_text()


def test_scheduling_docs_say_prices_must_cover_the_planning_horizon():
    needs = (DOCS / "scheduling.md").read_text().split("## How the schedule is chosen")[0]
    assert "**The prices must cover the whole planning window**" in needs
    assert "`FLEXMEASURES_PLANNING_HORIZON`" in needs and "`UNKNOWN_PRICES`" in needs
