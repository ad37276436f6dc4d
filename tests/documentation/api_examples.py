"""Reading the examples of the API reference (documentation/api/*.md) and comparing answers.

An example is an HTML comment naming the request, followed by fenced JSON blocks: the
request body, then the expected response body (prose may stand between them)::

    <!-- example: POST /api/v2_0/postMeterData as mdc expect 200 -->
    ```json
    {"type": "PostMeterDataRequest", ...}
    ```
    ```json
    {"type": "PostMeterDataResponse", "status": "PROCESSED", ...}
    ```

The comment reads ``example: <METHOD> <path> [as <user>] expect <HTTP status> [flags]``;
readers do not see it, so the request line itself (```<METHOD> <path>``` in backticks)
must appear between the comment and the first block.
Without ``as``, no token is sent. Flags: ``no-request`` (no request block: the message
is in the path's query string, or there is none), ``no-response`` (no response block,
e.g. for 204), ``after-jobs`` (run the queued jobs before sending the request).

The expected response is a subset of the real one (see ``mismatches``): ``"..."`` stands
for any value, a string ending in ``...`` for any string starting with what precedes it,
and a list ending in ``"..."`` for a list starting with the items before it.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HEADER = re.compile(r"<!--\s*example:\s*(?P<spec>.*?)\s*-->")
SPEC = re.compile(
    r"(?P<method>GET|POST|PUT|PATCH|DELETE)\s+(?P<path>\S+)"
    r"(?:\s+as\s+(?P<user>[\w-]+))?\s+expect\s+(?P<status>\d{3})(?P<flags>(?:\s+[\w-]+)*)$"
)
FLAGS = ("no-request", "no-response", "after-jobs")
FENCE = "```"
ANY = "..."


class ExampleError(ValueError):
    """An example in the documentation is malformed; the message says where and why."""


@dataclass(frozen=True)
class Example:
    """One documented request with the answer it gets."""

    page: str
    line: int
    spec: str
    method: str
    path: str
    user: str | None
    status: int
    flags: tuple[str, ...]
    request: Any = None
    response: Any = None

    @property
    def test_id(self) -> str:
        """A readable pytest id, e.g. ``v2_0.md:120 POST /api/v2_0/postMeterData``."""
        return f"{self.page}:{self.line} {self.method} {self.path.split('?')[0]}"


def parse_spec(spec: str, where: str) -> dict[str, Any]:
    """The parts of an example comment (method, path, user, status, flags)."""
    match = SPEC.match(spec)
    if not match:
        raise ExampleError(
            f"{where}: cannot read '{spec}'; write '<METHOD> <path> [as <user>] expect <status> "
            "[flags]'"
        )
    flags = tuple(match["flags"].split())
    unknown = [flag for flag in flags if flag not in FLAGS]
    if unknown:
        raise ExampleError(f"{where}: unknown flags {unknown}; use {', '.join(FLAGS)}")
    return {
        "method": match["method"],
        "path": match["path"],
        "user": match["user"],
        "status": int(match["status"]),
        "flags": flags,
    }


def fenced_blocks(lines: list[str], start: int, end: int) -> list[tuple[int, str]]:
    """The fenced code blocks between two line indexes, with their first line numbers."""
    blocks, opened, body = [], None, []
    for index in range(start, end):
        line = lines[index].strip()
        if opened is None and line.startswith(FENCE):
            opened, body = index, []
        elif opened is not None and line == FENCE:
            blocks.append((opened + 2, "\n".join(body)))
            opened = None
        elif opened is not None:
            body.append(lines[index])
    return blocks


def _json(block: tuple[int, str], page: str) -> Any:
    line, text = block
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise ExampleError(f"{page}:{line}: the block is no valid JSON ({error})") from error


def parse_examples(path: Path) -> list[Example]:
    """Every example of a Markdown page, in file order. Raises ExampleError."""
    lines = path.read_text().splitlines()
    headers = [(i, m["spec"]) for i, line in enumerate(lines) if (m := HEADER.search(line))]
    examples = []
    for number, (index, spec) in enumerate(headers):
        where = f"{path.name}:{index + 1}"
        parts = parse_spec(spec, where)
        end = headers[number + 1][0] if number + 1 < len(headers) else len(lines)
        blocks = fenced_blocks(lines, index + 1, end)
        wanted = [f for f in ("no-request", "no-response") if f not in parts["flags"]]
        if len(blocks) < len(wanted):
            raise ExampleError(
                f"{where}: expected {len(wanted)} fenced blocks before the next example "
                f"(request and response, unless flagged no-request/no-response), "
                f"found {len(blocks)}"
            )
        request_line = f"`{parts['method']} {parts['path']}`"
        shown_before = "\n".join(lines[index + 1 : (blocks[0][0] - 2) if blocks else end])
        if request_line not in shown_before:
            raise ExampleError(f"{where}: show the request as {request_line} before its blocks")
        bodies = dict(zip(wanted, blocks, strict=False))
        examples.append(
            Example(
                page=path.name,
                line=index + 1,
                spec=spec,
                request=_json(bodies["no-request"], path.name) if "no-request" in bodies else None,
                response=(
                    _json(bodies["no-response"], path.name) if "no-response" in bodies else None
                ),
                **parts,
            )
        )
    return examples


def mismatches(expected: Any, actual: Any, where: str = "body") -> list[str]:
    """How ``actual`` fails to contain ``expected`` (empty: it does); see the module doc."""
    if expected == ANY:
        return []
    if isinstance(expected, dict):
        return _dict_mismatches(expected, actual, where)
    if isinstance(expected, list):
        return _list_mismatches(expected, actual, where)
    if isinstance(expected, str) and expected.endswith(ANY):
        prefix = expected.removesuffix(ANY)
        if isinstance(actual, str) and actual.startswith(prefix):
            return []
        return [f"{where}: expected a text starting with {prefix!r}, got {actual!r}"]
    if _same_scalar(expected, actual):
        return []
    return [f"{where}: expected {expected!r}, got {actual!r}"]


def _dict_mismatches(expected: dict, actual: Any, where: str) -> list[str]:
    if not isinstance(actual, dict):
        return [f"{where}: expected an object, got {actual!r}"]
    found = []
    for key, value in expected.items():
        if key not in actual:
            found.append(f"{where}.{key}: missing (expected {value!r})")
        else:
            found.extend(mismatches(value, actual[key], f"{where}.{key}"))
    return found


def _list_mismatches(expected: list, actual: Any, where: str) -> list[str]:
    if not isinstance(actual, list):
        return [f"{where}: expected a list, got {actual!r}"]
    is_prefix = bool(expected) and expected[-1] == ANY
    items = expected[:-1] if is_prefix else expected
    if len(actual) < len(items) or (not is_prefix and len(actual) != len(items)):
        return [f"{where}: expected {len(items)} items, got {len(actual)}: {actual!r}"]
    found = []
    for index, item in enumerate(items):
        found.extend(mismatches(item, actual[index], f"{where}[{index}]"))
    return found


def _same_scalar(expected: Any, actual: Any) -> bool:
    """Equal values of the same JSON type (numbers compared with a tolerance)."""
    if isinstance(expected, bool) or isinstance(actual, bool):
        return type(expected) is type(actual) and expected == actual
    if isinstance(expected, (int, float)) and isinstance(actual, (int, float)):
        return math.isclose(expected, actual, rel_tol=1e-9, abs_tol=1e-9)
    return type(expected) is type(actual) and expected == actual
