"""How long to wait before trying again: one rule for every retried thing (the worker's
jobs, webhook deliveries), each with its own first and longest wait."""

from __future__ import annotations

from datetime import timedelta


def backoff(attempt: int, first: timedelta, longest: timedelta) -> timedelta:
    """The wait after the ``attempt``-th failure (from 1): ``first``, doubling each time,
    at most ``longest``."""
    # Capped exponent: a large attempt count must not overflow timedelta before min().
    wait: timedelta = first * 2 ** min(max(attempt - 1, 0), 40)
    return min(wait, longest)
