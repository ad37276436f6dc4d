"""The OpenAPI 3 document of the API (``GET /api/openapi.json``) and its Swagger UI page
(``GET /api/docs``, with the Swagger UI files served from the ``flask-swagger-ui`` package,
so the page needs no internet), both public.

The document is built once per app, at its first request, from:

- every service of every API version (``api.versions.all_versions()``), with the message
  schemas of ``api.common.schemas.messages`` as query parameters (GET) or request body,
  and the statuses of ``api.common.schemas.statuses`` as responses;
- every other route under ``/api/`` in the app's URL map (REST endpoints, operations,
  plugins): summary and description from the view's docstring, details (schemas,
  responses, public access) from ``schemas.route_docs.ROUTE_DOCS`` and ``document_route``.
"""

from __future__ import annotations

import copy
import inspect
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import flask_swagger_ui
from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from apispec.ext.marshmallow.common import resolve_schema_cls
from flask import Blueprint, Flask, Response, current_app, send_from_directory, url_for
from marshmallow import Schema
from werkzeug.routing import Rule

from flexmeasures.api.common.schemas.examples import SEED_EXAMPLES
from flexmeasures.api.common.schemas.fields import AwareTimestamp, ISODuration, OneOrMany
from flexmeasures.api.common.schemas.messages import MESSAGE_SCHEMAS, StatusResponseSchema
from flexmeasures.api.common.schemas.route_docs import ROUTE_DOCS, json_content, json_response
from flexmeasures.api.common.schemas.statuses import UNPROCESSABLE_SERVICES, rejections_of
from flexmeasures.api.common.versioning import ApiVersion, Service
from flexmeasures.data.schemas.fields import DurationInMinutes

OPENAPI_VERSION = "3.0.3"
SECURITY_SCHEME = "ApiKeyAuth"
PUBLIC_TAG = "public"
SWAGGER_UI_DIST = Path(flask_swagger_ui.__file__).resolve().parent / "dist"
_CACHE_KEY = "flexmeasures_openapi"
_IGNORED_METHODS = {"HEAD", "OPTIONS"}
_RULE_ARGUMENT = re.compile(r"<(?:(?P<converter>[^:<>(]+)(?:\([^<>]*\))?:)?(?P<name>[^:<>]+)>")
_CONVERTER_SCHEMAS = {"int": {"type": "integer"}, "float": {"type": "number"}}
PROCESSED = {"status": "PROCESSED", "message": "Request has been processed."}

openapi_blueprint = Blueprint("flexmeasures_api_docs", __name__)
# Blueprints with an OpenAPI document of their own (the marketplace: /api/market/openapi.json).
SEPARATELY_DOCUMENTED = ("market_api.", "market_docs.")

# endpoint -> method ("*" for all) -> operation fields, see document_route
_ROUTE_DOCS: dict[str, dict[str, dict[str, Any]]] = copy.deepcopy(ROUTE_DOCS)


def document_route(endpoint: str, method: str = "*", **operation: Any) -> None:
    """Describe a route outside the versioned services in the OpenAPI document.

    ``operation`` holds OpenAPI operation fields (``requestBody``, ``responses``,
    ``parameters``, ``security=[]`` for public routes, ...); schemas may be marshmallow
    schema classes. They override what the view's docstring gives.
    """
    _ROUTE_DOCS.setdefault(endpoint, {})[method.upper()] = operation


def register_openapi_at(app: Flask) -> None:
    """Serve the OpenAPI document at /api/openapi.json and Swagger UI at /api/docs."""
    app.register_blueprint(openapi_blueprint, url_prefix="/api")


@openapi_blueprint.route("/openapi.json", methods=["GET"])
def openapi_json() -> Response:
    """The OpenAPI 3 document of this API."""
    openapi_document(current_app)
    return Response(current_app.extensions[_CACHE_KEY][1], mimetype="application/json")


@openapi_blueprint.route("/docs", methods=["GET"])
def docs_page() -> Response:
    """A browsable Swagger UI page of the OpenAPI document."""
    config = {
        "url": url_for(".openapi_json"),
        "dom_id": "#swagger-ui",
        "deepLinking": True,
        "layout": "BaseLayout",
        "validatorUrl": None,
        "persistAuthorization": True,
        "docExpansion": "none",
    }
    static = url_for(".docs_asset", filename="").rstrip("/")
    return Response(
        _DOCS_PAGE.format(static=static, config=json.dumps(config)), mimetype="text/html"
    )


