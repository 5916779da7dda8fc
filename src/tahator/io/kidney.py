"""Kidney-exchange ``.input`` files (the reference instances the matching is
measured on): a header ``vertices arcs``, then one ``source target weight`` a line,
ended by ``-1 -1 -1``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tahator.domain.errors import InputError, Problem
from tahator.domain.matching import FloatArray, IntArray
from tahator.io.tables import Problems


@dataclass(frozen=True)
class KepInstance:
    """A compatibility graph: vertices 0 … vertices-1 and weighted arcs."""

    vertices: int
    tails: IntArray
    heads: IntArray
    weights: FloatArray


def read_kep(path: Path) -> KepInstance:
    """The instance in ``path``; ``InputError`` names each line that is wrong."""
    label = str(path)
    try:
        lines = path.read_text(encoding="utf-8").split("\n")
    except (OSError, UnicodeDecodeError) as error:
        raise InputError([Problem(f"cannot read the file: {error}", label)]) from error
    problems = Problems()
    try:
        vertices, arcs = (int(x) for x in lines[0].split())
    except (ValueError, IndexError):
        raise InputError([Problem("the first line must be 'vertices arcs'", label, 1)]) from None
    tails: list[int] = []
    heads: list[int] = []
    weights: list[float] = []
    seen = set()
    for number, line in enumerate(lines[1:], start=2):
        fields = line.split()
        if not fields:
            continue
        if fields[:2] == ["-1", "-1"]:
            break
        try:
            tail, head, weight = int(fields[0]), int(fields[1]), float(fields[2])
        except (ValueError, IndexError):
            problems.add(Problem(f"{line.strip()!r} is not 'source target weight'", label, number))
            continue
        if tail < 0 or head < 0 or tail == head or not weight >= 0 or weight == float("inf"):
            problems.add(Problem(f"arc {tail} -> {head} ({weight}) is not allowed", label, number))
            continue
        if (tail, head) in seen:
            problems.add(Problem(f"arc {tail} -> {head} appears twice", label, number))
            continue
        seen.add((tail, head))
        tails.append(tail)
        heads.append(head)
        weights.append(weight)
    problems.raise_if_any()
    if len(tails) != arcs:
        raise InputError(
            [Problem(f"the header says {arcs} arcs, the file has {len(tails)}", label, 1)]
        )
    vertices = max([vertices, *(t + 1 for t in tails), *(h + 1 for h in heads)])
    return KepInstance(
        vertices,
        np.array(tails, np.int64),
        np.array(heads, np.int64),
        np.array(weights, np.float64),
    )
