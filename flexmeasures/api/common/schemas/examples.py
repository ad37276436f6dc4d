"""Example messages from the seed's API chapters, by message type.

The OpenAPI document shows them as request examples, and tests check that each one
validates against its schema and parses with the message parser. Typeset breaks of the
seed are mended, and its "eal." misprint of sensor addresses reads "ea1.".
"""

from __future__ import annotations

from typing import Any

# What every answer of a processed request carries (the seed's response examples omit it).
_PROCESSED = {"status": "PROCESSED", "message": "Request has been processed."}
_FULL_CONNECTION = "ea1.2018-06.io.flexmeasures.company:1:{}"
_CHARGING = [306.66, 306.66, 0, 0, 306.66, 306.66]
_EPEX_DAY = [
    52.37, 51.14, 49.09, 48.35, 48.47, 49.98, 58.7, 67.76, 69.21, 70.26, 70.46, 70,
    70.7, 70.41, 70, 64.53, 65.92, 69.72, 70.51, 75.49, 70.35, 70.01, 66.98, 58.61,
]  # fmt: skip

SEED_EXAMPLES: dict[str, dict[str, dict[str, Any]]] = {
    "PostMeterDataRequest": {
        "Single value, single connection (seed 15.4.1)": {
            "type": "PostMeterDataRequest",
            "connection": _FULL_CONNECTION.format(1),
            "value": 220,
            "start": "2015-01-01T00:00:00+00:00",
            "duration": "PT0H15M",
            "horizon": "-PT5M",
            "unit": "MW",
        },
        "Single identical value, multiple connections (seed 15.4.3)": {
            "type": "PostMeterDataRequest",
            "connections": [_FULL_CONNECTION.format(1), _FULL_CONNECTION.format(2)],
            "value": 10,
            "start": "2015-01-01T00:00:00+00:00",
            "duration": "PT0H15M",
            "horizon": "-PT5M",
            "unit": "MW",
        },
        "Multiple values, multiple connections (seed 15.4.5)": {
            "type": "PostMeterDataRequest",
            "groups": [
                {"connection": _FULL_CONNECTION.format(1), "values": [220, 210, 200]},
                {"connection": _FULL_CONNECTION.format(2), "values": [300, 303, 306]},
            ],
            "start": "2015-01-01T00:00:00+00:00",
            "duration": "PT0H45M",
            "horizon": "-PT5M",
            "unit": "MW",
        },
        "Charging stations by name (seed: v2.0 postMeterData)": {
            "type": "PostMeterDataRequest",
            "groups": [
                {"connections": ["CS 1", "CS 3"], "values": _CHARGING},
                {"connections": ["CS 2"], "values": [306.66, 0, 0, 0, 306.66, 306.66]},
            ],
            "start": "2021-01-01T00:00:00Z",
            "duration": "PT1H30M",
            "unit": "MW",
        },
    },
    "PostPrognosisRequest": {
        "Prognosis made the day before (seed: v2.0 postPrognosis)": {
            "type": "PostPrognosisRequest",
            "groups": [
                {
                    "connections": ["ea1.2018-06.localhost:1:3", "ea1.2018-06.localhost:1:4"],
                    "values": [300, 300, 300, 0, 0, 300],
                },
                {
                    "connections": ["ea1.2018-06.localhost:1:5"],
                    "values": [300, 0, 0, 0, 300, 300],
                },
            ],
            "start": "2021-01-01T00:00:00Z",
            "duration": "PT1H30M",
            "prior": "2020-12-31T18:00:00Z",
            "unit": "MW",
        },
    },
    "PostPriceDataRequest": {
        "Day-ahead prices (seed: v2.0 postPriceData)": {
            "type": "PostPriceDataRequest",
            "market": "ea1.2018-06.localhost:epex_da",
            "values": _EPEX_DAY,
            "start": "2021-01-01T00:00:00+01:00",
            "duration": "PT24H",
            "prior": "2020-12-31T13:00:00+01:00",
            "unit": "EUR/MWh",
        },
    },
    "PostWeatherDataRequest": {
        "Temperature forecasts (seed: v2.0 postWeatherData)": {
            "type": "PostWeatherDataRequest",
            "groups": [
                {
                    "sensor": "ea1.2018-06.localhost:temperature:33.4843866:126.477859",
                    "values": [20.04, 20.23, 20.41, 20.51, 20.55, 20.57],
                }
            ],
            "start": "2021-01-01T15:00:00+09:00",
            "duration": "PT1H30M",
            "prior": "2021-01-01T12:00:00+09:00",
            "unit": "°C",
        },
    },
    "GetMeterDataRequest": {
        "Measured consumption of a charging station (seed: v2.0 getMeterData)": {
            "type": "GetMeterDataRequest",
            "connection": "CS 1",
            "start": "2015-01-01T00:00:00Z",
            "duration": "PT1H30M",
            "unit": "MW",
        },
    },
    "GetPrognosisRequest": {
        "Prognosis with a rolling horizon of 6 hours (seed 15.5)": {
            "type": "GetPrognosisRequest",
            "connection": _FULL_CONNECTION.format(1),
            "start": "2015-01-01T00:00:00+00:00",
            "duration": "PT24H",
            "horizon": "PT6H",
            "resolution": "PT15M",
            "unit": "MW",
        },
    },
    "GetServiceRequest": {
        "Services of version 1.0 (seed: Introduction)": {
            "type": "GetServiceRequest",
            "version": "1.0",
        },
    },
    "GetMeterDataResponse": {
        "Measured consumption of a charging station (seed: v2.0 getMeterData)": {
            "type": "GetMeterDataResponse",
            "connection": "CS 1",
            "values": _CHARGING,
            "start": "2015-01-01T00:00:00Z",
            "duration": "PT1H30M",
            "unit": "MW",
            **_PROCESSED,
        },
    },
    "GetConnectionResponse": {
        "Four connections of three owners (seed: v2.0 getConnection)": {
            "type": "GetConnectionResponse",
            "connections": [
                "ea1.2018-06.io.flexmeasures.company:3:4",
                "ea1.2018-06.io.flexmeasures.company:8:3",
                "ea1.2018-06.io.flexmeasures.company:9:2",
                "ea1.2018-06.io.flexmeasures.company:3:1",
            ],
            "names": ["CS 4", "CS 3", "CS 2", "CS 1"],
            **_PROCESSED,
        },
    },
    "GetServiceResponse": {
        "Services of version 1.0 (seed: Introduction)": {
            "type": "GetServiceResponse",
            "version": "1.0",
            "services": [
                {
                    "name": "getMeterData",
                    "access": ["Aggregator", "Supplier", "MDC", "DSO", "Prosumer", "ESCo"],
                    "description": "Request meter reading",
                },
                {"name": "postMeterData", "access": ["MDC"], "description": "Send meter reading"},
            ],
            **_PROCESSED,
        },
    },
    "RestoreDataRequest": {
        "Restore the demo backup (seed: Simulation)": {"backup": "demo_v0"},
    },
}
