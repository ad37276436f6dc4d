"""All API versions, registered at /api/<version>."""

from __future__ import annotations

from flask import Flask

from flexmeasures.api.common.versioning import ApiVersion


def all_versions() -> list[ApiVersion]:
    """Every supported API version, oldest first."""
    from flexmeasures.api.v1 import v1
    from flexmeasures.api.v1_1 import v1_1
    from flexmeasures.api.v1_2 import v1_2
    from flexmeasures.api.v1_3 import v1_3
    from flexmeasures.api.v2_0 import v2_0
    from flexmeasures.api.v3_0 import v3_0

    return [v1, v1_1, v1_2, v1_3, v2_0, v3_0]


def register_versions(app: Flask) -> None:
    """Mount every version's services and the operations endpoints (/api/ops), and list the
    versions at GET /api/."""
    from flexmeasures.api import API_VERSIONS
    from flexmeasures.api.common.errors import register_api_error_handlers
    from flexmeasures.api.common.openapi import register_openapi_at
    from flexmeasures.api.ops import register_ops_at

    register_api_error_handlers(app)
    register_ops_at(app)
    for version in all_versions():
        version.register(app)
        if version.name not in API_VERSIONS:
            API_VERSIONS.append(version.name)
    register_openapi_at(app)
