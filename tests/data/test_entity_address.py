"""Tests for building and parsing EA1 entity addresses (every notation in the docs)."""

import pytest

from flexmeasures.data.entity_address import (
    FALLBACK_DATE_CODE,
    EntityAddressException,
    build_entity_address,
    build_naming_authority,
    get_host_date_code,
    parse_entity_address,
    reverse_domain_name,
    validate_date_code,
)

DEFAULT_HOSTS = {"flexmeasures.io": "2021-01"}  # default of FLEXMEASURES_HOSTS_AND_AUTH_START
COMPANY_HOSTS = {"flexmeasures.io": "2018-06"}
COMPANY = "2018-06.io.flexmeasures.company"


def _connection(naming_authority, owner_id, asset_id):
    scheme = None if naming_authority is None else "ea1"
    return dict(
        scheme=scheme, naming_authority=naming_authority, owner_id=owner_id, asset_id=asset_id
    )


@pytest.mark.parametrize(
    "domain, expected",
    [
        ("company.flexmeasures.io", "io.flexmeasures.company"),
        ("flexmeasures.io", "io.flexmeasures"),
        ("www.flexmeasures.io", "io.flexmeasures"),
        ("https://company.flexmeasures.io", "io.flexmeasures.company"),
        ("https://www.company.flexmeasures.io/assets", "io.flexmeasures.company"),
        ("Company.FlexMeasures.IO", "io.flexmeasures.company"),
        ("company.flexmeasures.io:8080", "io.flexmeasures.company"),
        ("localhost", "localhost"),
        ("localhost:5000", "localhost:5000"),
        ("http://localhost:5000/", "localhost:5000"),
        ("127.0.0.1", "127.0.0.1"),
        ("127.0.0.1:5000", "127.0.0.1:5000"),
        ("io", "io"),
    ],
)
def test_reverse_domain_name(domain, expected):
    assert reverse_domain_name(domain) == expected


@pytest.mark.parametrize("domain", ["", "   ", "exa mple.com", "-bad-.com", "::1", "a..b"])
def test_reverse_domain_name_rejects_bad_hosts(domain):
    with pytest.raises(ValueError):
        reverse_domain_name(domain)


@pytest.mark.parametrize(
    "host, hosts_and_auth_start, expected",
    [
        ("flexmeasures.io", DEFAULT_HOSTS, "2021-01"),
        ("company.flexmeasures.io", DEFAULT_HOSTS, "2021-01"),
        ("deep.company.flexmeasures.io", DEFAULT_HOSTS, "2021-01"),
        ("https://www.company.flexmeasures.io/", DEFAULT_HOSTS, "2021-01"),
        ("FlexMeasures.IO", DEFAULT_HOSTS, "2021-01"),
        ("flexmeasures.io:443", DEFAULT_HOSTS, "2021-01"),
        (
            "company.flexmeasures.io",
            {"flexmeasures.io": "2021-01", "company.flexmeasures.io": "2021-02"},
            "2021-02",
        ),
        (
            "other.flexmeasures.io",
            {"flexmeasures.io": "2021-01", "company.flexmeasures.io": "2021-02"},
            "2021-01",
        ),
        ("company.flexmeasures.io", {"www.FlexMeasures.io": "2020-05"}, "2020-05"),
        ("notflexmeasures.io", DEFAULT_HOSTS, FALLBACK_DATE_CODE),
        ("localhost", DEFAULT_HOSTS, FALLBACK_DATE_CODE),
        ("localhost:5000", DEFAULT_HOSTS, FALLBACK_DATE_CODE),
        ("localhost:5000", {"localhost": "2019-03"}, "2019-03"),
        ("localhost:5000", {"localhost:5000": "2019-04", "localhost": "2019-03"}, "2019-04"),
        ("localhost:5001", {"localhost:5000": "2019-04"}, FALLBACK_DATE_CODE),
        ("example.com", {}, FALLBACK_DATE_CODE),
    ],
)
def test_get_host_date_code(host, hosts_and_auth_start, expected):
    assert get_host_date_code(host, hosts_and_auth_start) == expected


