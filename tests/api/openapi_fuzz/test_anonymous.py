"""Requests without a token to every operation against the OpenAPI document (see fuzzing.py)."""

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.api.openapi_fuzz.fuzzing import assert_api_conforms_to_its_document


@pytest.mark.slow
def test_api_conforms_to_its_document_for_an_anonymous_caller(
    app: Flask, client: FlaskClient, users, structure
):
    """Each generated request gets an answer the document describes (and no 5xx)."""
    assert_api_conforms_to_its_document(app, client, users, "anonymous")
