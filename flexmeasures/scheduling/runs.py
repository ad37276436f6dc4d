"""Runs of consecutive steps, for naming stretches of time in messages."""

from __future__ import annotations

import numpy as np


def true_runs(flags: np.ndarray) -> list[tuple[int, int]]:
    """(first, last + 1) index pairs of the runs of True in a boolean array, in order."""
    padded = np.concatenate(([0], np.asarray(flags, dtype=np.int8), [0]))
    edges = np.flatnonzero(np.diff(padded))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True))
