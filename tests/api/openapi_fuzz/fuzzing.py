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

The admin's run also has the coverage phase (boundary cases of every field, missing ones):
over 500 requests for a legacy service's message. The legacy services are mounted unchanged
in each API version that has them (e.g. POST /api/v1/postMeterData to /api/v2_0/...: one
service function, one document; the versions differ only in what happens after a message
is accepted), so the coverage phase runs on the newest of such identical operations
(``coverage_operations``), and the others get the examples and random requests, as for the
other callers. And the admin's run is split into parts by API version (``PARTS``), each run
by a test file of its own, so that the two workers of ``make test`` (pytest-xdist hands out
whole files) share it. An operation belongs to the first part with a prefix of its path, else
to the last part, so the parts together call every operation of the document
(tests/api/openapi_fuzz/test_parts.py).
"""

from __future__ import annotations

import json
import re
from typing import Any

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
# document's examples and random requests.
COVERAGE_CALLERS = {"admin"}

# The parts of the admin's run: path prefixes per part, the last part takes the rest (API v1
# to v1_3, v3_0, authentication, ops). They take similar times: v2_0 has the coverage phase
# of the legacy services (see coverage_operations), the rest has most operations.
REST = "the other versions and the rest"
PARTS: dict[str, tuple[str, ...]] = {"v2_0": ("/api/v2_0/",), REST: ()}
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
VERSION_PREFIX = re.compile(r"^/api/v\d+(_\d+)?/")
# What an operation's document says about requests and responses (not its name and prose).
DOCUMENTED = ("parameters", "requestBody", "responses", "security")


def part_of(path: str) -> str:
    """The part of the admin's run that calls the operation at ``path`` (see ``PARTS``)."""
    return next((part for part, prefixes in PARTS.items() if path.startswith(prefixes)), REST)


def coverage_operations(document: dict[str, Any]) -> set[tuple[str, str]]:
    """The (method, path) of the operations the admin's coverage phase runs on: every
    operation, except that of operations with the same method, the same path after the API
    version and identical documents, only the one in the newest version."""
    newest: dict[str, tuple[str, str]] = {}
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method not in HTTP_METHODS:
                continue
            documented = {key: operation.get(key) for key in DOCUMENTED}
            same_path = VERSION_PREFIX.sub("/api/<version>/", path)
            key = json.dumps([method, same_path, item.get("parameters"), documented])
            newest[key] = max(newest.get(key, (method, path)), (method, path))
    return set(newest.values())


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


def caller_headers(caller: str, client: FlaskClient, users) -> dict[str, str]:
    """The headers of the caller: an admin's or a Prosumer's token, or none."""
    if caller == "anonymous":
        return {}
    return auth_header(get_token(client, users[caller].email))


def api_schemas(app: Flask, client: FlaskClient, caller: str, part: str | None) -> list[Any]:
    """The app's OpenAPI document as served, loaded by schemathesis to call the app, for
    every operation or those of one part of the admin's run: with the coverage phase for the
    operations that get it (see ``coverage_operations``) and without it for the others."""
    document = client.get("/api/openapi.json").get_json()
    covered = coverage_operations(document) if caller in COVERAGE_CALLERS else set()
    schemas = []
    for coverage in (True, False):
        schema = schemathesis.openapi.from_dict(document, config=fuzz_config(coverage))
        schema.app = app

        def chosen(ctx: Any, coverage: bool = coverage) -> bool:
            operation = ctx.operation
            in_part = part is None or part_of(operation.path) == part
            return in_part and ((operation.method.lower(), operation.path) in covered) == coverage

        schemas.append(schema.include(func=chosen))
    return schemas


def assert_api_conforms_to_its_document(
    app: Flask, client: FlaskClient, users, caller: str, part: str | None = None
) -> None:
    """Each generated request (of the part, if given) gets an answer the document describes
    (and no 5xx); fails listing every operation with a failure."""
    headers = caller_headers(caller, client, users)

    def call_and_validate(case: Any) -> None:
        case.call_and_validate(
            session=client,
            headers=headers,
            excluded_checks=[positive_data_acceptance],
            additional_checks=[valid_form_is_not_refused],
        )

    failures = {}
    for schema in api_schemas(app, client, caller, part):
        for result in get_all_tests(
            schema=schema.clone(test_function=call_and_validate),
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
