"""Fixtures of the DSO tests that need the database."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from click.testing import Result

from flexmeasures.cli import cli


@pytest.fixture
def dso_cli(app, db) -> Callable[..., Result]:
    """Run ``flexmeasures dso <args>`` with the test app, after committing the setup into
    the test's (rolled back) transaction, as tests/cli's ``run_cli`` does."""
    runner = app.test_cli_runner()

    def run(*args: str) -> Result:
        db.session.commit()
        return runner.invoke(cli, ["dso", *args])

    return run