def test_fallback_date_code_is_fixed_and_valid():
    assert FALLBACK_DATE_CODE == "2018-06"
    assert validate_date_code(FALLBACK_DATE_CODE) == FALLBACK_DATE_CODE


@pytest.mark.parametrize("bad_date_code", ["2021-13", "2021-00", "2021-1", "21-01", "2021/01", ""])
def test_get_host_date_code_rejects_bad_config(bad_date_code):
    with pytest.raises(ValueError, match="FLEXMEASURES_HOSTS_AND_AUTH_START.*YYYY-MM"):
        get_host_date_code("company.flexmeasures.io", {"flexmeasures.io": bad_date_code})


def test_build_naming_authority():
    assert build_naming_authority("company.flexmeasures.io", COMPANY_HOSTS) == COMPANY
    assert build_naming_authority("localhost:5000", DEFAULT_HOSTS) == "2018-06.localhost:5000"


@pytest.mark.parametrize(
    "address, expected",
    [
        # 14.4.2 Connections
        (
            "ea1.2021-02.io.flexmeasures.company:30:73",
            _connection("2021-02.io.flexmeasures.company", 30, 73),
        ),
        (
            "ea1.2021-02.io.flexmeasures.company:73",
            _connection("2021-02.io.flexmeasures.company", None, 73),
        ),
        # Notation for simulation
        ("30:73", _connection(None, 30, 73)),
        ("73", _connection(None, None, 73)),
        # Posting meter data, getConnection responses
        ("ea1.2018-06.io.flexmeasures.company:1:1", _connection(COMPANY, 1, 1)),
        ("ea1.2018-06.io.flexmeasures.company:1:2", _connection(COMPANY, 1, 2)),
        ("ea1.2018-06.io.flexmeasures.company:3:4", _connection(COMPANY, 3, 4)),
        ("ea1.2018-06.io.flexmeasures.company:8:3", _connection(COMPANY, 8, 3)),
        ("ea1.2018-06.io.flexmeasures.company:9:2", _connection(COMPANY, 9, 2)),
        ("ea1.2018-06.io.flexmeasures.company:3:1", _connection(COMPANY, 3, 1)),
        ("ea1.2018-06.localhost:1:3", _connection("2018-06.localhost", 1, 3)),
        ("ea1.2018-06.localhost:1:4", _connection("2018-06.localhost", 1, 4)),
        ("ea1.2018-06.localhost:1:5", _connection("2018-06.localhost", 1, 5)),
        # Asset listings (host with a port)
        ("ea1.2018-06.localhost:5000:7:106", _connection("2018-06.localhost:5000", 7, 106)),
        ("ea1.2018-06.localhost:5000:6:105", _connection("2018-06.localhost:5000", 6, 105)),
        ("ea1.2018-06.localhost:5000:11:66", _connection("2018-06.localhost:5000", 11, 66)),
        ("ea1.2018-06.localhost:5000:12:65", _connection("2018-06.localhost:5000", 12, 65)),
        ("ea1.2018-06.localhost:5000:11:64", _connection("2018-06.localhost:5000", 11, 64)),
        ("ea1.2018-06.localhost:5000:11:63", _connection("2018-06.localhost:5000", 11, 63)),
        ("ea1.2018-06.localhost:5000:11:62", _connection("2018-06.localhost:5000", 11, 62)),
        ("ea1.2018-06.localhost:5000:12:61", _connection("2018-06.localhost:5000", 12, 61)),
        ("ea1.2018-06.localhost:5000:12:60", _connection("2018-06.localhost:5000", 12, 60)),
        ("ea1.2018-06.localhost:5000:12:59", _connection("2018-06.localhost:5000", 12, 59)),
        ("ea1.2018-06.127.0.0.1:5000:11:62", _connection("2018-06.127.0.0.1:5000", 11, 62)),
        # Ambiguous: a port is only recognised when more parts follow than a connection has
        ("ea1.2018-06.localhost:5000:62", _connection("2018-06.localhost", 5000, 62)),
        # Leniency: case of the scheme and domain, whitespace
        (
            "EA1.2021-02.IO.FlexMeasures.Company:30:73",
            _connection("2021-02.io.flexmeasures.company", 30, 73),
        ),
        (
            "  ea1.2021-02.io.flexmeasures.company : 30 : 73\n",
            _connection("2021-02.io.flexmeasures.company", 30, 73),
        ),
        (" 30 : 73 ", _connection(None, 30, 73)),
    ],
)
def test_parse_connection(address, expected):
    assert parse_entity_address(address, "connection") == expected


