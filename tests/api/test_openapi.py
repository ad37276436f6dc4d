"""The OpenAPI document (/api/openapi.json), its Swagger UI page (/api/docs), and the message
schemas it is built from, checked against the seed's examples and the message parser."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from flask import Blueprint, Flask
from flask.testing import FlaskClient
from marshmallow import ValidationError
from openapi_schema_validator import OAS30Validator
from openapi_spec_validator import validate as validate_openapi
from sqlalchemy import select

from flexmeasures.api.common import openapi
from flexmeasures.api.common.implementations.timeseries import parse_get_request
from flexmeasures.api.common.messages import MessageError, parse_series_groups
from flexmeasures.api.common.schemas.examples import SEED_EXAMPLES
from flexmeasures.api.common.schemas.messages import MESSAGE_SCHEMAS
from flexmeasures.api.common.schemas.route_docs import ROUTE_DOCS
from flexmeasures.api.versions import all_versions
from flexmeasures.data.models import Asset, Market
from tests.api.auth_routes import auth_header

ENTITY_KEYS = {
    "PostMeterDataRequest": "connection",
    "PostPrognosisRequest": "connection",
    "PostPriceDataRequest": "market",
    "PostWeatherDataRequest": "sensor",
    "GetMeterDataResponse": "connection",
}
EXAMPLES = [
    pytest.param(message_type, message, id=f"{message_type}: {title}")
    for message_type, examples in SEED_EXAMPLES.items()
    for title, message in examples.items()
]
ANSWERS = {"200", "400", "401", "403", "405"}


@pytest.fixture
def document(client: FlaskClient) -> dict[str, Any]:
    """The OpenAPI document as served, without a token."""
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    return response.get_json()


def mounted_services(app: Flask):
    """(version, service) for every versioned service the app serves."""
    rules = {rule.rule for rule in app.url_map.iter_rules()}
    for version in all_versions():
        for service in version.services.values():
            if f"/api/{version.name}/{service.name}" in rules:
                yield version, service


def test_document_is_valid_openapi(document):
    validate_openapi(document)
    assert document["openapi"].startswith("3.")
    assert document["info"]["title"] == "FlexMeasures API"


def test_every_service_of_every_version_with_its_methods(app, document):
    services = list(mounted_services(app))
    with_services = {v.name for v in all_versions() if v.services}
    assert {version.name for version, _ in services} == with_services
    for version, service in services:
        operations = document["paths"][f"/api/{version.name}/{service.name}"]
        methods = {m for m in operations if m != "parameters"}
        assert methods == {m.lower() for m in service.methods}, service.name
        for operation in operations.values():
            assert operation["tags"] == [version.name]
            answers = ANSWERS if not service.public else ANSWERS - {"401", "403"}
            assert answers <= set(operation["responses"]), service.name


def test_every_api_route_of_the_app_is_documented(app, document):
    """Also routes outside the versioned services, found in the URL map (not in a list)."""
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/") or rule.endpoint.startswith("flexmeasures_api_docs"):
            continue
        if rule.endpoint.startswith(openapi.SEPARATELY_DOCUMENTED):
            continue  # the marketplace's routes are in its own document (tests/market)
        operations = document["paths"][openapi.openapi_path(rule.rule)]
        assert {m.lower() for m in rule.methods - {"HEAD", "OPTIONS"}} <= set(operations)
    assert "/api/docs" not in document["paths"]


def test_v3_0_endpoints_have_their_schemas(document):
    post_data = document["paths"]["/api/v3_0/sensors/{sensor_id}/data"]["post"]
    body = post_data["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/SensorData"}
    assert post_data["tags"] == ["v3_0 REST"]
    job = document["paths"]["/api/v3_0/jobs/{job_id}"]["get"]["responses"]
    assert {"200", "202", "422", "404"} <= set(job)
    assert "v3_0 REST" in [tag["name"] for tag in document["tags"]]


def test_post_meter_data_operation(document):
    operation = document["paths"]["/api/v2_0/postMeterData"]["post"]
    body = operation["requestBody"]["content"]["application/json"]
    component, forms = body["schema"]["allOf"]
    assert component == {"$ref": "#/components/schemas/PostMeterDataRequest"}
    assert set(forms["required"]) == {"start", "duration", "unit"}
    assert len(body["examples"]) == len(SEED_EXAMPLES["PostMeterDataRequest"])
    rejected = operation["responses"]["400"]["content"]["application/json"]["schema"]
    statuses = rejected["allOf"][1]["properties"]["status"]["enum"]
    assert {"INVALID_UNIT", "UNRECOGNIZED_CONNECTION_GROUP", "INVALID_DOMAIN"} <= set(statuses)
    assert "security" not in operation  # so the default applies: the auth token
    assert "MDC" in operation["description"]


def test_get_messages_are_query_parameters(document):
    operation = document["paths"]["/api/v2_0/getMeterData"]["get"]
    parameters = {p["name"]: p for p in operation["parameters"]}
    assert {"connections", "start", "duration", "horizon", "prior", "sources"} <= set(parameters)
    assert "connection" not in parameters and "source" not in parameters  # aliases
    assert parameters["start"]["required"] is True
    assert parameters["connections"]["required"] is True
    assert parameters["unit"]["schema"]["enum"] == ["MW"]
    assert parameters["start"]["schema"]["format"] == "date-time"
    connections = parameters["connections"]
    assert connections["in"] == "query" and connections["explode"] is True
    assert connections["schema"]["type"] == "array"
    ok = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok == {"$ref": "#/components/schemas/GetMeterDataResponse"}


def test_public_routes_need_no_token(document):
    assert document["paths"]["/api/v2_0/getService"]["get"]["security"] == []
    assert document["paths"]["/api/requestAuthToken"]["post"]["security"] == []
    assert document["paths"]["/api/"]["get"]["security"] == []
    assert document["paths"]["/api/ops/ping"]["get"]["security"] == []
    assert "security" not in document["paths"]["/api/ops/getLatestTaskRun"]["get"]
    scheme = document["components"]["securitySchemes"][openapi.SECURITY_SCHEME]
    assert scheme == {"type": "apiKey", "in": "header", "name": "Authorization"}
    assert document["security"] == [{openapi.SECURITY_SCHEME: []}]


def test_document_is_built_once_per_app(app, client):
    first = openapi.openapi_document(app)
    client.get("/api/openapi.json")
    assert openapi.openapi_document(app) is first


def test_docs_page_and_its_assets_are_served_locally(client: FlaskClient):
    page = client.get("/api/docs")
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert not re.search(r"https?://", html), "the page should load nothing from elsewhere"
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert any(a.endswith("swagger-ui-bundle.js") for a in assets)
    assert any(a.endswith("swagger-ui.css") for a in assets)
    for asset in assets:
        assert asset.startswith("/api/docs/static/")
        response = client.get(asset)
        assert response.status_code == 200, asset
        assert response.content_length or response.get_data()
    assert '"url": "/api/openapi.json"' in html


def test_missing_docs_asset_is_a_json_404(client: FlaskClient):
    response = client.get("/api/docs/static/no-such-file.js")
    assert response.status_code == 404
    assert response.get_json()["status"] == "UNKNOWN_ROUTE"


@pytest.mark.parametrize("message_type, message", EXAMPLES)
def test_seed_examples_validate_and_parse(message_type: str, message: dict[str, Any]):
    """Each seed example is valid to its marshmallow schema and to the message parser."""
    loaded = MESSAGE_SCHEMAS[message_type]().load(message)
    if message_type in ENTITY_KEYS:
        groups = parse_series_groups(message, ENTITY_KEYS[message_type])
        addresses = [a for group in groups for a in group.addresses]
        assert addresses == _addresses(loaded, ENTITY_KEYS[message_type])
    elif message_type in ("GetMeterDataRequest", "GetPrognosisRequest"):
        request = parse_get_request(message)
        assert request.start.to_pydatetime() == loaded["start"]
        assert request.duration == loaded["duration"]


@pytest.mark.parametrize("message_type, message", EXAMPLES)
def test_seed_examples_validate_against_the_document(document, message_type, message):
    """The OpenAPI schema generated from the marshmallow schema accepts each example too."""
    schema = {**document["components"]["schemas"][message_type], **document}
    OAS30Validator(schema).validate(message)


def test_every_example_in_the_document_fits_its_schema(document):
    """Request bodies, responses and parameters show examples their own schemas accept."""
    checked = 0
    for operations in document["paths"].values():
        for operation in operations.values():
            if not isinstance(operation, dict):
                continue
            for schema, example in _examples_of(operation):
                OAS30Validator({**schema, **document}).validate(example)
                checked += 1
    assert checked > 100


def _examples_of(operation: dict[str, Any]):
    """(schema, example) for each example of an operation."""
    for parameter in operation.get("parameters", []):
        if "example" in parameter["schema"]:
            yield parameter["schema"], parameter["schema"]["example"]
    bodies = [operation.get("requestBody", {})] + list(operation["responses"].values())
    for body in bodies:
        for media in body.get("content", {}).values():
            if "example" in media:
                yield media["schema"], media["example"]
            for example in media.get("examples", {}).values():
                yield media["schema"], example["value"]


def _addresses(loaded: dict[str, Any], key: str) -> list[str]:
    """The entity addresses of a loaded message, group by group."""
    groups = loaded.get("groups", loaded.get("group", [loaded]))
    addresses: list[str] = []
    for group in groups:
        found = group.get(f"{key}s", group.get(key, []))
        addresses += [found] if isinstance(found, str) else found
    return addresses


VALID = {
    "type": "PostMeterDataRequest",
    "connection": "ea1.2018-06.localhost:1:1",
    "values": [1, 2, 3],
    "start": "2015-01-01T00:00:00Z",
    "duration": "PT45M",
    "unit": "MW",
}
BAD_MESSAGES = {
    "naive start": {**VALID, "start": "2015-01-01T00:00:00"},
    "no connection": {k: v for k, v in VALID.items() if k != "connection"},
    "no values": {k: v for k, v in VALID.items() if k != "values"},
    "values as text": {**VALID, "values": ["1", "2", "3"]},
    "duration does not divide": {**VALID, "duration": "PT1M", "values": [1] * 7},
    "negative duration": {**VALID, "duration": "-PT45M"},
    "start missing in a group": {
        **{k: v for k, v in VALID.items() if k not in ("connection", "values", "start")},
        "groups": [{"connection": "1", "values": [1, 2, 3]}],
    },
    "empty groups": {**VALID, "groups": []},
    "gap in timeseries": {
        "connection": "1",
        "unit": "MW",
        "timeseries": [
            {"value": 1, "start": "2015-01-01T00:00:00Z", "duration": "PT15M"},
            {"value": 2, "start": "2015-01-01T00:30:00Z", "duration": "PT15M"},
        ],
    },
}


def test_the_valid_message_is_valid():
    """Guard for the next test: its messages differ from this one by one fault each."""
    MESSAGE_SCHEMAS["PostMeterDataRequest"]().load(VALID)
    parse_series_groups(VALID, "connection")


@pytest.mark.parametrize("message", BAD_MESSAGES.values(), ids=BAD_MESSAGES.keys())
def test_schema_and_parser_refuse_the_same_messages(message: dict[str, Any]):
    with pytest.raises(ValidationError):
        MESSAGE_SCHEMAS["PostMeterDataRequest"]().load(message)
    with pytest.raises(MessageError):
        parse_series_groups(message, "connection")


def test_a_message_of_another_type_is_refused():
    with pytest.raises(ValidationError, match="type"):
        MESSAGE_SCHEMAS["PostPrognosisRequest"]().load(VALID)


def test_other_routes_come_from_the_url_map_with_registered_details(monkeypatch):
    """A route nobody listed is documented from its docstring and rule; details registered
    with ``document_route`` are added."""
    monkeypatch.setattr(openapi, "_ROUTE_DOCS", {})
    app = Flask("openapi_test")
    things = Blueprint("things", __name__)

    @things.route("/thing/<int:thing_id>/parts/<name>", methods=["GET", "DELETE"])
    def thing_part(thing_id: int, name: str):
        """Get or delete a part of a thing.

        Parts are named."""

    app.register_blueprint(things, url_prefix="/api/v9_0")
    openapi.document_route(
        "things.thing_part", "DELETE", responses={"204": {"description": "Deleted."}}
    )
    document = openapi.build_openapi_document(app)
    validate_openapi(document)
    path = document["paths"]["/api/v9_0/thing/{thing_id}/parts/{name}"]
    assert path["get"]["summary"] == "Get or delete a part of a thing"
    assert path["get"]["description"] == "Get or delete a part of a thing.\n\nParts are named."
    assert path["get"]["tags"] == ["v9_0 REST"]
    assert path["delete"]["responses"] == {"204": {"description": "Deleted."}}
    assert {p["name"]: p["schema"]["type"] for p in path["parameters"]} == {
        "thing_id": "integer",
        "name": "string",
    }


def test_every_registered_route_detail_names_a_route_of_the_app(app):
    """Details in ROUTE_DOCS go stale when a route is renamed; this says which."""
    methods_by_endpoint: dict[str, set[str]] = {}
    for rule in app.url_map.iter_rules():
        methods_by_endpoint.setdefault(rule.endpoint, set()).update(rule.methods)
    for endpoint, details in ROUTE_DOCS.items():
        assert endpoint in methods_by_endpoint, f"{endpoint} is no route of the app"
        assert set(details) - {"*"} <= methods_by_endpoint[endpoint], endpoint


def test_rest_endpoints_with_their_schemas(document):
    assets = document["paths"]["/api/v2_0/assets"]
    created = assets["post"]["responses"]["201"]["content"]["application/json"]["schema"]
    assert created == {"$ref": "#/components/schemas/Asset"}
    listed = assets["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert listed == {"type": "array", "items": {"$ref": "#/components/schemas/Asset"}}
    assert [p["name"] for p in assets["get"]["parameters"]] == ["owner_id"]
    asset = document["paths"]["/api/v2_0/asset/{asset_id}"]
    assert asset["parameters"][0]["schema"] == {"type": "integer"}
    changes = asset["patch"]["requestBody"]["content"]["application/json"]["schema"]
    assert changes == {"$ref": "#/components/schemas/AssetChanges"}
    assert "required" not in document["components"]["schemas"]["AssetChanges"]
    assert "name" in document["components"]["schemas"]["Asset"]["required"]
    assert "204" in asset["delete"]["responses"]
    users = document["paths"]["/api/v2_0/users"]["get"]
    assert [p["name"] for p in users["parameters"]] == ["include_inactive"]
    assert "patch" in document["paths"]["/api/v2_0/user/{user_id}/password-reset"]


@pytest.fixture
def charging_station(db, structure, users) -> Asset:
    """A charging station of the prosumer on the epex_da market, with 15-minute power data."""
    asset = Asset(
        name="CS 1",
        market=db.session.scalar(select(Market).filter_by(name="epex_da")),
        asset_type_name="charging_station",
        capacity_in_mw=3,
        latitude=52,
        longitude=4,
        owner=users["prosumer"],
        unit="MW",
        event_resolution=timedelta(minutes=15),
    )
    db.session.add(asset)
    db.session.flush()
    return asset


def test_answers_of_the_server_fit_the_document(client, document, tokens, charging_station):
    """Real answers, successes and refusals, validate against the documented responses."""
    connection = f"ea1.2018-06.localhost:{charging_station.owner_id}:{charging_station.id}"
    meter_data = {
        "connection": connection,
        "values": [1.5, 2.5],
        "start": "2015-01-01T00:00:00Z",
        "duration": "PT30M",
        "unit": "MW",
    }
    meter_query = {key: value for key, value in meter_data.items() if key != "values"}
    admin, prosumer, mdc = (auth_header(tokens[u]) for u in ("admin", "prosumer", "mdc"))
    asset_path = f"/api/v2_0/asset/{charging_station.id}"
    requests: list[tuple[str, str, dict[str, Any]]] = [
        ("GET", "/api/", {}),
        ("POST", "/api/requestAuthToken", {"json": {"email": "x@y.z", "password": "no"}}),
        ("GET", "/api/v2_0/getService", {}),
        ("GET", "/api/v2_0/getConnection", {"headers": prosumer}),
        ("POST", "/api/v2_0/postMeterData", {"headers": mdc, "json": meter_data}),
        ("POST", "/api/v2_0/postMeterData", {"headers": mdc, "json": {**meter_data, "unit": "kW"}}),
        ("GET", "/api/v2_0/getMeterData", {"headers": prosumer, "query_string": meter_query}),
        ("GET", "/api/v2_0/getMeterData", {"query_string": meter_query}),
        ("GET", "/api/v2_0/assets", {"headers": admin}),
        ("POST", "/api/v2_0/assets", {"headers": prosumer, "json": {"name": "x"}}),
        ("PATCH", asset_path, {"headers": prosumer, "json": {"latitude": "north"}}),
        ("GET", "/api/v2_0/asset/999999", {"headers": admin}),
        ("GET", "/api/v2_0/users", {"headers": admin}),
        ("GET", "/api/ops/ping", {}),
    ]
    statuses = [_check_answer(client, document, *request) for request in requests]
    assert statuses == [200, 401, 200, 200, 200, 400, 200, 401, 200, 403, 422, 404, 200, 200]


def _check_answer(client, document, method: str, path: str, options: dict[str, Any]) -> int:
    """Send a request and validate its JSON answer against the documented response."""
    answer = client.open(path, method=method, **options)
    template = re.sub(r"/\d+$", "/{asset_id}", path) if "/asset/" in path else path
    responses = document["paths"][template][method.lower()]["responses"]
    documented = responses.get(str(answer.status_code)) or responses["default"]
    schema = documented["content"]["application/json"]["schema"]
    OAS30Validator({**schema, **document}).validate(answer.get_json())
    return answer.status_code


def _rejected_statuses(operation: dict[str, Any], code: str = "400") -> list[str]:
    schema = operation["responses"][code]["content"]["application/json"]["schema"]
    return schema["allOf"][1]["properties"]["status"]["enum"]


def test_every_service_lists_the_statuses_of_its_message_checks(app, document):
    """A message of another type, or without a field it needs, is refused by any service."""
    needs_fields = {"getMeterData", "getPrognosis", "postUdiEvent", "getDeviceMessage"}
    for version, service in mounted_services(app):
        for operation in document["paths"][f"/api/{version.name}/{service.name}"].values():
            statuses = set(_rejected_statuses(operation))
            assert {"INVALID_MESSAGE_TYPE", "INVALID_REQUEST"} <= statuses, service.name
            if service.name in needs_fields or service.name.startswith("post"):
                assert "REQUIRED_INFO_MISSING" in statuses, service.name


def test_entity_addresses_that_do_not_parse_are_documented(document):
    for service in ("getMeterData", "getPrognosis", "postPriceData", "getDeviceMessage"):
        operation = next(iter(document["paths"][f"/api/v2_0/{service}"].values()))
        assert "INVALID_DOMAIN" in _rejected_statuses(operation), service


def test_device_messages_document_422(document):
    operation = document["paths"]["/api/v2_0/getDeviceMessage"]["get"]
    assert _rejected_statuses(operation, "422") == ["UNPROCESSABLE_ENTITY"]
    parameters = {p["name"]: p for p in operation["parameters"]}
    assert parameters["event"]["required"] is True


def test_udi_event_body_marks_what_the_server_requires(document):
    schema = document["components"]["schemas"]["PostUdiEventRequest"]
    assert {"event", "value", "unit", "datetime"} <= set(schema["required"])
    assert schema["properties"]["unit"]["enum"] == ["MWh", "kWh"]


def test_rest_fields_are_typed_as_the_server_reads_them(document):
    asset = document["components"]["schemas"]["Asset"]["properties"]
    assert asset["event_resolution"]["type"] == "integer"
    assert asset["unit"]["enum"] == ["MW", "kW"]
    assert asset["owner"]["maximum"] == 2**31 - 1
    roles = document["components"]["schemas"]["User"]["properties"]["flexmeasures_roles"]
    assert roles["items"]["maximum"] == 2**31 - 1
