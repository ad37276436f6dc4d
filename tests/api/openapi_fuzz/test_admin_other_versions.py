"""The admin's requests to API v1 to v1_3 and v3_0, and to every operation no other part
takes (authentication, ops), against the OpenAPI document (see fuzzing.py)."""

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.api.openapi_fuzz.fuzzing import REST, assert_api_conforms_to_its_document

PART = REST


@pytest.mark.slow
def test_the_other_versions_conform_to_the_document_for_the_admin(
    app: Flask, client: FlaskClient, users, structure
):
    """Each generated request gets an answer the document describes (and no 5xx)."""
    assert_api_conforms_to_its_document(app, client, users, "admin", PART)
