"""Running worker objects in QThreads, the standard way, and keeping track of them.

A worker is a ``QObject`` with a ``run()`` slot and a ``finished`` signal.  :func:`start_worker`
moves it to a new ``QThread``, starts it, and wires ``finished -> quit -> deleteLater`` so that
both objects are cleaned up.  Stopping is the worker's business (a ``threading.Event`` set from
the GUI thread); :func:`stop_and_wait` joins the thread afterwards so no ``QThread`` is ever
destroyed while running.
"""

from __future__ import annotations

import weakref

from PySide6.QtCore import QObject, QThread

_RUNNING: "weakref.WeakSet[QThread]" = weakref.WeakSet()
_ALIVE: set[QThread] = set()  # strong refs until the thread has finished


def start_worker(worker: QObject, name: str = "worker") -> QThread:
    """Move ``worker`` to a new thread and start ``worker.run`` there.  Returns the thread."""
    thread = QThread()
    thread.setObjectName(name)
    worker.moveToThread(thread)
    thread.started.connect(worker.run)
    worker.finished.connect(thread.quit)
    worker.finished.connect(worker.deleteLater)
    thread.finished.connect(lambda t=thread: _forget(t))
    _ALIVE.add(thread)
    _RUNNING.add(thread)
    thread.start()
    return thread


def _forget(thread: QThread) -> None:
    _ALIVE.discard(thread)
    thread.deleteLater()


def stop_and_wait(thread: QThread | None, timeout_ms: int = 5000) -> bool:
    """Wait for a thread whose worker has been asked to stop; True if it ended in time."""
    if thread is None:
        return True
    try:
        if not thread.isRunning():
            return True
        thread.quit()
        return thread.wait(timeout_ms)
    except RuntimeError:  # the C++ object is already deleted: the thread has ended
        return True


def running_threads() -> list[QThread]:
    """Threads started here that are still running (tests assert this is empty)."""
    alive = []
    for thread in list(_RUNNING):
        try:
            if thread.isRunning():
                alive.append(thread)
        except RuntimeError:
            continue
    return alive
