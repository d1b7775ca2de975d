"""Reading JSON a user wrote, and showing what it holds, without surprises.

* :func:`parse_int` keeps an integer literal longer than Python converts (4,300 digits) as a
  :class:`LongInteger`, which fails every field check with a message naming the field, instead
  of a ValueError from the parser.
* :func:`too_deep` finds brackets nested deeper than :data:`MAX_NESTING` (before the parser
  would hit the recursion limit), with the line, column and top-level key.
* :func:`shown` is a value as a message shows it: ``repr`` cut short, so that a message never
  carries a whole line of some file.
"""

from __future__ import annotations

import sys
from typing import Any

SHOWN_CHARS = 60  # a message shows at most this much of a bad value


def shown(value: Any, limit: int = SHOWN_CHARS) -> str:
    """``repr(value)`` cut to ``limit`` characters, so that a message never carries a whole file's line.

    An integer too long to print (over 4,300 digits) is described by its length.
    """
    try:
        text = repr(value)
    except (ValueError, RecursionError):
        text = f"<{type(value).__name__}>"
    if len(text) <= limit:
        return text
    if isinstance(value, int):
        return f"<a {len(text)}-digit integer>"
    if isinstance(value, str):
        return repr(value[:max(limit - 8, 1)] + "...")
    return text[:limit - 5] + "[...]"


class LongInteger(str):
    """An integer literal too long to convert (Python refuses over 4,300 digits); fails every check."""

    def __repr__(self):
        return f"<a {len(self)}-digit integer>"


MAX_NESTING = 64  # deeper JSON than this is refused before Python's recursion limit is reached


def parse_int(text: str) -> int | LongInteger:
    """``parse_int`` for :func:`json.loads`: an integer, or a :class:`LongInteger` past Python's digit limit."""
    limit = getattr(sys, "get_int_max_str_digits", lambda: 4300)() or 4300
    return int(text) if len(text) <= limit else LongInteger(text)


def too_deep(text: str) -> tuple[int, int, str] | None:
    """(line, column, top-level key) where brackets nest deeper than MAX_NESTING, or None."""
    if text.count("[") + text.count("{") <= MAX_NESTING:
        return None
    depth, in_string, escaped, start, key = 0, False, False, -1, ""
    for i, ch in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
                if depth == 1:
                    key = text[start + 1:i]
            continue
        if ch == '"':
            in_string, start = True, i
        elif ch in "[{":
            depth += 1
            if depth > MAX_NESTING:
                line = text.count("\n", 0, i) + 1
                return line, i - text.rfind("\n", 0, i), shown(key, 40).strip("'")
        elif ch in "]}":
            depth -= 1
    return None
