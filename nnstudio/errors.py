"""What a user error is: a mistake in the user's input that the message alone explains.

Every such error derives from :class:`UserError`.  The specific kinds keep their usual Python
base as well (``ConfigError`` is a ``ValueError``, ``UnknownNameError`` a ``KeyError``), so code
that catches those still works.  The command line shows a user error as one line and exits
with status 2; the window shows it in a status line or a dialog.  Anything else is a bug and
keeps its traceback.

This module imports nothing from the package, so every layer may use it.
"""

from __future__ import annotations


class UserError(Exception):
    """A mistake in the user's input (a file, a field, an option); the message says what to fix."""


# While reading the user's files and values (loading a data set, building a network from a
# config), a plain ValueError or OSError also means "this input cannot be used" rather than a bug.
INPUT_ERRORS: tuple[type[BaseException], ...] = (UserError, ValueError, OSError)


def user_message(exc: BaseException, *, reading_input: bool = False) -> str | None:
    """The one-line message to show for ``exc``, or None when ``exc`` is not the user's mistake.

    ``reading_input``: ``exc`` was raised while reading the user's input, where a ``ValueError``
    or ``OSError`` also counts (see :data:`INPUT_ERRORS`).
    """
    kinds = INPUT_ERRORS if reading_input else (UserError,)
    return str(exc) if isinstance(exc, kinds) else None


def unreadable(path: object, exc: OSError, folder_hint: str = "") -> str:
    """The one-line message for a file that cannot be opened for reading: missing, a folder
    (``folder_hint`` follows, e.g. ``"; choose a CSV file"``), or another reason."""
    if isinstance(exc, FileNotFoundError):
        return f"{path}: no such file"
    if isinstance(exc, IsADirectoryError):
        return f"{path}: is a folder{folder_hint}"
    return f"{path}: cannot be read ({exc.strerror})"