@pytest.mark.parametrize(
    "address, naming_authority, market_name",
    [
        ("ea1.2018-06.io.flexmeasures.company:kpx_da", COMPANY, "kpx_da"),
        ("ea1.2018-06.localhost:epex_da", "2018-06.localhost", "epex_da"),
        ("ea1.2018-06.localhost:5000:epex_da", "2018-06.localhost:5000", "epex_da"),
        ("ea1.2021-01.io.flexmeasures:epex-da_2", "2021-01.io.flexmeasures", "epex-da_2"),
        ("kpx_da", None, "kpx_da"),
        (" epex_da ", None, "epex_da"),
    ],
)
def test_parse_market(address, naming_authority, market_name):
    assert parse_entity_address(address, "market") == dict(
        scheme=None if naming_authority is None else "ea1",
        naming_authority=naming_authority,
        market_name=market_name,
    )


@pytest.mark.parametrize(
    "address, naming_authority, sensor_type, latitude, longitude",
    [
        (
            "ea1.2018-06.io.flexmeasures.company:temperature:33.4843866:126.477859",
            COMPANY,
            "temperature",
            33.4843866,
            126.477859,
        ),
        (
            "ea1.2018-06.localhost:temperature:33.4843866:126.477859",
            "2018-06.localhost",
            "temperature",
            33.4843866,
            126.477859,
        ),
        (
            "ea1.2018-06.localhost:5000:wind_speed:-33.5:-70",
            "2018-06.localhost:5000",
            "wind_speed",
            -33.5,
            -70.0,
        ),
        ("ea1.2018-06.io.flexmeasures.company:radiation:33:126", COMPANY, "radiation", 33.0, 126.0),
        ("ea1.2018-06.io.flexmeasures.company:radiation:+90:-180", COMPANY, "radiation", 90, -180),
        ("temperature:33.4843866:126.477859", None, "temperature", 33.4843866, 126.477859),
    ],
)
def test_parse_weather_sensor(address, naming_authority, sensor_type, latitude, longitude):
    parsed = parse_entity_address(address, "weather_sensor")
    assert parsed == dict(
        scheme=None if naming_authority is None else "ea1",
        naming_authority=naming_authority,
        weather_sensor_type_name=sensor_type,
        latitude=latitude,
        longitude=longitude,
    )
    assert isinstance(parsed["latitude"], float) and isinstance(parsed["longitude"], float)


@pytest.mark.parametrize(
    "address, naming_authority, event_id, event_type",
    [
        ("ea1.2018-06.io.flexmeasures.company:7:10:203:soc", COMPANY, 203, "soc"),
        (
            "ea1.2018-06.io.flexmeasures.company:7:10:204:soc-with-targets",
            COMPANY,
            204,
            "soc-with-targets",
        ),
        # getDeviceMessage responses leave out the event type
        ("ea1.2018-06.io.flexmeasures.company:7:10:203", COMPANY, 203, None),
        ("ea1.2018-06.localhost:5000:7:10:203:soc", "2018-06.localhost:5000", 203, "soc"),
        ("7:10:203:soc", None, 203, "soc"),
        ("7:10:203", None, 203, None),
    ],
)
def test_parse_event(address, naming_authority, event_id, event_type):
    assert parse_entity_address(address, "event") == dict(
        scheme=None if naming_authority is None else "ea1",
        naming_authority=naming_authority,
        owner_id=7,
        asset_id=10,
        event_id=event_id,
        event_type=event_type,
    )


