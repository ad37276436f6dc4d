"""Tests of the REST endpoints of API v2.0 (assets and users)."""
