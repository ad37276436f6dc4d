"""API version 2.0: v1.3 with recording times inferred from the message's arrival (seed
chapter "Version 2.0", change log v2.0-2), plus REST endpoints for assets and users
(change log v2.0-0 and v2.0-1)."""

from flexmeasures.api.v1_3 import v1_3
from flexmeasures.api.v2_0.rest import REST_BLUEPRINTS

v2_0 = v1_3.derive(
    "v2_0", "2.0", add_blueprints=REST_BLUEPRINTS, infer_recording_time_at_arrival=True
)
