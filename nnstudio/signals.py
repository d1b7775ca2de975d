"""Stop on Ctrl-C or SIGTERM alike: the first one asks the work to stop, the second one aborts.

    with stop_on_signals(stop):      # stop: a threading.Event (or anything with set())
        ...                          # the work checks stop.is_set() between steps

The first SIGINT or SIGTERM calls ``stop.set()``: the work ends after its current step and saves
what finished.  The second calls ``on_second``, by default raising ``KeyboardInterrupt`` in the
main thread.  Outside the main thread (where Python cannot install handlers) nothing is changed.
"""

from __future__ import annotations

import os
import signal
import threading
from contextlib import contextmanager
from typing import Callable, Iterator

STOP_SIGNALS = ("SIGINT", "SIGTERM") if os.name == "posix" else ("SIGINT",)


def _abort() -> None:
    raise KeyboardInterrupt


@contextmanager
def stop_on_signals(stop, on_second: Callable[[], None] | None = None) -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    count = {"n": 0}
    second = on_second or _abort

    def handler(signum, frame):
        count["n"] += 1
        if count["n"] == 1:
            stop.set()
        elif count["n"] == 2:
            second()

    previous = {name: signal.signal(getattr(signal, name), handler) for name in STOP_SIGNALS}
    try:
        yield
    finally:
        for name, old in previous.items():
            signal.signal(getattr(signal, name), old)
