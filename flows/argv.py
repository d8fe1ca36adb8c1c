"""Global options anywhere on the command line: ``claimwatch claims --config x.yaml`` as the README promises.

Click takes an option only at the level that defines it: ``--config`` belongs to the app (before the
command), ``--json`` to each listing command (after it). People write both in either place, so the
arguments are put in click's order before it reads them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

APP_OPTIONS = ("--config",)  # the app's options that take a value
COMMAND_FLAGS = ("--json",)  # command flags that may also be written before the command
END_OF_OPTIONS = "--"


def normalised(args: Sequence[str], app: Any) -> list[str]:
    """The arguments with app options first and command flags after the command's name."""
    head, tail = _split_end(list(args))
    app_options, rest = _take_app_options(head)
    flags = [a for a in _before_command(rest, app) if a in COMMAND_FLAGS]
    for flag in flags:
        rest.remove(flag)
    path = _command_path(rest, app)
    return [*app_options, *rest[:path], *flags, *rest[path:], *tail]


def _split_end(args: list[str]) -> tuple[list[str], list[str]]:
    """The arguments before ``--`` and from it on (after it everything is a plain argument)."""
    if END_OF_OPTIONS in args:
        at = args.index(END_OF_OPTIONS)
        return args[:at], args[at:]
    return args, []


def _take_app_options(args: list[str]) -> tuple[list[str], list[str]]:
    """App options (with their values) wherever they are, and the other arguments in order."""
    taken, rest, index = [], [], 0
    while index < len(args):
        arg = args[index]
        if arg in APP_OPTIONS and index + 1 < len(args):
            taken += args[index : index + 2]
            index += 2
            continue
        (taken if arg.split("=", 1)[0] in APP_OPTIONS else rest).append(arg)
        index += 1
    return taken, rest


def _before_command(args: list[str], app: Any) -> list[str]:
    """The arguments before the command's name."""
    return args[: _first_word(args)]


def _command_path(args: list[str], app: Any) -> int:
    """Where the command's own arguments start: after its name (and a group's subcommand name)."""
    first = _first_word(args)
    if first >= len(args):
        return len(args)
    groups = {group.name for group in app.registered_groups}
    if args[first] in groups:
        second = _first_word(args[first + 1 :])
        return min(first + 1 + second + 1, len(args))
    return first + 1


def _first_word(args: Sequence[str]) -> int:
    """The index of the first argument that is not an option (len(args) when none)."""
    return next((i for i, arg in enumerate(args) if not arg.startswith("-")), len(args))
