"""The developers' guide asks for zero suppressions: no lint or type-check suppression
comments and no coverage exclusions anywhere in our code, tests or benchmarks. Fix the
cause instead (narrow a type, use the imported name, ``importlib.import_module`` for an
import done for its side effect)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHECKED_FOLDERS = ("flexmeasures", "tests", "benchmarks")
# Built from parts, so that this file does not contain what it looks for.
SUPPRESSION = re.compile(
    "|".join(["no" + "qa", "type" + r":\s*ignore", "pragma" + r":\s*no cover"])
)


def suppressions(folder: Path) -> list[str]:
    """Every ``path:line: text`` in the Python files under the folder with a suppression."""
    found = []
    for path in sorted(folder.rglob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if SUPPRESSION.search(line):
                found.append(f"{path.relative_to(folder.parent)}:{number}: {line.strip()}")
    return found


@pytest.mark.parametrize("folder", CHECKED_FOLDERS)
def test_no_suppressions(folder):
    found = suppressions(ROOT / folder)
    assert not found, "Suppressions (fix the cause instead):\n" + "\n".join(found)


def test_the_check_finds_each_kind_of_suppression(tmp_path):
    ok = tmp_path / "ok.py"
    ok.write_text("import os\n")
    assert suppressions(tmp_path) == []
    kinds = ["no" + "qa: F401", "type" + ": ignore[attr-defined]", "pragma" + ": no cover"]
    for number, kind in enumerate(kinds):
        (tmp_path / f"bad{number}.py").write_text(f"import os  # {kind}\n")
    assert len(suppressions(tmp_path)) == len(kinds)


def test_tests_is_our_own_package():
    """Not merged with a ``tests`` folder that a wheel installed (tests/__init__.py)."""
    import tests

    assert Path(tests.__file__).resolve() == ROOT / "tests" / "__init__.py"
    assert [Path(path).resolve() for path in tests.__path__] == [ROOT / "tests"]
