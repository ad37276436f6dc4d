"""API version 1.2: v1.1 plus flexibility constraints (postUdiEvent) and control signals
(getDeviceMessage), which computes the schedule on request (seed chapter "Version 1.2")."""

from flexmeasures.api.common.implementations.udi import get_device_message, post_udi_event
from flexmeasures.api.common.versioning import Service
from flexmeasures.api.v1_1 import v1_1

PROSUMER_ROLES = ("Prosumer", "ESCo")

v1_2 = v1_1.derive(
    "v1_2",
    "1.2",
    add=[
        Service(
            "postUdiEvent",
            post_udi_event,
            ("POST",),
            PROSUMER_ROLES,
            "Send a description of some flexible consumption or production process as a USEF "
            "Device Interface (UDI) event, including device capabilities (control constraints)",
        ),
        Service(
            "getDeviceMessage",
            get_device_message,
            ("GET",),
            PROSUMER_ROLES,
            "Get an Active Demand & Supply (ADS) request for a certain type of control action, "
            "including control set points",
        ),
    ],
    schedule_in_job=False,
)