@pytest.mark.parametrize(
    "address, naming_authority",
    [("ea1.2021-01.io.flexmeasures.company:42", "2021-01.io.flexmeasures.company"), ("42", None)],
)
def test_parse_sensor(address, naming_authority):
    assert parse_entity_address(address, "sensor") == dict(
        scheme=None if naming_authority is None else "ea1",
        naming_authority=naming_authority,
        sensor_id=42,
    )


@pytest.mark.parametrize(
    "address, entity_type",
    [
        ("30:73", "connection"),
        ("73", "connection"),
        ("kpx_da", "market"),
        ("temperature:33.4843866:126.477859", "weather_sensor"),
        ("7:10:203:soc", "event"),
        ("42", "sensor"),
    ],
)
def test_simplified_notation_needs_host_optional(address, entity_type):
    with pytest.raises(EntityAddressException, match="fully qualified ea1 address is required"):
        parse_entity_address(address, entity_type, host_optional=False)


def test_qualified_notation_without_host_optional():
    parsed = parse_entity_address(
        "ea1.2021-02.io.flexmeasures.company:30:73", "connection", host_optional=False
    )
    assert (parsed["owner_id"], parsed["asset_id"]) == (30, 73)


@pytest.mark.parametrize(
    "address, entity_type, message",
    [
        ("xyz", "connection", r"expected ea1\.<YYYY-MM>\.<reversed domain>:<owner-id>:<asset-id>"),
        ("xyz", "connection", r"or <owner-id>:<asset-id> or <asset-id>\.$"),
        ("ea2.2021-02.io.flexmeasures.company:30:73", "connection", "unsupported scheme 'ea2'"),
        (
            "eal.2018-06.localhost:temperature:33.4843866:126.477859",
            "weather_sensor",
            "unsupported scheme 'eal'",
        ),
        ("ea1.2021-13.io.flexmeasures.company:30:73", "connection", "Invalid date code '2021-13'"),
        ("ea1.2021-00.io.flexmeasures.company:30:73", "connection", "Invalid date code '2021-00'"),
        ("ea1.21-02.io.flexmeasures.company:30:73", "connection", "Invalid date code '21-02'"),
        ("ea1.io.flexmeasures.company:30:73", "connection", "Invalid date code 'io'"),
        ("ea1.2021-02.io.flexmeasures.company", "connection", "lacks"),
        ("ea1.2021-02.io.flexmeasures.company:", "connection", "lacks"),
        ("ea1.2021-02.io.flexmeasures.company:1:2:3", "connection", "does not fit"),
        ("ea1.2021-02.io.flexmeasures.company:30:abc", "connection", "as a connection address"),
        ("ea1.2021-02.io.flexmeasures.company:-1", "connection", "does not fit"),
        ("ea1.2021-02.io.flexmeasures.company:1.5", "connection", "does not fit"),
        ("ea1.2021-02.io.flexmeasures.company:5000:30:73", "connection", "does not fit"),
        ("ea1.2021-02.io..company:30:73", "connection", "not a valid reversed domain name"),
        ("abc:73", "connection", "as a connection address"),
        ("", "connection", "as a connection address"),
        ("30 73", "connection", "does not fit"),
        (
            "ea1.2018-06.io.flexmeasures.company:kpx da",
            "market",
            r"expected .*:<market-name> or <market-name>",
        ),
        ("ea1.2018-06.io.flexmeasures.company:1kpx", "market", "as a market address"),
        ("ea1.2018-06.io.flexmeasures.company:kpx:da", "market", "does not fit"),
        (
            "ea1.2018-06.io.flexmeasures.company:temperature:abc:126.4",
            "weather_sensor",
            "<latitude>:<longitude>",
        ),
        ("ea1.2018-06.io.flexmeasures.company:temperature:33.4", "weather_sensor", "does not fit"),
        (
            "ea1.2018-06.io.flexmeasures.company:temperature:91:126.4",
            "weather_sensor",
            "latitude 91 is not between -90 and 90",
        ),
        (
            "ea1.2018-06.io.flexmeasures.company:temperature:33:181",
            "weather_sensor",
            "longitude 181 is not between",
        ),
        (
            "ea1.2018-06.io.flexmeasures.company:temperature:1e3:12",
            "weather_sensor",
            "does not fit",
        ),
        (
            "ea1.2018-06.io.flexmeasures.company:7:10:soc",
            "event",
            "<owner-id>:<asset-id>:<event-id>",
        ),
        ("ea1.2018-06.io.flexmeasures.company:7:10:x203:soc", "event", "as an event address"),
        ("ea1.2018-06.io.flexmeasures.company:7:10:203:5", "event", "does not fit"),
        ("ea1.2018-06.localhost:5000:7:10:203", "event", "does not fit"),
        ("ea1.2021-01.io.flexmeasures.company:sensor1", "sensor", "<sensor-id>"),
    ],
)
def test_parse_bad_addresses(address, entity_type, message):
    with pytest.raises(EntityAddressException, match=message) as excinfo:
        parse_entity_address(address, entity_type)
    assert isinstance(excinfo.value, ValueError)
    assert repr(address) in str(excinfo.value)


