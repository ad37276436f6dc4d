"""Build and parse USEF EA1 entity addresses.

An EA1 address (USEF, after IETF RFC 3720) looks like::

    ea1.{date code}.{reversed domain name}:{locally unique string}

for example ``ea1.2021-02.io.flexmeasures.company:30:73``, where FlexMeasures runs at
*company.flexmeasures.io*. The part before the first colon after the domain
(``2021-02.io.flexmeasures.company``) is the *naming authority*; FlexMeasures uses the
locally unique string to identify the resource. Supported entity types and their locally
unique strings:

=================  ==================================================================
entity type        locally unique string
=================  ==================================================================
``connection``     ``<owner-id>:<asset-id>`` or ``<asset-id>`` (the owner id is optional)
``market``         ``<market-name>``, e.g. ``kpx_da``
``weather_sensor`` ``<sensor-type-name>:<latitude>:<longitude>``
``event``          ``<owner-id>:<asset-id>:<event-id>:<event-type>``; the event type is
                   optional (``getDeviceMessage`` responses omit it)
``sensor``         ``<sensor-id>``
=================  ==================================================================

Notation decisions:

- Simplified notation: when ``host_optional`` is True (the default), the locally unique
  string alone is accepted for every entity type, e.g. ``30:73`` or ``73`` for connections
  (the "notation for simulation" of API v1), and ``kpx_da`` for markets. Such results
  have ``scheme`` and ``naming_authority`` set to None.
- Names (market names, sensor type names, event types) start with a letter and contain
  only letters, digits, underscores and hyphens. They never contain dots, which is what
  tells a bare market name apart from a fully qualified address.
- Ids are non-negative integers; coordinates are decimal numbers (``33``, ``-33.5``), with
  latitudes in [-90, 90] and longitudes in [-180, 180].
- The scheme is matched case-insensitively (``EA1`` is accepted, returned as ``ea1``);
  any other scheme, including the look-alike ``eal``, is rejected. The date code must be
  ``YYYY-MM`` with a month from 01 to 12. Whitespace around the address and around
  colons is ignored.
- Ports: ``reverse_domain_name`` keeps a port only for ``localhost`` and IPv4 hosts
  (development instances, as in ``ea1.2018-06.localhost:5000:11:62``) and drops it for
  registered domain names. When parsing, a port is only recognised directly after
  ``localhost`` or an IPv4 address, and only when more parts follow than the entity type
  can have. Hence ``ea1.2018-06.localhost:5000:62`` is a connection with owner 5000 and
  asset 62, and a port-carrying event address needs its event type. Parsed ports are
  kept in the naming authority (``2018-06.localhost:5000``).
- Date codes come from the FLEXMEASURES_HOSTS_AND_AUTH_START mapping; subdomains inherit
  the date code of the configured domain, and unknown hosts get ``FALLBACK_DATE_CODE``
  ("2018-06", the date code of all localhost examples in the FlexMeasures docs). IPv6
  hosts are not supported.

This module is pure: it depends on the standard library only (no Flask, no database).
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = [
    "EA1_SCHEME",
    "ENTITY_TYPES",
    "FALLBACK_DATE_CODE",
    "EntityAddressException",
    "EntityIdOutOfRange",
    "build_entity_address",
    "build_naming_authority",
    "get_host_date_code",
    "parse_entity_address",
    "reverse_domain_name",
    "validate_date_code",
]

EA1_SCHEME = "ea1"
FALLBACK_DATE_CODE = "2018-06"  # for hosts missing from FLEXMEASURES_HOSTS_AND_AUTH_START

# Building blocks of the locally unique strings
ID = r"\d+"
NAME = r"[A-Za-z][A-Za-z0-9_-]*"
DECIMAL_NUMBER = r"[+-]?\d+(?:\.\d+)?"

DATE_CODE = re.compile(r"\d{4}-(?:0[1-9]|1[0-2])")
URL_SCHEME_PREFIX = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
HOST_WITH_OPTIONAL_PORT = re.compile(r"(?P<hostname>[^:]+)(?::(?P<port>\d{1,5}))?")
DOMAIN_NAME = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*")
IPV4_ADDRESS = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")
PORT_NUMBER = re.compile(r"\d{1,5}")
WHITESPACE_AROUND_COLON = re.compile(r"\s*:\s*")
# A qualified address has a dot before its first colon: "<scheme>.<date code>...".
QUALIFIED_ADDRESS_SCHEME = re.compile(r"(?P<scheme>[^.:]*)\.")
EA1_ADDRESS = re.compile(
    r"(?P<scheme>ea1)\.(?P<date_code>[^.:]*)\.(?P<reversed_domain>[^:]+):(?P<local_part>.+)",
    re.IGNORECASE,
)

CONNECTION_LOCAL_PART = re.compile(rf"(?:(?P<owner_id>{ID}):)?(?P<asset_id>{ID})")
MARKET_LOCAL_PART = re.compile(rf"(?P<market_name>{NAME})")
WEATHER_SENSOR_LOCAL_PART = re.compile(
    rf"(?P<weather_sensor_type_name>{NAME}):(?P<latitude>{DECIMAL_NUMBER})"
    rf":(?P<longitude>{DECIMAL_NUMBER})"
)
EVENT_LOCAL_PART = re.compile(
    rf"(?P<owner_id>{ID}):(?P<asset_id>{ID}):(?P<event_id>{ID})(?::(?P<event_type>{NAME}))?"
)
SENSOR_LOCAL_PART = re.compile(rf"(?P<sensor_id>{ID})")


class EntityAddressException(ValueError):
    """Raised when an entity address cannot be built or parsed."""


class EntityIdOutOfRange(EntityAddressException):
    """Raised for an address that is well-formed but has an id larger than any stored id
    can be: it names nothing, rather than being malformed."""


# Ids are stored as PostgreSQL integers, so a larger one names nothing.
LARGEST_ID = 2**31 - 1


class _IdTooLarge(ValueError):
    """An id beyond LARGEST_ID (a ValueError, as every other invalid field value)."""


def _to_id(text: str) -> int:
    value = int(text)
    if value > LARGEST_ID:
        raise _IdTooLarge(f"id {text} is larger than {LARGEST_ID}")
    return value


def _to_latitude(text: str) -> float:
    value = float(text)
    if not -90 <= value <= 90:
        raise ValueError(f"latitude {text} is not between -90 and 90")
    return value


def _to_longitude(text: str) -> float:
    value = float(text)
    if not -180 <= value <= 180:
        raise ValueError(f"longitude {text} is not between -180 and 180")
    return value


@dataclass(frozen=True)
class _FieldKind:
    pattern: re.Pattern[str]
    convert: Callable[[str], Any]
    description: str


_ID_KIND = _FieldKind(re.compile(ID), _to_id, f"a non-negative integer up to {LARGEST_ID}")
_NAME_KIND = _FieldKind(
    re.compile(NAME), str, "a name of letters, digits, '_' and '-', starting with a letter"
)
FIELD_KINDS: dict[str, _FieldKind] = {
    "owner_id": _ID_KIND,
    "asset_id": _ID_KIND,
    "event_id": _ID_KIND,
    "sensor_id": _ID_KIND,
    "market_name": _NAME_KIND,
    "weather_sensor_type_name": _NAME_KIND,
    "event_type": _NAME_KIND,
    "latitude": _FieldKind(re.compile(DECIMAL_NUMBER), _to_latitude, "a latitude in [-90, 90]"),
    "longitude": _FieldKind(
        re.compile(DECIMAL_NUMBER), _to_longitude, "a longitude in [-180, 180]"
    ),
}


@dataclass(frozen=True)
class _Notation:
    fields: tuple[str, ...]  # in address order
    optional_fields: frozenset[str]
    local_part: re.Pattern[str]
    local_notations: tuple[str, ...]  # human-readable forms of the locally unique string


NOTATIONS: dict[str, _Notation] = {
    "connection": _Notation(
        ("owner_id", "asset_id"),
        frozenset({"owner_id"}),
        CONNECTION_LOCAL_PART,
        ("<owner-id>:<asset-id>", "<asset-id>"),
    ),
    "market": _Notation(("market_name",), frozenset(), MARKET_LOCAL_PART, ("<market-name>",)),
    "weather_sensor": _Notation(
        ("weather_sensor_type_name", "latitude", "longitude"),
        frozenset(),
        WEATHER_SENSOR_LOCAL_PART,
        ("<sensor-type-name>:<latitude>:<longitude>",),
    ),
    "event": _Notation(
        ("owner_id", "asset_id", "event_id", "event_type"),
        frozenset({"event_type"}),
        EVENT_LOCAL_PART,
        ("<owner-id>:<asset-id>:<event-id>:<event-type>", "<owner-id>:<asset-id>:<event-id>"),
    ),
    "sensor": _Notation(("sensor_id",), frozenset(), SENSOR_LOCAL_PART, ("<sensor-id>",)),
}
ENTITY_TYPES: tuple[str, ...] = tuple(NOTATIONS)


# ---------------------------------------------------------------------------------------
# Hosts, domains and date codes
# ---------------------------------------------------------------------------------------


def _normalize_host(host: str) -> str:
    """Lower-case a host and strip any URL scheme, path, trailing dot and "www." prefix."""
    if not isinstance(host, str) or not host.strip():
        raise ValueError(f"Expected a host name, got {host!r}.")
    text = URL_SCHEME_PREFIX.sub("", host.strip().lower())
    text = text.split("/", 1)[0].rstrip(".")
    return text.removeprefix("www.")


def _split_host(host: str) -> tuple[str, str | None]:
    """Split a normalized host into its hostname and its port (or None)."""
    match = HOST_WITH_OPTIONAL_PORT.fullmatch(host)
    if match is None:
        raise ValueError(f"Cannot interpret {host!r} as a host name with an optional port.")
    return match["hostname"], match["port"]


def _is_local_or_ip(hostname: str) -> bool:
    """Whether a hostname is localhost or an IPv4 address (names that are never reversed)."""
    return hostname == "localhost" or IPV4_ADDRESS.fullmatch(hostname) is not None


def reverse_domain_name(domain: str) -> str:
    """Reverse a domain name for use in an entity address.

    "company.flexmeasures.io" becomes "io.flexmeasures.company". A URL scheme such as
    "https://", a path and a "www." prefix are stripped. "localhost" and IPv4 addresses
    are not reversed and keep their port ("localhost:5000" stays "localhost:5000"); a port
    on a registered domain name is dropped. Raises ValueError for uninterpretable hosts.
    """
    hostname, port = _split_host(_normalize_host(domain))
    if _is_local_or_ip(hostname):
        return hostname if port is None else f"{hostname}:{port}"
    if DOMAIN_NAME.fullmatch(hostname) is None:
        raise ValueError(f"{domain!r} is not a valid domain name.")
    return ".".join(reversed(hostname.split(".")))


def validate_date_code(date_code: str) -> str:
    """Return the date code if it has the form YYYY-MM (month 01-12), else raise ValueError."""
    if not isinstance(date_code, str) or DATE_CODE.fullmatch(date_code) is None:
        raise ValueError(
            f"Invalid date code {date_code!r}: expected YYYY-MM with a month from 01 to 12, "
            "e.g. '2021-01'."
        )
    return date_code


def _host_candidates(hostname: str, port: str | None) -> list[str]:
    """Keys to look up for a host, most specific first: with port, without, parent domains."""
    candidates = [f"{hostname}:{port}"] if port else []
    candidates.append(hostname)
    if not _is_local_or_ip(hostname):
        labels = hostname.split(".")
        candidates += [".".join(labels[i:]) for i in range(1, len(labels))]
    return candidates


def get_host_date_code(host: str, hosts_and_auth_start: dict[str, str]) -> str:
    """Return the "YYYY-MM" date code of a host, from FLEXMEASURES_HOSTS_AND_AUTH_START.

    Hosts and configured keys are compared case-insensitively, without URL scheme, path or
    "www." prefix. A key with a port only matches that port; a key without a port matches
    every port. A subdomain uses the date code of its closest configured parent domain
    (e.g. "company.flexmeasures.io" uses the entry for "flexmeasures.io"). Unknown hosts
    get FALLBACK_DATE_CODE. Raises ValueError if the applicable date code is malformed.
    """
    hostname, port = _split_host(_normalize_host(host))
    known = {_normalize_host(key): value for key, value in hosts_and_auth_start.items()}
    for candidate in _host_candidates(hostname, port):
        if candidate in known:
            try:
                return validate_date_code(known[candidate])
            except ValueError as error:
                raise ValueError(
                    f"FLEXMEASURES_HOSTS_AND_AUTH_START has a bad entry for {candidate!r}: {error}"
                ) from error
    return FALLBACK_DATE_CODE


def build_naming_authority(host: str, hosts_and_auth_start: dict[str, str]) -> str:
    """Return the naming authority of a host, e.g. "2021-01.io.flexmeasures.company"."""
    return f"{get_host_date_code(host, hosts_and_auth_start)}.{reverse_domain_name(host)}"


# ---------------------------------------------------------------------------------------
# Building
# ---------------------------------------------------------------------------------------


def _a(entity_type: str) -> str:
    """Prefix an entity type with its indefinite article ("a market", "an event")."""
    return f"{'an' if entity_type[:1] in 'aeiou' else 'a'} {entity_type}"


def _get_notation(entity_type: str) -> _Notation:
    """Look up the notation of an entity type, or raise EntityAddressException."""
    notation = NOTATIONS.get(entity_type)
    if notation is None:
        raise EntityAddressException(
            f"Unknown entity type {entity_type!r}; expected one of {', '.join(ENTITY_TYPES)}."
        )
    return notation


def _format_number(value: int | float) -> str:
    """Write a coordinate without exponent, and integral values without decimals."""
    number = float(value)
    if number.is_integer():
        return str(int(number))
    text = repr(number)
    if "e" in text:  # e.g. 1e-05
        text = f"{number:.15f}".rstrip("0")
    return text


def _format_field(field: str, value: Any, entity_type: str) -> str:
    """Write one field value, checking that it parses back as the same kind of value."""
    kind = FIELD_KINDS[field]
    is_number = isinstance(value, int | float) and not isinstance(value, bool)
    if kind.convert in (_to_latitude, _to_longitude) and is_number:
        text = _format_number(value)
    else:
        text = str(value).strip()
    try:
        if isinstance(value, bool) or kind.pattern.fullmatch(text) is None:
            raise ValueError(f"got {value!r}")
        kind.convert(text)
    except ValueError as error:
        raise EntityAddressException(
            f"Cannot build {_a(entity_type)} address: {field} must be {kind.description} ({error})."
        ) from error
    return text


def _build_local_part(entity_info: dict, entity_type: str) -> str:
    """Join the fields of an entity into its locally unique string."""
    notation = _get_notation(entity_type)
    missing = [
        field
        for field in notation.fields
        if field not in notation.optional_fields and entity_info.get(field) is None
    ]
    if missing:
        raise EntityAddressException(
            f"Cannot build {_a(entity_type)} address: missing {', '.join(missing)}."
        )
    return ":".join(
        _format_field(field, entity_info[field], entity_type)
        for field in notation.fields
        if entity_info.get(field) is not None
    )


def build_entity_address(
    entity_info: dict, entity_type: str, host: str, hosts_and_auth_start: dict[str, str]
) -> str:
    """Build the EA1 address of an entity hosted at host.

    entity_info holds the fields of the entity type:

    - connection: asset_id, and optionally owner_id
    - market: market_name
    - weather_sensor: weather_sensor_type_name, latitude, longitude
    - event: owner_id, asset_id, event_id, and optionally event_type
    - sensor: sensor_id

    Optional fields that are missing or None are left out of the address. For example,
    {"owner_id": 30, "asset_id": 73} as a connection at "company.flexmeasures.io" with
    {"flexmeasures.io": "2021-02"} gives "ea1.2021-02.io.flexmeasures.company:30:73".
    Raises EntityAddressException naming missing or invalid fields.
    """
    local_part = _build_local_part(entity_info, entity_type)
    try:
        naming_authority = build_naming_authority(host, hosts_and_auth_start)
    except ValueError as error:
        raise EntityAddressException(f"Cannot build {_a(entity_type)} address: {error}") from error
    return f"{EA1_SCHEME}.{naming_authority}:{local_part}"


# ---------------------------------------------------------------------------------------
# Parsing
# ---------------------------------------------------------------------------------------


def _expected_notations(notation: _Notation, host_optional: bool) -> str:
    """List the accepted notations of an entity type, for error messages."""
    qualified = [f"ea1.<YYYY-MM>.<reversed domain>:{local}" for local in notation.local_notations]
    simplified = list(notation.local_notations) if host_optional else []
    return " or ".join(qualified + simplified)


def _split_qualified_address(address: str, max_parts: int) -> tuple[str, str]:
    """Split an ea1 address into its naming authority and locally unique string.

    Raises ValueError (with a reason) if the scheme, date code or domain is invalid.
    """
    scheme = QUALIFIED_ADDRESS_SCHEME.match(address)["scheme"]
    if scheme.lower() != EA1_SCHEME:
        raise ValueError(f"unsupported scheme {scheme!r} (only 'ea1' is supported)")
    match = EA1_ADDRESS.fullmatch(address)
    if match is None:
        raise ValueError("it lacks a date code, a reversed domain name or a locally unique part")
    date_code = validate_date_code(match["date_code"])
    domain = match["reversed_domain"].lower()
    if DOMAIN_NAME.fullmatch(domain) is None and not _is_local_or_ip(domain):
        raise ValueError(f"{match['reversed_domain']!r} is not a valid reversed domain name")
    local_part = match["local_part"]
    parts = local_part.split(":")
    if _is_local_or_ip(domain) and len(parts) > max_parts and PORT_NUMBER.fullmatch(parts[0]):
        domain, local_part = f"{domain}:{parts[0]}", ":".join(parts[1:])
    return f"{date_code}.{domain}", local_part


def _parse_local_part(local_part: str, notation: _Notation) -> dict[str, Any]:
    """Match the locally unique string and convert its fields (missing optionals are None)."""
    match = notation.local_part.fullmatch(local_part)
    if match is None:
        raise ValueError("its locally unique part does not fit" + _misfit(local_part, notation))
    return {
        field: None if match[field] is None else FIELD_KINDS[field].convert(match[field])
        for field in notation.fields
    }


def _misfit(local_part: str, notation: _Notation) -> str:
    """Name the first field of the locally unique part that is malformed (e.g. a negative
    id), if the parts can be told apart; else an empty string."""
    parts = local_part.split(":")
    required = [field for field in notation.fields if field not in notation.optional_fields]
    fields = notation.fields if len(parts) == len(notation.fields) else required
    if len(parts) != len(fields):
        return ""
    for field, part in zip(fields, parts, strict=True):
        kind = FIELD_KINDS[field]
        if kind.pattern.fullmatch(part) is None:
            return f": its {field.replace('_', ' ')} {part!r} is not {kind.description}"
    return ""


def parse_entity_address(
    address: str, entity_type: str, host_optional: bool = True
) -> dict[str, Any]:
    """Parse an entity address of the given entity type into its parts.

    Returns a dict with "scheme" ("ea1", or None for a simplified notation),
    "naming_authority" (e.g. "2021-02.io.flexmeasures.company", or None) and the fields of
    the entity type (see build_entity_address), with ids as int, coordinates as float and
    names as str; absent optional fields are None. For example, parsing
    "ea1.2021-02.io.flexmeasures.company:30:73" as a connection gives owner_id 30 and
    asset_id 73. With host_optional=False, only fully qualified ea1 addresses are accepted.
    Raises EntityAddressException, naming the expected notations, for bad addresses; its
    subclass EntityIdOutOfRange for a well-formed address with an id beyond LARGEST_ID.
    """
    notation = _get_notation(entity_type)
    if not isinstance(address, str):
        raise EntityAddressException(
            f"Expected {_a(entity_type)} address as text, got {address!r}."
        )
    text = WHITESPACE_AROUND_COLON.sub(":", address.strip())
    try:
        if QUALIFIED_ADDRESS_SCHEME.match(text):
            naming_authority, local_part = _split_qualified_address(text, len(notation.fields))
            scheme: str | None = EA1_SCHEME
        elif host_optional:
            scheme, naming_authority, local_part = None, None, text
        else:
            raise ValueError("a fully qualified ea1 address is required")
        fields = _parse_local_part(local_part, notation)
    except ValueError as error:
        exception = EntityIdOutOfRange if isinstance(error, _IdTooLarge) else EntityAddressException
        raise exception(
            f"Could not parse {address!r} as {_a(entity_type)} address "
            f"({str(error).rstrip('.')}); expected "
            f"{_expected_notations(notation, host_optional)}."
        ) from error
    return {"scheme": scheme, "naming_authority": naming_authority, **fields}
