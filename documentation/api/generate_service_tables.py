"""Generate the service tables of the API version pages (documentation/api/v*.md).

Each version page holds, between the markers below, a table of the version's USEF
services (from ``ApiVersion.services``: methods, roles, description) and, for versions
with REST endpoints, a table of those (from ``ApiVersion.blueprints``: method, path and
the first sentence of the view's docstring). No app or database is needed.

    python documentation/api/generate_service_tables.py          # rewrite the tables
    python documentation/api/generate_service_tables.py --check  # are they current?
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from flask import Flask

from flexmeasures.api.common.versioning import ApiVersion, Service
from flexmeasures.api.versions import all_versions

API_DOCS = Path(__file__).resolve().parent
BEGIN = (
    "<!-- BEGIN GENERATED SERVICE TABLE (python documentation/api/generate_service_tables.py) -->"
)
END = "<!-- END GENERATED SERVICE TABLE -->"
METHOD_ORDER = ("GET", "POST", "PUT", "PATCH", "DELETE")
ROUTE_ARGUMENT = re.compile(r"<(?:[^:<>]+:)?([^:<>]+)>")


def page_of(version: ApiVersion) -> Path:
    """The page of a version: v1 is documented in v1_0.md, v1_1 in v1_1.md, and so on."""
    name = "v1_0" if version.name == "v1" else version.name
    return API_DOCS / f"{name}.md"


def anchor(heading: str) -> str:
    """The link target of a Markdown heading, as GitHub makes it (``#getmeterdata``)."""
    text = heading.replace("`", "").strip().lower()
    return "#" + re.sub(r"[^a-z0-9 _-]", "", text).replace(" ", "-")


def who_may_use(service: Service) -> str:
    """The access column: public, the roles, or admins only; plus a mode restriction."""
    if service.public:
        who = "everyone (no token needed)"
    elif service.access:
        who = ", ".join(service.access)
    else:
        who = "admins only"
    if service.only_in_mode:
        who += f"; only in {service.only_in_mode} mode"
    return who


def service_table(version: ApiVersion) -> list[str]:
    """Markdown rows of the version's USEF services, in the order of getService."""
    rows = [
        "| Service | Methods | Who may use it (admins always may) | Description |",
        "| --- | --- | --- | --- |",
    ]
    for service in version.services.values():
        link = f"[`{service.name}`]({anchor(service.name)})"
        methods = ", ".join(service.methods)
        rows.append(f"| {link} | {methods} | {who_may_use(service)} | {service.description} |")
    return rows


def rest_endpoints(version: ApiVersion) -> list[tuple[str, str, str]]:
    """(method, path, description) of each REST endpoint of the version, path-sorted.

    Paths show route arguments as ``<name>``; the description is the first sentence of
    the view's docstring.
    """
    app = Flask("service-tables")
    for blueprint in version.blueprints:
        app.register_blueprint(blueprint, url_prefix=f"/api/{version.name}")
    endpoints = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        path = ROUTE_ARGUMENT.sub(r"<\1>", rule.rule)
        description = first_sentence(app.view_functions[rule.endpoint].__doc__ or "")
        for method in sorted(rule.methods & set(METHOD_ORDER), key=METHOD_ORDER.index):
            endpoints.append((method, path, description))
    return sorted(endpoints, key=lambda e: (e[1], METHOD_ORDER.index(e[0])))


def first_sentence(docstring: str) -> str:
    """The first sentence of a docstring, on one line."""
    text = " ".join(docstring.split())
    match = re.match(r"(.+?\.)(\s|$)", text)
    return match.group(1) if match else text


def rest_table(version: ApiVersion) -> list[str]:
    """Markdown rows of the version's REST endpoints (none: no rows)."""
    endpoints = rest_endpoints(version)
    if not endpoints:
        return []
    rows = ["", "| REST endpoint | Description |", "| --- | --- |"]
    for method, path, description in endpoints:
        heading = f"{method} {path}"
        rows.append(f"| [`{heading}`]({anchor(heading)}) | {description} |")
    return rows


def render_tables(version: ApiVersion) -> str:
    """The generated part of a version page."""
    return "\n".join([*service_table(version), *rest_table(version)]) + "\n"


def replace_generated_part(document: str, tables: str) -> str:
    """The document with the text between the markers replaced by ``tables``."""
    if BEGIN not in document or END not in document:
        raise ValueError(f"The page lacks the markers {BEGIN} and {END}.")
    head, rest = document.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{BEGIN}\n{tables}{END}{tail}"


def main(argv: list[str]) -> int:
    """Rewrite (or with --check, only compare) the tables of every version page."""
    check = "--check" in argv
    outdated = []
    for version in all_versions():
        page = page_of(version)
        document = page.read_text()
        updated = replace_generated_part(document, render_tables(version))
        if updated != document:
            outdated.append(page.name)
            if not check:
                page.write_text(updated)
    if check and outdated:
        print(f"Outdated service tables in {', '.join(outdated)}; run {sys.argv[0]}")
        return 1
    print("Service tables are current." if check else f"Updated: {outdated or 'nothing'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
