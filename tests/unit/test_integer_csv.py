"""The NumPy reader and writer of integer CSV files, and the component search on
graphs large enough for its NumPy path, each against a plain Python or SciPy answer."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from tahator.domain import clearing
from tahator.domain.clearing import arcs_on_cycles
from tahator.io.integer_csv import (
    all_distinct,
    format_integer_rows,
    number_by_appearance,
    parse_integer_rows,
)

BIG = 10**18 - 1  # the widest field the reader takes


def python_lines(columns: list[list[int]]) -> bytes:
    return "".join(",".join(map(str, row)) + "\n" for row in zip(*columns, strict=True)).encode()


integers = st.one_of(st.integers(0, 99), st.integers(0, 10**9), st.integers(0, 2**63 - 1))


@settings(max_examples=200, deadline=None)
@given(
    st.integers(1, 4).flatmap(
        lambda width: st.lists(st.lists(integers, min_size=width, max_size=width), min_size=1)
    ),
    st.sampled_from([1, 2, 3, 1 << 16]),
)
def test_formatted_rows_are_what_str_writes(rows: list[list[int]], block: int) -> None:
    columns = [np.array(column, dtype=np.int64) for column in zip(*rows, strict=True)]
    written = b"".join(format_integer_rows(columns, block=block))
    assert written == python_lines([list(map(int, c)) for c in columns])


def test_formatting_edges() -> None:
    values = [0, 1, 9, 10, 99, 100, 101, 2**32 - 1, 2**32, 10**17, 2**63 - 1]
    column = np.array(values, dtype=np.int64)
    assert b"".join(format_integer_rows([column, column[::-1]])) == python_lines(
        [values, values[::-1]]
    )
    assert list(format_integer_rows([np.zeros(0, dtype=np.int64)])) == []


canonical = st.one_of(st.integers(0, 999), st.integers(0, BIG)).map(str)


@settings(max_examples=200, deadline=None)
@given(
    st.integers(1, 4).flatmap(
        lambda width: st.lists(st.lists(canonical, min_size=width, max_size=width), min_size=1)
    ),
    st.sampled_from(["\n", "\r\n"]),
    st.sampled_from(["", "\n", "\r\n", "\n\n"]),
    st.sampled_from([1, 7, 1 << 18]),
)
def test_canonical_rows_are_parsed(
    rows: list[list[str]], line_end: str, trailing: str, block: int
) -> None:
    text = line_end.join(",".join(row) for row in rows) + trailing
    data = b"header\n" + text.encode()
    parsed = parse_integer_rows(data, len(b"header\n"), len(rows[0]), block=block)
    assert parsed is not None
    assert parsed.tolist() == [[int(field) for field in row] for row in rows]


@pytest.mark.parametrize(
    "body",
    [
        "",
        "\n\n",
        "1,2,3\n\n4,5,6\n",  # a blank line inside
        "1,2,3\n4,5\n",  # a short row
        "1,2,3,4\n",  # a long row
        "1,2,03\n",  # a leading zero
        "1,2,-3\n",
        "1,2,+3\n",
        "1, 2,3\n",
        "1,2,3.5\n",
        "1,2,\n",
        "1,2,1234567890123456789\n",  # 19 digits
        "1,2,3\r4,5,6\n",  # a lone carriage return
        "1,2,3\r\r\n4,5,6\n",
        "a,2,3\n",
        "1,2,3\x0c\n",
    ],
)
def test_anything_else_is_left_to_the_general_reader(body: str) -> None:
    assert parse_integer_rows(b"h\n" + body.encode(), 2, 3) is None


def test_a_block_boundary_inside_a_crlf_line_end() -> None:
    rows = [[str(i), str(i + 1), str(10 * i)] for i in range(200)]
    data = b"h\r\n" + "\r\n".join(",".join(row) for row in rows).encode() + b"\r\n"
    for block in range(1, 40):
        parsed = parse_integer_rows(data, 3, 3, block=block)
        assert parsed is not None
        assert parsed.tolist() == [[int(f) for f in r] for r in rows]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(st.integers(0, 50), st.integers(0, 2**62)), max_size=200))
def test_numbering_by_first_appearance(values: list[int]) -> None:
    distinct, index = number_by_appearance(np.array(values, dtype=np.int64))
    expected = list(dict.fromkeys(values))
    assert distinct.tolist() == expected
    assert index.tolist() == [expected.index(v) for v in values]
    assert all_distinct(np.array(values, dtype=np.int64)) == (len(expected) == len(values))


# --- the component search on large graphs -------------------------------------------------


def scipy_on_cycles(tails: np.ndarray, heads: np.ndarray) -> np.ndarray:
    nodes = int(max(tails.max(), heads.max())) + 1
    graph = coo_matrix((np.ones(tails.size), (tails, heads)), shape=(nodes, nodes)).tocsr()
    _, labels = connected_components(graph, directed=True, connection="strong")
    return labels[tails] == labels[heads]


def scale_free(seed: int, arcs: int, nodes: int, spread: float) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    weight = 1.0 / np.arange(1, nodes + 1) ** spread
    tails = rng.choice(nodes, arcs, p=rng.permutation(weight) / weight.sum())
    heads = rng.choice(nodes, arcs, p=rng.permutation(weight) / weight.sum())
    return tails.astype(np.int64), heads.astype(np.int64)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize(("arcs", "nodes", "spread"), [(5_000, 3_000, 0.9), (30_000, 20_000, 0.5)])
def test_large_graphs_agree_with_scipy(seed: int, arcs: int, nodes: int, spread: float) -> None:
    tails, heads = scale_free(seed, arcs, nodes, spread)
    assert tails.size > clearing.SMALL_GRAPH
    assert arcs_on_cycles(tails, heads).tolist() == scipy_on_cycles(tails, heads).tolist()


@pytest.mark.parametrize("length", [clearing.MAX_LEVELS - 1, clearing.MAX_LEVELS + 1, 20_000])
def test_deep_rings_beside_a_dense_component(length: int) -> None:
    """A ring longer than the level limit, with chords and tails, next to a dense
    component: the search gives up on depth and Tarjan answers, the same."""
    tails, heads = scale_free(7, 4_000, 500, 0.8)
    ring = np.arange(length) + 1_000
    extra_tails = [ring, ring[::7], ring[-5:], np.array([3, 1_000 + length + 5])]
    extra_heads = [np.roll(ring, -1), ring[::7] + 3, ring[-5:] + 10, np.array([1_000, 4])]
    tails = np.concatenate([tails, *extra_tails]).astype(np.int64)
    heads = np.concatenate([heads, *extra_heads]).astype(np.int64)
    heads[heads >= 1_000 + length] = 1_000 + length + 2  # tails of the ring end nowhere
    assert arcs_on_cycles(tails, heads).tolist() == scipy_on_cycles(tails, heads).tolist()
    # Each arc's ends must be the pivot's component or the search's to look at.
    reversed_on = arcs_on_cycles(heads, tails)
    assert reversed_on.tolist() == scipy_on_cycles(heads, tails).tolist()


def test_two_large_components_joined_one_way() -> None:
    first_t, first_h = scale_free(1, 6_000, 800, 0.3)
    second_t, second_h = scale_free(2, 6_000, 800, 0.3)
    tails = np.concatenate([first_t, second_t + 800, [5, 6]]).astype(np.int64)
    heads = np.concatenate([first_h, second_h + 800, [900, 901]]).astype(np.int64)
    assert arcs_on_cycles(tails, heads).tolist() == scipy_on_cycles(tails, heads).tolist()
