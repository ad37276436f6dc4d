"""The statuses each USEF-style service answers: those the seed's "Status Codes" list, and
those the implementations add (e.g. INVALID_RESOLUTION, the backup statuses of restoreData).

``REJECTIONS`` maps a service name to the statuses of its 400 Bad Request answers; every
service answers the ``MESSAGE_CHECKS`` statuses as well (a message that is no JSON object,
or of another type), and non-public services
answer 401 UNAUTHORIZED and 403 INVALID_SENDER. Every API path answers 405 INVALID_METHOD
for a method it does not take and 413 PAYLOAD_TOO_LARGE for a body over the size limit.
"""

from __future__ import annotations

_POWER_GET = (
    "INVALID_DOMAIN",
    "INVALID_MESSAGE_TYPE",
    "INVALID_SOURCE",
    "INVALID_TIMEZONE",
    "INVALID_UNIT",
    "INVALID_RESOLUTION",
    "REQUIRED_INFO_MISSING",
    "UNRECOGNIZED_ASSET",
    "UNRECOGNIZED_CONNECTION_GROUP",
)
_SERIES_POST = (
    "INVALID_DOMAIN",
    "INVALID_MESSAGE_TYPE",
    "INVALID_TIMEZONE",
    "INVALID_UNIT",
    "INVALID_RESOLUTION",
    "REQUIRED_INFO_MISSING",
    "UNRECOGNIZED_ASSET",
    "ALREADY_RECEIVED_AND_SUCCESSFULLY_PROCESSED",
)

_POWER_POST = ("UNRECOGNIZED_CONNECTION_GROUP", "POWER_VALUE_TOO_SMALL", "POWER_VALUE_TOO_BIG")

REJECTIONS: dict[str, tuple[str, ...]] = {
    "getService": ("INVALID_ROLE",),
    "getConnection": ("INVALID_MESSAGE_TYPE",),
    "getMeterData": _POWER_GET,
    "getPrognosis": _POWER_GET,
    "postMeterData": (*_SERIES_POST, *_POWER_POST),
    "postPrognosis": (*_SERIES_POST, *_POWER_POST),
    "postPriceData": (*_SERIES_POST, "UNRECOGNIZED_MARKET"),
    "postWeatherData": (*_SERIES_POST, "UNRECOGNIZED_SENSOR"),
    "postUdiEvent": (
        "INCOMPLETE_UDI_EVENT",
        "INVALID_MESSAGE_TYPE",
        "INVALID_TIMEZONE",
        "INVALID_DATETIME",
        "INVALID_DOMAIN",
        "INVALID_UNIT",
        "OUTDATED_UDI_EVENT",
        "PTUS_INCOMPLETE",
        "REQUIRED_INFO_MISSING",
        "UNRECOGNIZED_UDI_EVENT",
    ),
    "restoreData": ("NO_BACKUP", "UNRECOGNIZED_BACKUP", "INVALID_BACKUP"),
    "getDeviceMessage": (
        "INVALID_MESSAGE_TYPE",
        "INVALID_TIMEZONE",
        "INVALID_DOMAIN",
        "INVALID_UNIT",
        "UNKNOWN_PRICES",
        "REQUIRED_INFO_MISSING",
        "UNKNOWN_SCHEDULE",
        "UNRECOGNIZED_CONNECTION_GROUP",
        "UNRECOGNIZED_UDI_EVENT",
    ),
}

MESSAGE_CHECKS = ("INVALID_MESSAGE_TYPE", "INVALID_REQUEST")

# Services that answer 422 UNPROCESSABLE_ENTITY (seed) for a field value they cannot use.
UNPROCESSABLE_SERVICES = ("getDeviceMessage",)


def rejections_of(service_name: str) -> tuple[str, ...]:
    """The statuses of a service's 400 answers: its own, then the ``MESSAGE_CHECKS``."""
    listed = REJECTIONS.get(service_name, ())
    return (*listed, *(status for status in MESSAGE_CHECKS if status not in listed))
