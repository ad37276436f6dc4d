"""The app's JSON provider: Flask's, except that JSON nested too deeply to parse counts as
malformed (a ValueError, so a 400 wherever requests are read) instead of a RecursionError."""

from __future__ import annotations

from typing import Any

from flask.json.provider import DefaultJSONProvider


class NestingSafeJSONProvider(DefaultJSONProvider):
    """Flask's default JSON provider, refusing too deeply nested documents as invalid JSON."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        """Parse JSON text; raises ValueError for invalid or too deeply nested JSON."""
        try:
            return super().loads(s, **kwargs)
        except RecursionError as exc:
            raise ValueError("The JSON document is nested too deeply.") from exc
