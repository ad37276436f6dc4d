"""Reading bokeh json_items in tests: the values of each named line and of each band."""

from __future__ import annotations

import base64
import gzip
import json
from collections.abc import Iterator

import numpy as np


def renderers(node) -> Iterator[dict]:
    """The attributes of every glyph renderer in a json_item (or part of one)."""
    if isinstance(node, dict):
        if node.get("name") == "GlyphRenderer":
            yield node.get("attributes", {})
        for value in node.values():
            yield from renderers(value)
    elif isinstance(node, list):
        for value in node:
            yield from renderers(value)


def _data(attributes: dict) -> dict:
    return dict(attributes["data_source"]["attributes"]["data"]["entries"])


def _glyph(attributes: dict) -> str | None:
    glyph = attributes.get("glyph")
    return glyph.get("name") if isinstance(glyph, dict) else None


def lines(item: dict) -> dict[str, list[float]]:
    """The y values of each named line in a json_item (legend label → decoded values)."""
    return {
        attributes["name"]: decoded(_data(attributes)["y"])
        for attributes in renderers(item)
        if attributes.get("name")
    }


def bands(item: dict) -> list[tuple[list[float], list[float]]]:
    """The (lower, upper) values of each uncertainty band (VArea glyph) in a json_item."""
    return [
        (decoded(_data(attributes)["y1"]), decoded(_data(attributes)["y2"]))
        for attributes in renderers(item)
        if _glyph(attributes) == "VArea"
    ]


def decoded(values) -> list[float]:
    """Values from a json_item (a list, or an ndarray: base64 of (gzipped) float64)."""
    if isinstance(values, dict) and values.get("type") == "ndarray":
        raw = values["array"]["data"] if isinstance(values["array"], dict) else values["array"]
        data = base64.b64decode(raw)
        if data[:2] == b"\x1f\x8b":  # bokeh gzips larger arrays
            data = gzip.decompress(data)
        return np.frombuffer(data, dtype=values["dtype"]).tolist()
    return list(values)


def in_bokehs_key_order(text: str) -> bool:
    """True if json_item text keeps bokeh's key order (objects start with "type"), as
    BokehJS needs: with sorted keys (Flask's JSON default) embedding fails in the browser
    with "reference ... isn't known" (seen in Chromium)."""
    item = json.loads(text)
    root = item["doc"]["roots"][0]
    return list(item)[:2] == ["target_id", "root_id"] and list(root)[0] == "type"
