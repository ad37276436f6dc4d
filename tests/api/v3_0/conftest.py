"""Fixtures for the v3_0 tests: the assets of the v2.0 tests (a battery and a solar panel
of the prosumer, a battery of the other prosumer)."""

from tests.api.v2_0.conftest import assets

__all__ = ["assets"]