@pytest.mark.parametrize("address", [None, 73, b"30:73"])
def test_parse_non_text(address):
    with pytest.raises(EntityAddressException, match="as text"):
        parse_entity_address(address, "connection")


def test_unknown_entity_type():
    with pytest.raises(EntityAddressException, match="Unknown entity type 'asset'.*connection"):
        parse_entity_address("30:73", "asset")
    with pytest.raises(EntityAddressException, match="Unknown entity type 'asset'"):
        build_entity_address({"asset_id": 1}, "asset", "flexmeasures.io", DEFAULT_HOSTS)


@pytest.mark.parametrize(
    "entity_info, entity_type, host, hosts_and_auth_start, expected",
    [
        (
            {"owner_id": 30, "asset_id": 73},
            "connection",
            "company.flexmeasures.io",
            {"company.flexmeasures.io": "2021-02"},
            "ea1.2021-02.io.flexmeasures.company:30:73",
        ),
        (
            {"asset_id": 73},
            "connection",
            "company.flexmeasures.io",
            {"flexmeasures.io": "2021-02"},
            "ea1.2021-02.io.flexmeasures.company:73",
        ),
        (
            {"owner_id": None, "asset_id": "73"},
            "connection",
            "https://company.flexmeasures.io/",
            {"flexmeasures.io": "2021-02"},
            "ea1.2021-02.io.flexmeasures.company:73",
        ),
        (
            {"owner_id": 11, "asset_id": 62},
            "connection",
            "localhost:5000",
            DEFAULT_HOSTS,
            "ea1.2018-06.localhost:5000:11:62",
        ),
        (
            {"owner_id": 1, "asset_id": 3},
            "connection",
            "localhost",
            DEFAULT_HOSTS,
            "ea1.2018-06.localhost:1:3",
        ),
        (
            {"market_name": "kpx_da"},
            "market",
            "company.flexmeasures.io",
            COMPANY_HOSTS,
            "ea1.2018-06.io.flexmeasures.company:kpx_da",
        ),
        (
            {"market_name": "epex_da"},
            "market",
            "localhost",
            DEFAULT_HOSTS,
            "ea1.2018-06.localhost:epex_da",
        ),
        (
            {
                "weather_sensor_type_name": "temperature",
                "latitude": 33.4843866,
                "longitude": 126.477859,
            },
            "weather_sensor",
            "company.flexmeasures.io",
            COMPANY_HOSTS,
            "ea1.2018-06.io.flexmeasures.company:temperature:33.4843866:126.477859",
        ),
        (
            {"weather_sensor_type_name": "wind_speed", "latitude": -33, "longitude": 0.00001},
            "weather_sensor",
            "company.flexmeasures.io",
            COMPANY_HOSTS,
            "ea1.2018-06.io.flexmeasures.company:wind_speed:-33:0.00001",
        ),
        (
            {"weather_sensor_type_name": "radiation", "latitude": "33.50", "longitude": 126.0},
            "weather_sensor",
            "company.flexmeasures.io",
            COMPANY_HOSTS,
            "ea1.2018-06.io.flexmeasures.company:radiation:33.50:126",
        ),
        (
            {"owner_id": 7, "asset_id": 10, "event_id": 203, "event_type": "soc"},
            "event",
            "company.flexmeasures.io",
            COMPANY_HOSTS,
            "ea1.2018-06.io.flexmeasures.company:7:10:203:soc",
        ),
        (
            {"owner_id": 7, "asset_id": 10, "event_id": 204, "event_type": "soc-with-targets"},
            "event",
            "company.flexmeasures.io",
            COMPANY_HOSTS,
            "ea1.2018-06.io.flexmeasures.company:7:10:204:soc-with-targets",
        ),
        (
            {"owner_id": 7, "asset_id": 10, "event_id": 203},
            "event",
            "company.flexmeasures.io",
            COMPANY_HOSTS,
            "ea1.2018-06.io.flexmeasures.company:7:10:203",
        ),
        (
            {"sensor_id": 42},
            "sensor",
            "flexmeasures.io",
            DEFAULT_HOSTS,
            "ea1.2021-01.io.flexmeasures:42",
        ),
    ],
)
def test_build_entity_address(entity_info, entity_type, host, hosts_and_auth_start, expected):
    assert build_entity_address(entity_info, entity_type, host, hosts_and_auth_start) == expected


