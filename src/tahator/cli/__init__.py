"""The ``tahator`` command: parse, call a service, print.

One module per command group; ``tahator.cli.root`` builds the root Typer app from
them.  This package itself loads nothing heavy: ``main`` runs a plain ``tahator
clear`` (benchmarked as a whole process against a bare NumPy script) without
Typer (``tahator.cli.fast``), and builds the app only for everything else.  Heavy
modules (SQLAlchemy, NumPy, OR-Tools) are imported inside the commands that need
them, so ``tahator --help`` stays quick too.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tahator.cli.root import app as app
    from tahator.cli.serve import _listening_socket as _listening_socket

__all__ = ["_listening_socket", "app", "main"]


def __getattr__(name: str) -> Any:
    """``app`` and ``_listening_socket``, loaded on first use."""
    if name == "app":
        from tahator.cli.root import app

        return app
    if name == "_listening_socket":
        from tahator.cli.serve import _listening_socket

        return _listening_socket
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main() -> None:
    """The console script: run the command, then leave without tearing the interpreter
    down.

    Every file is closed by then; freeing the hundreds of thousands of objects of
    a large clearing would add about 0.05 s (8 %) to ``tahator clear`` for nothing.
    """
    from tahator.cli.fast import clear_from_argv

    code = clear_from_argv(sys.argv[1:])
    if code is None:
        from tahator.cli.root import app

        try:
            app()
            code = 0
        except SystemExit as exit:
            code = exit.code if isinstance(exit.code, int) else (0 if exit.code is None else 1)
            if isinstance(exit.code, str):
                print(exit.code, file=sys.stderr)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
