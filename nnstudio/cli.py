"""The command line: ``nnstudio SUBCOMMAND ...``; bare ``nnstudio`` opens the window.

Subcommands live one per module in :mod:`nnstudio.commands`; each module registers a
:class:`Command` in :data:`COMMANDS`.  A user error raises :class:`~nnstudio.errors.UserError`
(or one of its kinds, such as ``ConfigError`` or ``DataError``) and ends with exit status 2 and a
one-line message; no traceback is shown for mistakes the user can fix.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import pkgutil
import sys
from dataclasses import dataclass
from typing import Callable, Sequence

from .errors import UserError, user_message
from .registry import Registry

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130

__all__ = ["COMMANDS", "Command", "UserError", "build_parser", "command", "main"]


@dataclass(frozen=True)
class Command:
    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


COMMANDS: Registry[Command] = Registry("command")


def command(name: str, help: str, add_arguments: Callable[[argparse.ArgumentParser], None]):
    """Decorator registering ``run(args) -> exit status`` as a subcommand."""
    def deco(run):
        COMMANDS.register(name, Command(name, help, add_arguments, run))
        return run
    return deco


def _load_commands() -> None:
    from . import commands

    for info in pkgutil.iter_modules(commands.__path__):
        importlib.import_module(f"{commands.__name__}.{info.name}")


def build_parser() -> argparse.ArgumentParser:
    _load_commands()
    parser = argparse.ArgumentParser(
        prog="nnstudio",
        description="Design, train, compare and tune fully-connected neural networks. "
                    "Run without a subcommand to open the window.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    parser.add_argument("-q", "--quiet", action="store_true", help="log warnings and errors only")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for cmd in COMMANDS.items():
        p = sub.add_parser(cmd[1].name, help=cmd[1].help, description=cmd[1].help)
        cmd[1].add_arguments(p)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0].startswith("-psn"):  # bare `nnstudio` (or a macOS launcher argument)
        from .gui.app import run_app

        return run_app(argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    level = logging.DEBUG if args.verbose else logging.WARNING if args.quiet else logging.INFO
    logging.basicConfig(level=level, format="%(message)s")
    try:
        return COMMANDS[args.command].run(args)
    except UserError as exc:
        print(f"nnstudio {args.command}: error: {user_message(exc)}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f"nnstudio {args.command}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (``nnstudio presets | head``): stop quietly, and point stdout at
        # devnull so that flushing it at exit does not raise again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_ERROR
