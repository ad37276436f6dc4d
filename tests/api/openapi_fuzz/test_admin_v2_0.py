"""The admin's requests to API v2_0 (with the coverage phase of the legacy services) against
the OpenAPI document (see fuzzing.py)."""

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.api.openapi_fuzz.fuzzing import assert_api_conforms_to_its_document

PART = "v2_0"


@pytest.mark.slow
def test_api_v2_0_conforms_to_the_document_for_the_admin(
    app: Flask, client: FlaskClient, users, structure
):
    """Each generated request gets an answer the document describes (and no 5xx)."""
    assert_api_conforms_to_its_document(app, client, users, "admin", PART)
