"""Fault injection for the crash tests: ``TAHATOR_FAULT=NAME`` kills the process at
the point called NAME, as a power cut would, so that tests can check that nothing
half-written survives.  Unset (always, outside tests), a point costs one lookup."""

from __future__ import annotations

import os
import signal

VARIABLE = "TAHATOR_FAULT"


def point(name: str) -> None:
    """Die here, with SIGKILL, if ``$TAHATOR_FAULT`` names this point."""
    if os.environ.get(VARIABLE) == name:
        os.kill(os.getpid(), signal.SIGKILL)