@openapi_blueprint.route("/docs/static/<path:filename>", methods=["GET"])
def docs_asset(filename: str) -> Response:
    """The Swagger UI files (scripts, styles, icons)."""
    return send_from_directory(SWAGGER_UI_DIST, filename, max_age=24 * 3600)


_DOCS_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>FlexMeasures API</title>
  <link rel="stylesheet" href="{static}/swagger-ui.css">
  <link rel="stylesheet" href="{static}/index.css">
  <link rel="icon" type="image/png" href="{static}/favicon-32x32.png" sizes="32x32">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="{static}/swagger-ui-bundle.js"></script>
  <script>
    window.onload = function () {{
      var config = {config};
      config.presets = [SwaggerUIBundle.presets.apis];
      window.ui = SwaggerUIBundle(config);
    }};
  </script>
</body>
</html>
"""


def openapi_document(app: Flask) -> dict[str, Any]:
    """The app's OpenAPI document, built at the first call and then cached on the app."""
    if _CACHE_KEY not in app.extensions:
        document = build_openapi_document(app)
        app.extensions[_CACHE_KEY] = (document, json.dumps(document, ensure_ascii=False))
    return app.extensions[_CACHE_KEY][0]


def build_openapi_document(app: Flask) -> dict[str, Any]:
    """Build the OpenAPI document of every API route of the app (see the module doc)."""
    from flexmeasures.api.versions import all_versions

    versions = all_versions()
    plugin = MarshmallowPlugin(schema_name_resolver=schema_name)
    spec = APISpec(
        title="FlexMeasures API",
        version=_flexmeasures_version(),
        openapi_version=OPENAPI_VERSION,
        plugins=[plugin],
        info={"description": _API_DESCRIPTION},
        security=[{SECURITY_SCHEME: []}],
    )
    _configure_fields(plugin)
    header = app.config.get("SECURITY_TOKEN_AUTHENTICATION_HEADER", "Authorization")
    spec.components.security_scheme(
        SECURITY_SCHEME, {"type": "apiKey", "in": "header", "name": header}
    )
    for name, schema in MESSAGE_SCHEMAS.items():
        spec.components.schema(name, schema=schema)
    mounted = {rule.rule for rule in app.url_map.iter_rules()}
    documented: set[str] = set()
    for version in versions:
        documented |= _add_version(spec, plugin, version, mounted)
    used_tags = _add_other_routes(spec, app, documented)
    document = spec.to_dict()
    document["tags"] = _ordered_tags(versions, used_tags)
    return document


_API_DESCRIPTION = (
    "The API of FlexMeasures. Get an auth token at `POST /api/requestAuthToken` and send it "
    "in the `Authorization` header (use *Authorize* below). The USEF-style services of each "
    "version (e.g. `/api/v2_0/postMeterData`) take messages as documented in the component "
    "schemas: singular and plural keys are alike (`connection`/`connections`), one group "
    "may be flattened into the message, `start`, `duration` and `unit` outside `groups` are "
    "inherited by each group, and the resolution is the duration divided by the number of "
    "values. Power is in MW (consumption positive)."
)


def _flexmeasures_version() -> str:
    from flexmeasures import __version__

    return __version__


def schema_name(schema: Any) -> str:
    """The component name of a schema: its class name without "Schema", and "...Changes"
    for a partial one (e.g. ``AssetSchema(partial=True)``: the fields of a PATCH)."""
    name = resolve_schema_cls(schema).__name__.removesuffix("Schema")
    return f"{name}Changes" if getattr(schema, "partial", False) is True else name


def _configure_fields(plugin: MarshmallowPlugin) -> None:
    """Teach the marshmallow plugin the API's own fields."""
    plugin.map_to_openapi_type(AwareTimestamp, "string", "date-time")
    plugin.map_to_openapi_type(ISODuration, "string", "duration")
    plugin.map_to_openapi_type(DurationInMinutes, "integer", None)
    plugin.converter.add_attribute_function(_one_or_many_properties)


