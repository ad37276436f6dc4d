"""Property-based tests of the API against its own OpenAPI document (schemathesis).

Every operation of ``/api/openapi.json`` is called in-process with requests generated from
the document (its examples, boundary cases and random valid and invalid data), as an admin,
as a Prosumer and without a token, in one rolled-back transaction per caller. A request
fails the test when the server answers with a 5xx the document does not list, with a status
the document does not list, with a body, content type or headers that do not match the
document, when it answers 405 without an ``Allow`` header, or when it refuses a request the
document says is valid for its form (422, or a 400 saying the message is malformed).
Refusals that depend on stored data (e.g. UNRECOGNIZED_CONNECTION_GROUP for an address no
asset has) are no failures. The runs are seeded and bounded, so CI repeats them exactly.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from flask import Flask
from flask.testing import FlaskClient
from schemathesis.config import SchemathesisConfig
from schemathesis.core.failures import FailureGroup
from schemathesis.pytest.lazy import get_all_tests
from schemathesis.specs.openapi.checks import (
    is_unexpected_http_status_case,
    positive_data_acceptance,
)

from tests.api.auth_routes import auth_header, get_token

SEED = 13
MAX_EXAMPLES = 5
CALLERS = ("admin", "prosumer", "anonymous")
# Statuses that say a message is malformed in a way the document can say (a missing field, a
# wrong type, a time without zone): a request valid by the document never gets them.
# (INVALID_REQUEST also covers rules across fields, e.g. a duration that the number of values
# does not divide, and INVALID_UNIT depends on the addressed market or sensor.)
MALFORMED = {
    "REQUIRED_INFO_MISSING",
    "UNEXPECTED_PARAMS",
    "INVALID_MESSAGE_TYPE",
    "INVALID_TIMEZONE",
}
# Refusals with those statuses that depend on stored data all the same: the seed's change log
# has a resolution that the sensor's cannot match answered with REQUIRED_INFO_MISSING.
DATA_DEPENDENT = {"REQUIRED_INFO_MISSING": "cannot be matched with its resolution"}
# Field messages of a 422 that the document can say (a missing field, a wrong type, an
# unknown field); others depend on stored data (e.g. "There is no user with id 5").
SCHEMA_ERRORS = ("Missing data for required field.", "Unknown field.", "Field may not be null.")
SCHEMA_ERROR_PREFIX = "Not a valid "

# The coverage phase (boundary cases of every field, missing required ones, and TRACE as a
# method no path takes) runs for the admin, who reaches every operation; the others get the
# document's examples and random requests, which keeps the whole run near a minute.
COVERAGE_CALLERS = {"admin"}


def fuzz_config(coverage: bool) -> SchemathesisConfig:
    """Seeded, bounded schemathesis settings (with or without the coverage phase)."""
    return SchemathesisConfig.from_dict(
        {
            "seed": SEED,
            "generation": {
                "max-examples": MAX_EXAMPLES,
                "deterministic": True,
                "database": "none",
                "no-shrink": True,
            },
            "phases": {
                "stateful": {"enabled": False},
                "coverage": {"enabled": coverage, "unexpected-methods": ["trace"]},
            },
        }
    )


def valid_form_is_not_refused(ctx: Any, response: Any, case: Any) -> bool | None:
    """A request that is valid by the document is not refused as malformed.

    (Schemathesis' own ``positive_data_acceptance`` also fails on refusals that depend on
    stored data, which the seed's statuses make 400s.)
    """
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive:
        return None
    if is_unexpected_http_status_case(case) or response.status_code not in (400, 422):
        return None
    body = response.json()
    status = body.get("status") if isinstance(body, dict) else None
    message = body.get("message")
    data_dependent = status in DATA_DEPENDENT and DATA_DEPENDENT[status] in str(message)
    if (status in MALFORMED and not data_dependent) or _has_schema_errors(message):
        raise AssertionError(
            f"A request valid by the document was refused ({response.status_code} {status}): "
            f"{response.text[:300]}"
        )
    return None


def _has_schema_errors(field_messages: Any) -> bool:
    """Whether (nested) field messages of a 422 include one that the document can say."""
    if isinstance(field_messages, dict):
        return any(_has_schema_errors(value) for value in field_messages.values())
    if isinstance(field_messages, list):
        return any(_has_schema_errors(value) for value in field_messages)
    text = str(field_messages)
    return text in SCHEMA_ERRORS or text.startswith(SCHEMA_ERROR_PREFIX)


@pytest.fixture(params=CALLERS)
def caller(request: pytest.FixtureRequest) -> str:
    """Who calls the API: an admin, a Prosumer or someone without a token."""
    return request.param


@pytest.fixture
def caller_headers(caller: str, client: FlaskClient, users) -> dict[str, str]:
    """The headers of the caller: an admin's or a Prosumer's token, or none."""
    if caller == "anonymous":
        return {}
    return auth_header(get_token(client, users[caller].email))


@pytest.fixture
def api_schema(app: Flask, client: FlaskClient, caller: str) -> Any:
    """The app's OpenAPI document as served, loaded by schemathesis to call the app."""
    document = client.get("/api/openapi.json").get_json()
    config = fuzz_config(coverage=caller in COVERAGE_CALLERS)
    schema = schemathesis.openapi.from_dict(document, config=config)
    schema.app = app
    return schema


@pytest.mark.slow
def test_api_conforms_to_its_document(
    api_schema: Any, client: FlaskClient, caller_headers: dict[str, str], structure
):
    """Each generated request gets an answer the document describes (and no 5xx)."""

    def call_and_validate(case: Any) -> None:
        case.call_and_validate(
            session=client,
            headers=caller_headers,
            excluded_checks=[positive_data_acceptance],
            additional_checks=[valid_form_is_not_refused],
        )

    failures = {}
    for result in get_all_tests(
        schema=api_schema.clone(test_function=call_and_validate),
        test_func=call_and_validate,
        settings=None,
        given_kwargs=None,
    ):
        operation, test = result.ok()
        try:
            test()
        except (FailureGroup, AssertionError) as failure:
            failures[operation.label] = str(failure)
    assert not failures, "\n\n".join(f"{label}: {text}" for label, text in failures.items())
