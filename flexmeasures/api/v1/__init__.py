"""API version 1.0: meter data (seed chapter "Version 1.0")."""

from flexmeasures.api.common.implementations.connections import get_service
from flexmeasures.api.common.implementations.power import get_meter_data, post_meter_data
from flexmeasures.api.common.versioning import ALL_USEF_ROLES, ApiVersion, Service

v1 = ApiVersion(
    name="v1",
    number="1.0",
    services={
        "getService": Service(
            "getService",
            get_service,
            ("GET",),
            ALL_USEF_ROLES,
            "Request service listing",
            public=True,
        ),
        "getMeterData": Service(
            "getMeterData",
            get_meter_data,
            ("GET", "POST"),
            ALL_USEF_ROLES,
            "Request meter reading",
        ),
        "postMeterData": Service(
            "postMeterData", post_meter_data, ("POST",), ("MDC",), "Send meter reading"
        ),
    },
    features={"infer_recording_time_at_arrival": False},
)