def _one_or_many_properties(converter: Any, field: Any, ret: dict, **kwargs: Any) -> dict:
    """Document a OneOrMany field as one item or a list of them (the plural form first), or
    null: the server reads a null key as absent (and then reads its singular or plural)."""
    if not isinstance(field, OneOrMany):
        return {}
    single = converter.field2property(field.inner)
    many = {"type": "array", "items": single, "minItems": 1}
    ret.pop("type", None)
    ret.pop("items", None)
    return {"anyOf": [many, single] if field.plural else [single, many], "nullable": True}


def _add_version(
    spec: APISpec, plugin: MarshmallowPlugin, version: ApiVersion, mounted: set[str]
) -> set[str]:
    """Add the services of a version that the app mounts (at /api/<version>/<service>);
    return their paths."""
    paths = set()
    for service in version.services.values():
        path = f"/api/{version.name}/{service.name}"
        if path not in mounted:
            continue
        operations = {
            method.lower(): service_operation(plugin, version, service, method)
            for method in service.methods
        }
        spec.path(path=path, operations=operations)
        paths.add(path)
    return paths


def service_operation(
    plugin: MarshmallowPlugin, version: ApiVersion, service: Service, method: str
) -> dict[str, Any]:
    """The OpenAPI operation of a versioned service for one HTTP method."""
    operation: dict[str, Any] = {
        "tags": [version.name],
        "summary": service.description,
        "description": _service_description(service, method),
        "operationId": f"{version.name}_{method.lower()}_{service.name}",
        "responses": _service_responses(service, method),
    }
    if service.public:
        operation["security"] = []
    schema = MESSAGE_SCHEMAS.get(service.request_type)
    if method == "GET":
        operation["parameters"] = _query_parameters(plugin, schema) if schema else []
    else:
        operation["requestBody"] = _message_body(service, schema)
    return operation


def _service_description(service: Service, method: str) -> str:
    """What a service does, who may use it and how its message is sent."""
    doc = _markdown((inspect.getdoc(service.implementation) or "").split("\n\n")[0])
    access = (
        "Public." if service.public else f"Roles: {', '.join(service.access)} (admins always may)."
    )
    how = (
        "The message goes in query parameters (a list as repeated keys; other keys are "
        "INVALID_REQUEST) or in a JSON body."
        if method == "GET"
        else "The message goes in a JSON body."
    )
    return (
        f"{doc}\n\nRequest type `{service.request_type}`, response type "
        f"`{service.response_type}`. {access} {how}"
    )


def _query_parameters(plugin: MarshmallowPlugin, schema: type[Schema]) -> list[dict[str, Any]]:
    """A message schema as query parameters; one-or-many fields as repeatable keys.

    Of a singular and a plural key (e.g. ``connection`` and ``connections``) only the plural
    one is listed, as the server takes both alike; it is marked required if the schema
    requires one of them (``one_of_required``).
    """
    parameters = plugin.converter.schema2parameters(schema, location="query")
    names = {parameter["name"] for parameter in parameters}
    one_of_required = getattr(schema, "one_of_required", ())
    listed = []
    for parameter in parameters:
        name = parameter["name"]
        if f"{name}s" in names:
            continue
        if name in one_of_required:
            parameter["required"] = True
        _as_repeatable_key(parameter["schema"])
        listed.append(parameter)
    return listed


def _as_repeatable_key(field_schema: dict[str, Any]) -> None:
    """Document a one-or-many field as a list (its items as repeated query keys)."""
    alternatives = field_schema.pop("anyOf", None)
    if alternatives:
        field_schema.update(next(a for a in alternatives if a["type"] == "array"))
        if not isinstance(field_schema.get("example", []), list):
            field_schema["example"] = [field_schema["example"]]


def _message_body(service: Service, schema: type[Schema] | None) -> dict[str, Any]:
    """The JSON request body of a service: its message schema and the seed's examples."""
    examples = {
        f"example{i}": {"summary": summary, "value": message}
        for i, (summary, message) in enumerate(
            SEED_EXAMPLES.get(service.request_type, {}).items(), start=1
        )
    }
    any_message = {
        "type": "object",
        "properties": {"type": {"type": "string", "enum": [service.request_type]}},
    }
    media = {"examples": examples} if examples else {}
    requirements = body_requirements(schema) if schema else None
    body = {"allOf": [schema, requirements]} if requirements else schema
    return {"required": True, "content": json_content(body or any_message, **media)}


