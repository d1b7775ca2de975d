"""The command line: ``nnstudio SUBCOMMAND ...``; bare ``nnstudio`` opens the window.

Subcommands live one per module in :mod:`nnstudio.commands`; each module registers a
:class:`Command` in :data:`COMMANDS`.  A user error raises :class:`~nnstudio.errors.UserError`
(or one of its kinds, such as ``ConfigError`` or ``DataError``) and ends with exit status 2 and a
one-line message; no traceback is shown for mistakes the user can fix.
"""

from __future__ import annotations

import argparse
import functools
import importlib
import os
import re
import sys
from pathlib import Path
from typing import Callable, NamedTuple, Sequence

from .errors import UserError, user_message
from .registry import Registry

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130

__all__ = ["COMMANDS", "Command", "UserError", "build_parser", "command", "main"]


class Command(NamedTuple):
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


COMMANDS_DIR = Path(__file__).resolve().parent / "commands"


# ``@command("name", "help text" ["more help text"...], ...)`` at the start of a line
_COMMAND_LINE = re.compile(r'^@command\(\s*("[^"\n]*")\s*,\s*((?:"(?:[^"\\\n]|\\.)*"\s*)+),', re.MULTILINE)


@functools.lru_cache(maxsize=1)
def command_summaries() -> dict[str, tuple[str, str]]:
    """Every subcommand as name -> (module name, one-line help), read from the modules' source.

    Nothing is imported, so ``nnstudio --help`` lists the subcommands without loading NumPy and
    the engine; the ``@command("name", "help", ...)`` lines stay the single source of both.
    """
    found: dict[str, tuple[str, str]] = {}
    for path in sorted(COMMANDS_DIR.glob("*.py")):
        for match in _COMMAND_LINE.finditer(path.read_text(encoding="utf-8")):
            found[_string(match[1])] = (path.stem, _string(match[2]))
    return found


def _string(literals: str) -> str:
    """The value of adjacent double-quoted string literals (as in source code)."""
    if "\\" in literals:  # escapes: let Python's own parser read them
        import ast

        return ast.literal_eval(f"({literals})")
    return "".join(re.findall(r'"([^"]*)"', literals))


def _load_commands(names: Sequence[str] | None = None) -> None:
    """Import the modules of the subcommands ``names`` (all when None), which registers them."""
    summaries = command_summaries()
    modules = {module for name, (module, _) in summaries.items() if names is None or name in names}
    for module in sorted(modules):
        importlib.import_module(f"{__package__}.commands.{module}")


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The full parser; with ``only``, just that subcommand gets its arguments (the others list
    their help), so that only its module is imported."""
    summaries = command_summaries()
    _load_commands(None if only is None else [only])
    parser = argparse.ArgumentParser(
        prog="nnstudio",
        description="Design, train, compare and tune fully-connected neural networks. "
                    "Run without a subcommand to open the window.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    parser.add_argument("-q", "--quiet", action="store_true", help="log warnings and errors only")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (_, help_text) in summaries.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        if name in COMMANDS:
            COMMANDS[name].add_arguments(p)
    return parser


def _subcommand(argv: Sequence[str]) -> str:
    """The subcommand named in ``argv`` (the first word that is not an option), or ""."""
    return next((word for word in argv if not word.startswith("-")), "")


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0].startswith("-psn"):  # bare `nnstudio` (or a macOS launcher argument)
        from .gui.app import run_app

        return run_app(argv)
    parser = build_parser(only=_subcommand(argv))
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    import logging

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
