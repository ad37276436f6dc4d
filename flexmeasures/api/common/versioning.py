"""API versions as data: each version is its parent plus what it changes.

A ``Service`` is one endpoint (``getMeterData``): its implementation, HTTP methods, the
roles that may use it and its description for ``getService``. An ``ApiVersion`` holds
services and feature flags; ``derive`` makes the next version by adding, replacing or
removing services and changing flags, so a version module declares only its differences
and everything else is inherited by construction. ``register`` mounts a version at
``/api/<name>`` with the shared request handling of ``api.common.handling``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from flask import Blueprint, Flask, current_app

from flexmeasures.api.common.responses import ResponseTuple
from flexmeasures.modes import current_mode

ALL_USEF_ROLES = ("Aggregator", "Supplier", "MDC", "DSO", "Prosumer", "ESCo")


@dataclass(frozen=True)
class Service:
    """One API endpoint of a version.

    ``implementation(version, message)`` returns a (body, http status) tuple; ``message`` is
    the request's JSON body merged with its query parameters. ``access`` lists the USEF
    roles that may call it (admins always may; none: admins only); ``public`` services need
    no token. A service with ``only_in_mode`` (e.g. "play") exists only on servers running
    in that ``FLEXMEASURES_MODE``.
    """

    name: str
    implementation: Callable[[ApiVersion, dict[str, Any]], ResponseTuple]
    methods: tuple[str, ...]
    access: tuple[str, ...]
    description: str
    public: bool = False
    message_type: str | None = None  # e.g. "GetMeterDataRequest"; None: derived from name
    only_in_mode: str | None = None

    def exists_in(self, config: Mapping[str, Any]) -> bool:
        """True if this service exists on a server with this configuration (its mode)."""
        return self.only_in_mode is None or current_mode(config) == self.only_in_mode

    @property
    def request_type(self) -> str:
        """The ``type`` a request message may state, e.g. ``GetMeterDataRequest``."""
        return self.message_type or self.name[0].upper() + self.name[1:] + "Request"

    @property
    def response_type(self) -> str:
        """The ``type`` of the response message, e.g. ``GetMeterDataResponse``."""
        return self.request_type.removesuffix("Request") + "Response"


@dataclass(frozen=True)
class ApiVersion:
    """A version of the API: its name (``v1_1``), number (``1.1``), services and features.

    ``blueprints`` hold endpoints that are no USEF message services (e.g. the v2.0 REST
    endpoints for assets and users); they are mounted under the version's prefix and, like
    services, inherited by derived versions.
    """

    name: str
    number: str
    services: dict[str, Service]
    features: dict[str, Any] = field(default_factory=dict)
    blueprints: tuple[Blueprint, ...] = ()

    def derive(
        self,
        name: str,
        number: str,
        add: Iterable[Service] = (),
        remove: Iterable[str] = (),
        add_blueprints: Iterable[Blueprint] = (),
        **feature_changes: Any,
    ) -> ApiVersion:
        """Make the next version: this one's services and features, with the changes given."""
        services = {n: s for n, s in self.services.items() if n not in set(remove)}
        services.update({service.name: service for service in add})
        return replace(
            self,
            name=name,
            number=number,
            services=services,
            features={**self.features, **feature_changes},
            blueprints=(*self.blueprints, *add_blueprints),
        )

    def feature(self, name: str, default: Any = None) -> Any:
        """The value of a feature flag of this version."""
        return self.features.get(name, default)

    def service_listing(
        self, access: str | None = None, config: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """The getService response body: the services that exist on a server with this
        configuration (default: the current app's), optionally only those a role may use."""
        config = current_app.config if config is None else config
        services = [
            {"name": s.name, "access": list(s.access), "description": s.description}
            for s in self.services.values()
            if s.exists_in(config) and (access is None or access in s.access)
        ]
        return {"version": self.number, "services": services}

    def register(self, app: Flask) -> Blueprint:
        """Mount this version's services at ``/api/<name>/<service>``, leaving out those
        that do not exist in the app's mode (see ``Service.only_in_mode``)."""
        from flexmeasures.api.common.handling import make_view
        from flexmeasures.api.common.schemas.messages import query_keys

        blueprint = Blueprint(f"flexmeasures_api_{self.name}", __name__)
        for service in self.services.values():
            if not service.exists_in(app.config):
                continue
            blueprint.add_url_rule(
                f"/{service.name}",
                endpoint=service.name,
                view_func=make_view(self, service, query_keys(service.request_type)),
                methods=list(service.methods),
            )
        for child in self.blueprints:
            blueprint.register_blueprint(child)
        app.register_blueprint(blueprint, url_prefix=f"/api/{self.name}")
        csrf = app.extensions.get("csrf")
        if csrf:
            csrf.exempt(blueprint)
        return blueprint