def body_requirements(schema: type[Schema]) -> dict[str, Any] | None:
    """What a message body needs beyond its fields' types, which a marshmallow schema checks
    in code: the forms of a time series message, or one of two keys (``one_of_required``)."""
    entity_key = getattr(schema, "entity_key", None)
    if entity_key:
        return series_forms(entity_key)
    keys = getattr(schema, "one_of_required", ())
    return {"type": "object", **one_of_present(*keys)} if keys else None


def one_of_present(*keys: str) -> dict[str, Any]:
    """One of these keys is there, and not null (the server reads null as absent)."""
    return {
        "anyOf": [
            {"required": [key], "properties": {key: {"not": {"enum": [None]}}}} for key in keys
        ]
    }


def series_forms(entity_key: str) -> dict[str, Any]:
    """What a POST message with time series needs, beyond its fields' types: ``start``,
    ``duration`` and ``unit``, and either one flat group (entities and values in the
    message) or a list of ``groups`` that each name entities and values.

    This is the documented form; the server also takes ``start``, ``duration`` and ``unit``
    inside groups, and a ``timeseries`` list instead of values.
    """
    entities = one_of_present(entity_key, f"{entity_key}s")
    values = one_of_present("value", "values")
    group = {"type": "object", "allOf": [entities, values]}
    grouped = {
        "required": ["groups"],
        "properties": {
            "groups": {"anyOf": [{"type": "array", "minItems": 1, "items": group}, group]}
        },
    }
    without_groups = {"not": {"anyOf": [{"required": ["group"]}, {"required": ["groups"]}]}}
    flat = {"allOf": [entities, values, without_groups]}
    return {"type": "object", "required": ["start", "duration", "unit"], "anyOf": [flat, grouped]}


def _service_responses(service: Service, method: str) -> dict[str, Any]:
    """The responses of a versioned service, with the statuses the seed lists."""
    rejections = rejections_of(service.name)
    answers = {
        "400": (f"Rejected: {', '.join(rejections)}.", rejections),
        "401": ("UNAUTHORIZED: no valid auth token.", ["UNAUTHORIZED"]),
        "403": ("INVALID_SENDER: the user has none of the roles.", ["INVALID_SENDER"]),
        "405": ("INVALID_METHOD: the service does not take this method.", ["INVALID_METHOD"]),
        "413": ("PAYLOAD_TOO_LARGE: the body is over the size limit.", ["PAYLOAD_TOO_LARGE"]),
    }
    if service.name in UNPROCESSABLE_SERVICES:
        answers["422"] = (
            "UNPROCESSABLE_ENTITY: a field value is unusable.",
            ["UNPROCESSABLE_ENTITY"],
        )
    if service.public:
        del answers["401"], answers["403"]
    if method == "GET":
        del answers["413"]
    responses = {"200": _processed_response(service)}
    for code, (description, statuses) in answers.items():
        responses[code] = _status_response(description, statuses, service.response_type)
    return responses


def _processed_response(service: Service) -> dict[str, Any]:
    """The 200 response of a service: its response schema, with a seed example if any."""
    schema = MESSAGE_SCHEMAS.get(service.response_type, StatusResponseSchema)
    example = next(iter(SEED_EXAMPLES.get(service.response_type, {}).values()), None)
    if example is None and schema is StatusResponseSchema:
        example = {"type": service.response_type, **PROCESSED}
    media = {"example": example} if example else {}
    return json_response("PROCESSED", schema, **media)


# A 422 answer of a service: its message is a sentence or the messages by field name.
_UNPROCESSABLE = {
    "type": "object",
    "required": ["status", "message"],
    "properties": {
        "type": {"type": "string"},
        "status": {"type": "string"},
        "result": {"type": "string", "enum": ["Rejected"]},
        "message": {
            "description": "What is wrong: a sentence, or the messages by field name.",
            "anyOf": [{"type": "string"}, {"type": "object"}],
        },
    },
}


def _status_response(description: str, statuses: Sequence[str], response_type: str) -> dict:
    """A response with a USEF-style status body, its status one of ``statuses``."""
    base = _UNPROCESSABLE if "UNPROCESSABLE_ENTITY" in statuses else StatusResponseSchema
    schema = {
        "allOf": [
            base,
            {
                "type": "object",
                "properties": {"status": {"type": "string", "enum": list(statuses)}},
            },
        ]
    }
    example = {
        "type": response_type,
        "result": "Rejected",
        "status": statuses[0],
        "message": "What went wrong and how to fix it.",
    }
    return json_response(description, schema, example=example)