@pytest.mark.parametrize(
    "entity_info, entity_type, host",
    [
        ({"owner_id": 30, "asset_id": 73}, "connection", "company.flexmeasures.io"),
        ({"asset_id": 73}, "connection", "company.flexmeasures.io"),
        ({"owner_id": 0, "asset_id": 0}, "connection", "flexmeasures.io"),
        ({"owner_id": 11, "asset_id": 62}, "connection", "localhost:5000"),
        ({"owner_id": 11, "asset_id": 62}, "connection", "127.0.0.1:5000"),
        ({"asset_id": 62}, "connection", "localhost"),
        ({"market_name": "kpx_da"}, "market", "company.flexmeasures.io"),
        ({"market_name": "epex_da"}, "market", "localhost:5000"),
        (
            {
                "weather_sensor_type_name": "temperature",
                "latitude": 33.4843866,
                "longitude": 126.477859,
            },
            "weather_sensor",
            "company.flexmeasures.io",
        ),
        (
            {"weather_sensor_type_name": "wind_speed", "latitude": -89.999999, "longitude": -179.5},
            "weather_sensor",
            "localhost:5000",
        ),
        (
            {"weather_sensor_type_name": "radiation", "latitude": 1e-07, "longitude": 33},
            "weather_sensor",
            "localhost",
        ),
        (
            {"owner_id": 7, "asset_id": 10, "event_id": 203, "event_type": "soc"},
            "event",
            "company.flexmeasures.io",
        ),
        (
            {"owner_id": 7, "asset_id": 10, "event_id": 204, "event_type": "soc-with-targets"},
            "event",
            "localhost:5000",
        ),
        ({"owner_id": 7, "asset_id": 10, "event_id": 203}, "event", "company.flexmeasures.io"),
        ({"sensor_id": 42}, "sensor", "company.flexmeasures.io"),
    ],
)
def test_round_trip(entity_info, entity_type, host):
    address = build_entity_address(entity_info, entity_type, host, DEFAULT_HOSTS)
    parsed = parse_entity_address(address, entity_type, host_optional=False)
    assert parsed.pop("scheme") == "ea1"
    assert parsed.pop("naming_authority") == build_naming_authority(host, DEFAULT_HOSTS)
    assert {key: value for key, value in parsed.items() if value is not None} == entity_info


