"""Learning a data set's task, shapes and split sizes without blocking the window.

Loading runs in a background thread (the first load imports scikit-learn, a CSV may be large);
results are cached per data config (and file stamp), so switching back and forth is instant.

The loader is a plain Python thread that hands its result to the GUI thread through a queued
signal.  No QObject lives in it, so nothing Python-owned is ever deleted by Qt in another
thread (deleting a Python-created worker with ``deleteLater`` in its own thread can crash
inside shiboken).
"""

from __future__ import annotations

import threading

from PySide6.QtCore import QObject, Qt, Signal

from ...config import DataConfig
from ...design.edits import DataInfo, data_cache_key, probe_data

PENDING = DataInfo(pending=True)


class DataProbe(QObject):
    """Cached :class:`DataInfo` per data config, computed in the background.

    Signals:
        infoReady(DataConfig, DataInfo): a requested data set has been probed.
    """

    infoReady = Signal(object, object)
    _loaded = Signal(object, object)  # (cache key, DataInfo), emitted from a loader thread

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._cache: dict[tuple, DataInfo] = {}
        self._threads: dict[tuple, threading.Thread] = {}
        self._lock = threading.Lock()
        self._closed = False
        self._loaded.connect(self._on_loaded, Qt.ConnectionType.QueuedConnection)

    def cached(self, data: DataConfig) -> DataInfo | None:
        return self._cache.get(data_cache_key(data))

    def request(self, data: DataConfig) -> DataInfo:
        """The cached info, or :data:`PENDING` while a thread loads it (``infoReady`` follows)."""
        key = data_cache_key(data)
        info = self._cache.get(key)
        if info is not None:
            return info
        if key not in self._threads and not self._closed:
            thread = threading.Thread(target=self._load, args=(key, data), name="nnstudio-data-probe", daemon=True)
            self._threads[key] = thread
            thread.start()
        return PENDING

    def busy(self) -> bool:
        return bool(self._threads)

    def _load(self, key: tuple, data: DataConfig) -> None:
        info = probe_data(data)  # never raises: failures become info.error
        with self._lock:  # shutdown() sets _closed under the lock: no emit into a closing probe
            if not self._closed:
                self._loaded.emit(key, info)

    def _on_loaded(self, key: tuple, info: DataInfo) -> None:
        thread = self._threads.pop(key, None)
        if thread is not None:
            thread.join()  # it has emitted its result: it ends right away
        self._cache[key] = info
        self.infoReady.emit(key[0], info)

    def shutdown(self, timeout_s: float = 30.0) -> bool:
        """Stop reporting and wait for loads in progress (they cannot be interrupted).

        Returns True when every loader thread has ended.
        """
        with self._lock:
            self._closed = True
        for thread in list(self._threads.values()):
            thread.join(timeout_s)
        self._threads = {k: t for k, t in self._threads.items() if t.is_alive()}
        return not self._threads
