"""What every CLI command shares: the console, the --config path, and a runtime opened for one command."""

from __future__ import annotations

import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, NoReturn

import typer

from app.stopping import EXIT_STATUS
from flows.printable import SafeConsole, printable

if TYPE_CHECKING:
    from app.runtime import Runtime

console = SafeConsole(soft_wrap=True)  # messages stay one line each, for people and for grep
err_console = SafeConsole(soft_wrap=True, stderr=True)  # what is not the command's output: waits, notes


def config_path(ctx: typer.Context) -> str | None:
    """The --config path given to the app (or $CLAIMWATCH_CONFIG), as the flows take it."""
    return str(ctx.obj) if ctx.obj else None


@contextmanager
def command_runtime(ctx: typer.Context) -> Iterator[Runtime]:
    """The configured runtime for one command, closed afterwards."""
    from app.runtime import open_runtime  # noqa: PLC0415 - storage loads SQLAlchemy: only when a command needs it

    runtime = open_runtime(config_path(ctx))
    try:
        yield runtime
    finally:
        runtime.close()


def complain(message: str) -> None:
    """One line on stderr, prefixed with the program's name: whitespace collapsed, no control characters."""
    print(f"claimwatch: {' '.join(printable(message).split())}", file=sys.stderr)


def stopped(signum: int) -> NoReturn:
    """Leave after a SIGTERM or Ctrl-C: one line on stderr and the status a shell gives that signal."""
    complain(f"stopped by {signal.Signals(signum).name}; what was stored and sent is kept")
    sys.exit(EXIT_STATUS[signum])