def _markdown(docstring: str) -> str:
    """A docstring as the Markdown of OpenAPI descriptions (``code`` becomes `code`)."""
    return docstring.replace("``", "`")


def openapi_path(rule: str) -> str:
    """A Flask rule as an OpenAPI path, e.g. ``/api/v2_0/asset/<int:id>`` →
    ``/api/v2_0/asset/{id}``."""
    return _RULE_ARGUMENT.sub(lambda match: "{" + match["name"] + "}", rule)


def path_parameters(rule: str) -> list[dict[str, Any]]:
    """The OpenAPI path parameters of a Flask rule (integers for ``<int:...>``)."""
    return [
        {
            "in": "path",
            "name": match["name"],
            "required": True,
            "schema": dict(_CONVERTER_SCHEMAS.get(match["converter"], {"type": "string"})),
        }
        for match in _RULE_ARGUMENT.finditer(rule)
    ]


def _add_other_routes(spec: APISpec, app: Flask, documented: set[str]) -> set[str]:
    """Add every other route under /api/ from the URL map; return the tags used."""
    operations: dict[str, dict[str, Any]] = {}
    parameters: dict[str, list[dict[str, Any]]] = {}
    for rule in app.url_map.iter_rules():
        path = openapi_path(rule.rule)
        if not _is_other_api_route(rule, path, documented):
            continue
        view = app.view_functions[rule.endpoint]
        for method in sorted((rule.methods or set()) - _IGNORED_METHODS):
            operations.setdefault(path, {})[method.lower()] = route_operation(rule, view, method)
        parameters[path] = path_parameters(rule.rule)
    for path in sorted(operations):
        spec.path(path=path, operations=operations[path], parameters=parameters[path] or None)
    return {tag for ops in operations.values() for op in ops.values() for tag in op["tags"]}


def _is_other_api_route(rule: Rule, path: str, documented: set[str]) -> bool:
    """True for routes under /api/ that are no versioned service and not the docs."""
    return (
        rule.rule.startswith("/api/")
        and path not in documented
        and not rule.endpoint.startswith(f"{openapi_blueprint.name}.")
        and not rule.endpoint.startswith(SEPARATELY_DOCUMENTED)
    )


def route_operation(rule: Rule, view: Any, method: str) -> dict[str, Any]:
    """The OpenAPI operation of a route: its docstring plus any ``document_route`` details."""
    description = _markdown(inspect.getdoc(view) or rule.endpoint)
    first_paragraph = " ".join(description.split("\n\n")[0].split())
    operation: dict[str, Any] = {
        "tags": [route_tag(rule.rule)],
        "summary": first_paragraph.split(". ")[0].removesuffix("."),
        "description": description,
        "operationId": f"{rule.endpoint.replace('.', '_')}_{method.lower()}",
        "responses": {
            "200": {"description": "Success."},
            "default": json_response("An error, as a status response.", StatusResponseSchema),
        },
    }
    registered = _ROUTE_DOCS.get(rule.endpoint, {})
    # Copies: apispec replaces the schemas in them by references to its components.
    operation.update(copy.deepcopy(registered.get("*", {})))
    operation.update(copy.deepcopy(registered.get(method, {})))
    return operation


def route_tag(rule: str) -> str:
    """The group of a route in the document: ``public`` for /api/<name>, ``<version> REST``
    for routes of a version, else the first part of the path (e.g. ``ops``)."""
    parts = rule.removeprefix("/api/").split("/")
    if len(parts) == 1:
        return PUBLIC_TAG
    if re.fullmatch(r"v\d+(_\d+)*", parts[0]):
        return f"{parts[0]} REST"
    return parts[0]


def _ordered_tags(versions: list[ApiVersion], used_tags: set[str]) -> list[dict[str, str]]:
    """The document's tags: public routes, then each version (newest first), then others."""
    tags = [{"name": PUBLIC_TAG, "description": "Versions and auth tokens (no token needed)."}]
    for version in reversed(versions):
        if f"{version.name} REST" in used_tags:
            tags.append({"name": f"{version.name} REST", "description": f"API {version.number}"})
        tags.append(
            {"name": version.name, "description": f"API {version.number}: USEF-style services"}
        )
    named = {tag["name"] for tag in tags}
    tags += [{"name": tag} for tag in sorted(used_tags - named)]
    return tags
