"""Reading bokeh json_items in tests: the y values of each named line."""

from __future__ import annotations

import base64
import gzip

import numpy as np


def lines(item: dict) -> dict[str, list[float]]:
    """The y values of each named line in a json_item (legend label → decoded values)."""
    found = {}

    def walk(node):
        if isinstance(node, dict):
            attributes = node.get("attributes", {})
            if node.get("name") == "GlyphRenderer" and attributes.get("name"):
                data = attributes["data_source"]["attributes"]["data"]["entries"]
                found[attributes["name"]] = decoded(dict(data)["y"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(item)
    return found


def bands(item: dict) -> list[tuple[list[float], list[float]]]:
    """The (lower, upper) values of each uncertainty band (VArea glyph) in a json_item."""
    found = []

    def walk(node):
        if isinstance(node, dict):
            attributes = node.get("attributes", {})
            if node.get("name") == "GlyphRenderer" and _glyph(attributes) == "VArea":
                data = dict(attributes["data_source"]["attributes"]["data"]["entries"])
                found.append((decoded(data["y1"]), decoded(data["y2"])))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(item)
    return found


def _glyph(attributes: dict) -> str | None:
    glyph = attributes.get("glyph")
    return glyph.get("name") if isinstance(glyph, dict) else None


def decoded(values) -> list[float]:
    """y values from a json_item (a list, or an ndarray: base64 of (gzipped) float64)."""
    if isinstance(values, dict) and values.get("type") == "ndarray":
        raw = values["array"]["data"] if isinstance(values["array"], dict) else values["array"]
        data = base64.b64decode(raw)
        if data[:2] == b"\x1f\x8b":  # bokeh gzips larger arrays
            data = gzip.decompress(data)
        return np.frombuffer(data, dtype=values["dtype"]).tolist()
    return list(values)
