"""API version 3.0: the REST API of today's FlexMeasures clients (sensors, sensor data,
assets, schedules, jobs, users and accounts) on the same data model, parsing, belief
queries and scheduling jobs as v1–v2.0. No USEF-style message services: v3_0 is a new
generation beside them, so it starts from an empty version (``V3_0_BASE``, whose
features are v2.0's) rather than deriving from v2.0, whose REST routes it replaces."""

from flexmeasures.api.v3_0.assets import assets_api
from flexmeasures.api.v3_0.common import V3_0_BASE
from flexmeasures.api.v3_0.openapi_docs import document_v3_0
from flexmeasures.api.v3_0.sensors import sensors_api
from flexmeasures.api.v3_0.users import users_api

v3_0 = V3_0_BASE.derive("v3_0", "3.0", add_blueprints=(sensors_api, assets_api, users_api))

document_v3_0()
