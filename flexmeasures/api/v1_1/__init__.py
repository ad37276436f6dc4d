"""API version 1.1: v1.0 plus connections, prognoses, prices and weather data; getMeterData
only by GET; in play mode, restoreData (seed chapter "Version 1.1", change log v1.1-2)."""

from dataclasses import replace

from flexmeasures.api.common.implementations.connections import get_connection
from flexmeasures.api.common.implementations.power import get_prognosis, post_prognosis
from flexmeasures.api.common.implementations.prices import post_price_data
from flexmeasures.api.common.implementations.restore import restore_data
from flexmeasures.api.common.implementations.weather import post_weather_data
from flexmeasures.api.common.versioning import ALL_USEF_ROLES, Service
from flexmeasures.api.v1 import v1
from flexmeasures.modes import PLAY_MODE

v1_1 = v1.derive(
    "v1_1",
    "1.1",
    add=[
        replace(v1.services["getMeterData"], methods=("GET",)),
        Service(
            "getConnection",
            get_connection,
            ("GET",),
            ALL_USEF_ROLES,
            "Request entity addresses of connections",
        ),
        Service("getPrognosis", get_prognosis, ("GET",), ALL_USEF_ROLES, "Request load planning"),
        Service("postPrognosis", post_prognosis, ("POST",), ALL_USEF_ROLES, "Send prediction"),
        Service("postPriceData", post_price_data, ("POST",), ALL_USEF_ROLES, "Send prices"),
        Service(
            "postWeatherData",
            post_weather_data,
            ("POST",),
            ALL_USEF_ROLES,
            "Send weather forecasts or weather sensor observations",
        ),
        Service(
            "restoreData",
            restore_data,
            ("PUT",),
            (),
            "Restore the database to a backup (admins only; play mode only)",
            only_in_mode=PLAY_MODE,
        ),
    ],
)
