"""Fault injection for the crash tests: ``TAHATOR_FAULT=NAME`` kills the process at
the point called NAME, as a power cut would, so that tests can check that nothing
half-written survives; ``TAHATOR_PAUSE=NAME=SECONDS`` stalls it there instead, so
that tests can make two processes meet.  Unset (always, outside tests), a point
costs two lookups."""

from __future__ import annotations

import os
import signal
import time

VARIABLE = "TAHATOR_FAULT"
PAUSE_VARIABLE = "TAHATOR_PAUSE"


def point(name: str) -> None:
    """Die here, with SIGKILL, if ``$TAHATOR_FAULT`` names this point; or pause."""
    if os.environ.get(VARIABLE) == name:
        os.kill(os.getpid(), signal.SIGKILL)
    pause = os.environ.get(PAUSE_VARIABLE)
    if pause and pause.rpartition("=")[0] == name:
        time.sleep(float(pause.rpartition("=")[2]))
