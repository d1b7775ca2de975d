"""A text progress bar for the command line (stderr, redrawn in place on a terminal)."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class ProgressBar:
    """``bar.update(done, info)`` redraws ``label [#####.....] done/total ETA info``.

    On a terminal the line is redrawn in place; otherwise (a log file, a pipe) a line is
    written at most every ``min_interval`` seconds, and never twice the same, so logs stay short.
    """

    def __init__(self, total: int, label: str = "", stream: TextIO | None = None, width: int = 30,
                 min_interval: float = 0.1):
        self.total = max(int(total), 1)
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.width = width
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.min_interval = min_interval if self.tty else max(min_interval, 5.0)
        self.start = time.perf_counter()
        self._last = -1e9
        self._last_line: str | None = None
        self.done = 0

    def eta_seconds(self) -> float | None:
        elapsed = time.perf_counter() - self.start
        if self.done == 0 or self.done >= self.total:  # nothing to go by, or nothing left
            return None
        return elapsed / self.done * (self.total - self.done)

    def render(self, info: str = "") -> str:
        frac = min(self.done / self.total, 1.0)
        filled = int(round(frac * self.width))
        eta = self.eta_seconds()
        eta_text = "" if eta is None else f" ETA {format_seconds(eta)}"
        parts = [self.label, f"[{'#' * filled}{'.' * (self.width - filled)}]", f"{self.done}/{self.total}{eta_text}"]
        if info:
            parts.append(info)
        return " ".join(p for p in parts if p)

    def update(self, done: int, info: str = "", force: bool = False) -> None:
        self.done = done
        now = time.perf_counter()
        if not force and now - self._last < self.min_interval and done < self.total:
            return
        line = self.render(info)
        if not self.tty and line == self._last_line:
            return
        self._last = now
        self._last_line = line
        if self.tty:
            self.stream.write("\r\x1b[2K" + line)
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def close(self, info: str = "", done: int | None = None) -> None:
        """The final line: ``done`` (default: the last update's) of the total, and ``info``."""
        self.update(self.done if done is None else done, info, force=True)
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()


def format_seconds(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"
