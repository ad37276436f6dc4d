"""Writing a benchmark's results into its own section of benchmarks/README.md."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).with_name("README.md")


def replace_section(title: str, text: str, readme: Path = README) -> None:
    """Replace the "## <title>" section of the README with ``text`` (or append it).

    ``text`` is the section's body (a leading "## <title>" heading is allowed); other
    sections stay as they are.
    """
    body = text.strip().removeprefix(f"## {title}").strip()
    current = readme.read_text() if readme.exists() else "# Benchmarks\n"
    section = f"## {title}\n\n{body}\n"
    pattern = re.compile(rf"^## {re.escape(title)}\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(current):
        updated = pattern.sub(lambda _: section + "\n", current).rstrip() + "\n"
    else:
        updated = current.rstrip() + "\n\n" + section
    readme.write_text(updated)
