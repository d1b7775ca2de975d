"""Running worker objects in QThreads, the standard way, and keeping track of them.

A worker is a ``QObject`` with a ``run()`` slot and a ``finished`` signal.  :func:`start_worker`
moves it to a new ``QThread``, starts it, and connects ``finished -> thread.quit``.  Stopping is
the worker's business (a ``threading.Event`` set from the GUI thread); :func:`stop_and_wait`
joins the thread afterwards so no ``QThread`` is ever destroyed while running.

Why no ``deleteLater`` on the worker: a worker created from Python is owned by its Python
wrapper.  Deleting it from inside its own, finishing thread races the wrapper's destruction
(a crash in shiboken's object teardown).  Instead this module keeps a reference to the worker
and the thread until the thread has finished, and drops both in the GUI thread; Python then
frees them there, after the thread has stopped.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QThread, Slot

# thread -> worker, held until the thread has finished (strong references on purpose)
_ALIVE: dict[QThread, QObject] = {}
_reaper: "_Reaper | None" = None


class _Reaper(QObject):
    """Lives in the GUI thread so that ``thread.finished`` is handled there (queued)."""

    @Slot()
    def reap(self) -> None:
        for thread in [t for t in _ALIVE if _finished(t)]:
            thread.wait()
            _ALIVE.pop(thread, None)


def _finished(thread: QThread) -> bool:
    try:
        return thread.isFinished()
    except RuntimeError:  # already deleted on the C++ side
        return True


def _get_reaper() -> _Reaper:
    global _reaper
    if _reaper is None:
        _reaper = _Reaper()
    return _reaper


def start_worker(worker: QObject, name: str = "worker") -> QThread:
    """Move ``worker`` to a new thread and start ``worker.run`` there.  Returns the thread.

    Call from the GUI thread.  The worker must not have a parent (objects with a parent
    cannot be moved to another thread).
    """
    thread = QThread()
    thread.setObjectName(name)
    worker.moveToThread(thread)
    thread.started.connect(worker.run)
    worker.finished.connect(thread.quit)
    thread.finished.connect(_get_reaper().reap)  # the reaper lives in the GUI thread: queued
    _ALIVE[thread] = worker
    thread.start()
    return thread


def stop_and_wait(thread: QThread | None, timeout_ms: int = 5000) -> bool:
    """Wait for a thread whose worker has been asked to stop; True if it ended in time."""
    if thread is None:
        return True
    try:
        if thread.isRunning():
            thread.quit()
            if not thread.wait(timeout_ms):
                return False
    except RuntimeError:  # the C++ object is already deleted: the thread has ended
        pass
    _ALIVE.pop(thread, None)
    return True


def running_threads() -> list[QThread]:
    """Threads started here that are still running (tests assert this is empty)."""
    alive = []
    for thread in list(_ALIVE):
        try:
            if thread.isRunning():
                alive.append(thread)
        except RuntimeError:
            continue
    return alive