def test_round_trip_limit_of_port_without_owner():
    """Documented ambiguity: on a host with a port, an owner-less connection reads as owner=port."""
    address = build_entity_address({"asset_id": 62}, "connection", "localhost:5000", DEFAULT_HOSTS)
    assert address == "ea1.2018-06.localhost:5000:62"
    parsed = parse_entity_address(address, "connection")
    assert (parsed["naming_authority"], parsed["owner_id"], parsed["asset_id"]) == (
        "2018-06.localhost",
        5000,
        62,
    )


@pytest.mark.parametrize(
    "entity_info, entity_type, message",
    [
        ({}, "connection", "missing asset_id"),
        ({"owner_id": 30}, "connection", "missing asset_id"),
        ({"owner_id": 30, "asset_id": None}, "connection", "missing asset_id"),
        (
            {"owner_id": 30, "asset_id": "abc"},
            "connection",
            "asset_id must be a non-negative integer",
        ),
        ({"owner_id": -1, "asset_id": 73}, "connection", "owner_id must be a non-negative integer"),
        (
            {"owner_id": True, "asset_id": 73},
            "connection",
            "owner_id must be a non-negative integer",
        ),
        ({"owner_id": "1:2", "asset_id": 73}, "connection", "owner_id must be"),
        ({}, "market", "missing market_name"),
        ({"market_name": "kpx da"}, "market", "market_name must be a name"),
        ({"market_name": "kpx.da"}, "market", "market_name must be a name"),
        ({}, "weather_sensor", "missing weather_sensor_type_name, latitude, longitude"),
        (
            {"weather_sensor_type_name": "temperature", "latitude": 33},
            "weather_sensor",
            "missing longitude",
        ),
        (
            {"weather_sensor_type_name": "temperature", "latitude": "abc", "longitude": 126},
            "weather_sensor",
            "latitude must be a latitude",
        ),
        (
            {"weather_sensor_type_name": "temperature", "latitude": 91, "longitude": 126},
            "weather_sensor",
            "latitude 91 is not between -90 and 90",
        ),
        (
            {"weather_sensor_type_name": "temperature", "latitude": 33, "longitude": float("nan")},
            "weather_sensor",
            "longitude must be",
        ),
        ({"owner_id": 7, "asset_id": 10}, "event", "missing event_id"),
        ({"event_type": "soc"}, "event", "missing owner_id, asset_id, event_id"),
        (
            {"owner_id": 7, "asset_id": 10, "event_id": 1, "event_type": "2"},
            "event",
            "event_type must be",
        ),
        ({}, "sensor", "missing sensor_id"),
    ],
)
def test_build_bad_entity_info(entity_info, entity_type, message):
    with pytest.raises(EntityAddressException, match=message):
        build_entity_address(entity_info, entity_type, "company.flexmeasures.io", DEFAULT_HOSTS)


def test_build_with_bad_host_or_config():
    with pytest.raises(EntityAddressException, match="not a valid domain name"):
        build_entity_address({"asset_id": 1}, "connection", "bad host.com", DEFAULT_HOSTS)
    with pytest.raises(EntityAddressException, match="Invalid date code '2021-13'"):
        build_entity_address(
            {"asset_id": 1}, "connection", "company.flexmeasures.io", {"flexmeasures.io": "2021-13"}
        )
