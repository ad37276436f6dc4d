"""Packaging: the wheel declares what it needs and carries its migrations, and the lock
(requirements/app.txt) pins every declared dependency at a version inside its range.

The slow test builds the wheel, installs it into a fresh virtual environment that holds the
locked distributions only (linked from this environment, see ``install_wheel``), checks that
they meet every requirement the wheel declares, and brings a PostgreSQL database up to the
latest migration with the installed `flexmeasures` CLI. It uses the migrations test database
(SQLALCHEMY_TEST_MIGRATIONS_DATABASE_URI).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from sqlalchemy import create_engine, text

from flexmeasures.app import MIGRATIONS_DIRECTORY
from tests.test_migrations import MIGRATIONS_DATABASE_URI

REPO = Path(__file__).resolve().parent.parent
LOCK = REPO / "requirements" / "app.txt"


def declared_dependencies() -> list[Requirement]:
    """The dependencies pyproject.toml declares for the package."""
    with open(REPO / "pyproject.toml", "rb") as file:
        return [Requirement(line) for line in tomllib.load(file)["project"]["dependencies"]]


def locked_versions() -> dict[str, str]:
    """Package name (canonical) -> pinned version, from requirements/app.txt."""
    pins = {}
    for line in LOCK.read_text().splitlines():
        if "==" in line and not line.lstrip().startswith(("#", "-")):
            name, version = line.split("#")[0].strip().split("==")
            pins[canonicalize_name(name)] = version
    return pins


def test_every_declared_dependency_is_locked_inside_its_range():
    """A dependency added to pyproject.toml without re-locking (make freeze-deps) fails here."""
    pins = locked_versions()
    for requirement in declared_dependencies():
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{name} is declared but not pinned in {LOCK.name}"
        assert requirement.specifier.contains(pins[name], prereleases=True), (
            f"{name}=={pins[name]} in {LOCK.name} is outside the declared {requirement}"
        )


def test_migrations_live_inside_the_package():
    """The app migrates from the scripts that ship with the package, not from a checkout."""
    import flexmeasures

    assert MIGRATIONS_DIRECTORY == Path(flexmeasures.__file__).resolve().parent / "migrations"
    assert (MIGRATIONS_DIRECTORY / "env.py").is_file()
    assert list((MIGRATIONS_DIRECTORY / "versions").glob("*.py"))


def copy_sources(destination: Path) -> Path:
    """Copy what the wheel is built from (no build/ leftovers, no caches) to ``destination``."""
    destination.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, destination / name)
    shutil.copytree(
        REPO / "flexmeasures",
        destination / "flexmeasures",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
    )
    return destination


def run(command: list[str], cwd: Path, env: dict[str, str]) -> str:
    """Run a command; fail the test with its output when it does not succeed."""
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    assert result.returncode == 0, f"{' '.join(command)} failed:\n{result.stdout}{result.stderr}"
    return result.stdout


def empty_database(uri: str) -> None:
    """Drop everything in the public schema of the database at ``uri``."""
    engine = create_engine(uri)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def venv_site_packages(venv: Path) -> Path:
    """The site-packages folder of the virtual environment at ``venv``."""
    paths = {"base": str(venv), "platbase": str(venv)}
    return Path(sysconfig.get_path("purelib", scheme="venv", vars=paths))


def link_distribution(name: str, version: str, site_packages: Path) -> bool:
    """Link the files of this environment's installed distribution ``name`` into
    ``site_packages``, if it is installed at ``version`` with a record of its files; whether
    it was. (Its scripts and data outside site-packages are left out: nothing runs them.)"""
    try:
        distribution = metadata.distribution(name)
    except metadata.PackageNotFoundError:
        return False
    if distribution.version != version or distribution.files is None:
        return False
    installed_in = Path(distribution.locate_file(""))
    folders = set()
    for file in distribution.files:
        if file.parts[0] == "..":
            continue
        target = site_packages / file
        if target.parent not in folders:
            target.parent.mkdir(parents=True, exist_ok=True)
            folders.add(target.parent)
        link_file(installed_in / file, target)
    return True


def link_file(source: Path, target: Path) -> None:
    """A hard link at ``target`` to ``source`` (a symbolic one across file systems); none
    if ``target`` exists (a namespace folder two distributions share may hold one file)."""
    try:
        os.link(source, target)
    except FileExistsError:
        return
    except OSError:
        os.symlink(source, target)


def install_wheel(tmp_path: Path, env: dict[str, str]) -> Path:
    """Build the wheel and install it into a new venv that holds the locked distributions
    only; check that they satisfy what the wheel declares; the venv's bin folder.

    The locked distributions are linked from this environment, which installed them from
    the lock (``make install``); any it has at another version are installed from the index.
    So no dependency is resolved or unpacked again, and still only what the lock pins is
    importable next to the wheel."""
    source = copy_sources(tmp_path / "source")
    wheels = tmp_path / "wheels"
    pip = [sys.executable, "-m", "pip"]
    run([*pip, "wheel", "-q", "--no-deps", "-w", str(wheels), "."], source, env)
    (wheel,) = wheels.glob("flexmeasures-*.whl")
    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", str(venv)], tmp_path, env)
    site_packages = venv_site_packages(venv)
    missing = [
        f"{name}=={version}"
        for name, version in locked_versions().items()
        if not link_distribution(name, version, site_packages)
    ]
    pip_in_venv = [*pip, "--python", str(venv / "bin" / "python")]
    install = [*pip_in_venv, "install", "-q", "--no-deps", "--no-compile"]
    if missing:
        run([*install, *missing], tmp_path, env)
    run([*install, "--no-index", str(wheel)], tmp_path, env)
    run([*pip_in_venv, "check"], tmp_path, env)  # every declared requirement is met
    return venv / "bin"


def database_revision(uri: str) -> str:
    """The migration revision the database at ``uri`` is at."""
    engine = create_engine(uri)
    with engine.connect() as connection:
        revision = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    engine.dispose()
    return revision


@pytest.mark.slow
def test_installed_wheel_migrates_and_adds_structure_on_postgres(tmp_path):
    """`pip install` of the wheel gives a working `flexmeasures db upgrade` and `add structure`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "FLEXMEASURES_"))}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    bin_folder = install_wheel(tmp_path, env)
    empty_database(MIGRATIONS_DATABASE_URI)
    app_env = env | {
        "HOME": str(tmp_path),  # no ~/.flexmeasures.cfg of the developer
        "FLEXMEASURES_ENV": "development",
        "FLEXMEASURES_INSTANCE_PATH": str(tmp_path / "instance"),
        "SQLALCHEMY_DATABASE_URI": MIGRATIONS_DATABASE_URI,
    }
    flexmeasures = str(bin_folder / "flexmeasures")
    location = run(
        [str(bin_folder / "python"), "-c", "import flexmeasures; print(flexmeasures.__file__)"],
        tmp_path,
        app_env,
    )
    assert location.startswith(str(tmp_path / "venv")), "the test ran the checkout, not the wheel"
    run([flexmeasures, "db", "upgrade"], tmp_path, app_env)
    assert "asset types: 8 added" in run([flexmeasures, "add", "structure"], tmp_path, app_env)
    head = ScriptDirectory(str(MIGRATIONS_DIRECTORY)).get_current_head()
    assert database_revision(MIGRATIONS_DATABASE_URI) == head  # the wheel has every migration
