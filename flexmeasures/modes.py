"""Modes: what ``FLEXMEASURES_MODE`` "demo" and "play" change (the seed's chapter Modes).

Each behaviour that differs per mode has one small helper here, taking the app's config
(any mapping, e.g. ``current_app.config``), so that API, UI, data and job code ask the
same question the same way instead of comparing mode strings themselves.

- Demo (a demonstration server): ``FLEXMEASURES_DEMO_YEAR`` translates the current year,
  logged-in users may view the queues, ``FLEXMEASURES_PUBLIC_DEMO_CREDENTIALS`` are shown on
  the login page, the dashboard shows all asset groups, and analytics and portfolio pages
  mock confidence intervals and flexibility numbers.
- Play (simulations): existing beliefs may be overwritten, recording times are inferred
  as right after the event, posted prices and weather do not trigger forecasts, the
  ``restoreData`` endpoint exists, posting weather for a new location creates a sensor,
  UDI events need not be consecutive, connections are named by their unique names, and
  the dashboard's latest power value may lie in the future.

``FLEXMEASURES_MODE`` is checked at start-up (see ``flexmeasures.config``): only the names in
``VALID_MODES`` are accepted. This module imports nothing heavy: the CLI imports it early.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

DEMO_MODE = "demo"
PLAY_MODE = "play"
VALID_MODES = ("", DEMO_MODE, PLAY_MODE)
DATA_KINDS = ("power", "price", "weather")

Config = Mapping[str, Any]


def current_mode(config: Config) -> str:
    """The configured mode, lower-case and stripped ("" when none is set)."""
    return str(config.get("FLEXMEASURES_MODE") or "").strip().lower()


def is_demo_mode(config: Config) -> bool:
    """True when the server runs as a demonstration tool."""
    return current_mode(config) == DEMO_MODE


def is_play_mode(config: Config) -> bool:
    """True when the server runs simulations."""
    return current_mode(config) == PLAY_MODE


def demo_year_translation(
    dt: datetime, config: Config, current_year: int | None = None
) -> datetime:
    """Translate a datetime so that the current year becomes ``FLEXMEASURES_DEMO_YEAR``.

    Only in demo mode with a demo year set; otherwise ``dt`` is returned unchanged. The
    shift is a whole number of years (so last year becomes the year before the demo year),
    keeping month, day, time and timezone; 29 February becomes 28 February in a non-leap
    year. ``current_year`` defaults to the year on the server's clock (in ``dt``'s timezone).
    """
    demo_year = config.get("FLEXMEASURES_DEMO_YEAR")
    if not is_demo_mode(config) or demo_year is None:
        return dt
    if current_year is None:
        current_year = datetime.now(dt.tzinfo).year
    year = dt.year + int(demo_year) - current_year
    try:
        return dt.replace(year=year)
    except ValueError:  # 29 February in a non-leap year
        return dt.replace(year=year, day=28)


def demo_year_offset(start: datetime, config: Config, current_year: int | None = None) -> timedelta:
    """How far data reads of a window starting at ``start`` move in demo mode: the
    translation of ``start`` to the demo year (see ``demo_year_translation``) as one
    duration (whole days), so that the window keeps its length and its grid; zero
    outside demo mode or without a demo year. Data read from ``window + offset`` is shown
    at ``event time − offset``."""
    return demo_year_translation(start, config, current_year) - start


def server_now(config: Config) -> datetime:
    """The current time (timezone-aware, UTC), translated to the demo year in demo mode."""
    return demo_year_translation(datetime.now(UTC), config)


def may_overwrite_beliefs(config: Config) -> bool:
    """True if saving data may replace existing beliefs (play mode only)."""
    return is_play_mode(config)


def belief_time_at_event_end(config: Config) -> bool:
    """True if the recording time of posted data is inferred as right after the event
    (play mode), rather than the time the server received the data."""
    return is_play_mode(config)


def should_enqueue_forecasts_for(data_kind: str, config: Config) -> bool:
    """Whether posting data of this kind ("power", "price" or "weather") triggers forecasting
    jobs: always for power; for prices and weather, not in play mode.

    Raises ValueError for an unknown data kind.
    """
    if data_kind not in DATA_KINDS:
        raise ValueError(
            f"Unknown data kind '{data_kind}'; choose one of: {', '.join(DATA_KINDS)}."
        )
    return data_kind == "power" or not is_play_mode(config)


def may_restore_data(config: Config) -> bool:
    """True if the ``restoreData`` endpoint (database resets through the API) is registered."""
    return is_play_mode(config)


def creates_weather_sensor_on_post(config: Config) -> bool:
    """True if posting weather data for a new location creates a weather sensor there (play),
    instead of refusing the data (UNRECOGNIZED_SENSOR, naming the nearest sensor)."""
    return is_play_mode(config)


def enforce_consecutive_udi_events(config: Config) -> bool:
    """True if posted UDI event ids must be consecutive (everywhere but play mode)."""
    return not is_play_mode(config)


def uses_unique_connection_names(config: Config) -> bool:
    """True if ``GetConnectionResponse`` names connections by their unique database names
    (play mode) rather than their display names."""
    return is_play_mode(config)


def may_show_future_power(config: Config) -> bool:
    """True if the dashboard's latest power value may lie in the future (play mode)."""
    return is_play_mode(config)


def can_view_queues(user: Any, config: Config) -> bool:
    """True if this user may view the job queues: admins, and in demo mode any logged-in user."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return bool(getattr(user, "is_admin", False)) or is_demo_mode(config)


def shows_all_asset_groups(config: Config) -> bool:
    """True if the dashboard shows all non-empty asset groups, not only the user's (demo)."""
    return is_demo_mode(config)


def mocks_confidence_intervals(config: Config) -> bool:
    """True if analytics mocks confidence intervals around power, price and weather (demo)."""
    return is_demo_mode(config)


def mocks_flexibility(config: Config) -> bool:
    """True if the portfolio page mocks flexibility numbers and a control action (demo)."""
    return is_demo_mode(config)


def public_demo_credentials(config: Config) -> tuple[str, str] | None:
    """The (email, password) visitors may log in with: only in demo mode and when
    ``FLEXMEASURES_PUBLIC_DEMO_CREDENTIALS`` holds two strings; otherwise None."""
    credentials = config.get("FLEXMEASURES_PUBLIC_DEMO_CREDENTIALS")
    if not is_demo_mode(config) or not credentials or len(credentials) != 2:
        return None
    email, password = credentials
    if not (isinstance(email, str) and isinstance(password, str)):
        return None
    return email, password


def show_demo_credentials_on_login(app: Any) -> None:
    """In demo mode with public credentials, show them on the login page (as a message)."""
    credentials = public_demo_credentials(app.config)
    security = app.extensions.get("security")
    if credentials is None or security is None:
        return
    from flask import flash

    def demo_credentials_context() -> dict[str, Any]:
        """Flash the demo account on the login page; also offer it to login templates."""
        flash(f"Try this demo with email {credentials[0]} and password {credentials[1]}.", "info")
        return {"demo_credentials": credentials}

    security.login_context_processor(demo_credentials_context)
