"""Helpers of the kill tests: run the CLI in a forked child, SIGKILLed at a fault point,
and read back what the database holds."""

from __future__ import annotations

import os
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from tahator import faults
from tahator.services import audit, ledger
from tahator.store.database import make_engine, reading
from tahator.store.schema import (
    AuditRecord,
    Authorization,
    ClearingRun,
    JournalEntry,
    Obligation,
    SettlementInstruction,
)


@dataclass(frozen=True)
class Outcome:
    returncode: int
    """The exit code, or minus the signal that ended the child."""
    output: str

    @property
    def killed(self) -> bool:
        return self.returncode == -signal.SIGKILL


def run_cli(args: list[str], fault: str | None, log: Path, timeout: float = 60) -> Outcome:
    """``tahator ARGS`` (its console entry point, ``cli.main``) in a forked child.

    Forking from the test process spares each trial the interpreter's start-up
    (1–2 s on a loaded 2-core machine); the child is the CLI all the same: it opens
    its own engine, runs the command and is SIGKILLed by ``faults.point`` where
    ``fault`` names one.
    """
    from tahator import cli

    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            stream = open(log, "w", buffering=1)  # noqa: SIM115
            sys.stdout = sys.stderr = stream
            os.dup2(stream.fileno(), 1)
            os.dup2(stream.fileno(), 2)
            if fault is None:
                os.environ.pop(faults.VARIABLE, None)
            else:
                os.environ[faults.VARIABLE] = fault
            sys.argv = ["tahator", *args]
            cli.main()
        finally:
            os._exit(99)
    deadline = time.monotonic() + timeout
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            raise AssertionError(f"tahator {' '.join(args)} took more than {timeout} s")
        time.sleep(0.01)
    code = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
    return Outcome(code, log.read_text() if log.exists() else "")


def census(url: str) -> dict[str, Any]:
    """What the database holds, and whether the ledger and the audit chain verify."""
    engine = make_engine(url)
    try:
        with reading(engine) as session:
            breaks = list(ledger.verify(session).breaks)
            records, broken = audit.verify(session)

            def count(*where: Any, of: Any = Obligation) -> int:
                return session.scalar(select(func.count()).select_from(of).where(*where)) or 0

            runs = dict(
                session.execute(
                    select(ClearingRun.status, func.count()).group_by(ClearingRun.status)
                ).all()
            )
            per_instruction = session.execute(
                select(JournalEntry.instruction_id, func.count())
                .where(JournalEntry.instruction_id.is_not(None))
                .group_by(JournalEntry.instruction_id)
            ).all()
            per_origin = session.execute(
                select(Obligation.origin, func.count())
                .where(Obligation.origin.is_not(None))
                .group_by(Obligation.origin)
            ).all()
            return {
                "ledger_breaks": breaks,
                "audit_broken": broken,
                "audit_records": records,
                "obligations": count(),
                "runs": runs,
                "confirmed": count(
                    SettlementInstruction.status == "confirmed", of=SettlementInstruction
                ),
                "pending": [
                    i
                    for (i,) in session.execute(
                        select(SettlementInstruction.id)
                        .where(SettlementInstruction.status == "pending")
                        .order_by(SettlementInstruction.id)
                    )
                ],
                "postings_per_instruction": dict(per_instruction),
                "cancelled": count(Authorization.state == "cancelled", of=Authorization),
                "obligations_per_origin": dict(per_origin),
                "audit_last": session.scalar(select(func.max(AuditRecord.id))),
            }
    finally:
        engine.dispose()
