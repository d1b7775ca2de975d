"""Test-wide isolation: no display, no real user settings or data, no leaked threads.

Importing this file loads no Qt: engine-only runs (``-p no:pytestqt``) stay
Qt-free.  Qt is configured lazily, the first time a test runs with
``PySide6.QtCore`` already imported.
"""

from __future__ import annotations

import gc
import os
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

# Must happen before any QGuiApplication exists; CI has no display.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

THREAD_JOIN_GRACE_S = 2.0
TEST_APP_NAME = "nnstudio-tests"

_session_root: Path | None = None
_qt_isolated = False


def pytest_configure(config: pytest.Config) -> None:
    """Point every per-user location at a temp dir before any test module is imported.

    Set here rather than in a fixture so that modules reading the environment at
    import time (during collection) already see the test locations.
    """
    global _session_root
    _session_root = Path(tempfile.mkdtemp(prefix="nnstudio-tests-"))
    locations = {
        "NNSTUDIO_DATA_DIR": "data",
        "XDG_CONFIG_HOME": "xdg-config",  # where QSettings' native format lives on Linux
        "XDG_DATA_HOME": "xdg-data",
        "XDG_CACHE_HOME": "xdg-cache",
        "XDG_STATE_HOME": "xdg-state",
        "XDG_RUNTIME_DIR": "xdg-runtime",
    }
    for variable, name in locations.items():
        path = _session_root / name
        path.mkdir(mode=0o700)  # Qt rejects a runtime dir readable by others
        os.environ[variable] = str(path)


def pytest_unconfigure(config: pytest.Config) -> None:
    if _session_root is not None:
        shutil.rmtree(_session_root, ignore_errors=True)


def _isolate_qt_settings(root: Path) -> None:
    """Give QSettings a test identity and INI files under ``root``."""
    from PySide6.QtCore import QCoreApplication, QSettings

    QCoreApplication.setOrganizationName(TEST_APP_NAME)
    QCoreApplication.setOrganizationDomain("nnstudio.invalid")
    QCoreApplication.setApplicationName(TEST_APP_NAME)
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    for scope, name in ((QSettings.Scope.UserScope, "user"), (QSettings.Scope.SystemScope, "system")):
        path = root / "qsettings" / name
        path.mkdir(parents=True, exist_ok=True)
        for fmt in (QSettings.Format.IniFormat, QSettings.Format.NativeFormat):
            QSettings.setPath(fmt, scope, str(path))


@pytest.fixture(autouse=True)
def _isolated_qt_settings() -> None:
    """Apply :func:`_isolate_qt_settings` once, as soon as Qt has been imported."""
    global _qt_isolated
    if not _qt_isolated and "PySide6.QtCore" in sys.modules and _session_root is not None:
        _isolate_qt_settings(_session_root)
        _qt_isolated = True


@pytest.fixture
def data_dir() -> Path:
    """The session's ``NNSTUDIO_DATA_DIR`` (a temp dir, never the user's)."""
    return Path(os.environ["NNSTUDIO_DATA_DIR"])


# --- leaked threads -------------------------------------------------------------


def _python_threads() -> set[threading.Thread]:
    # A _DummyThread stands for a thread started outside `threading` (a QThread
    # running Python code, say).  Python 3.11 never forgets those, so they would
    # always look leaked; QThreads are checked through nnstudio.gui instead.
    return {t for t in threading.enumerate() if not isinstance(t, threading._DummyThread)}


def _running_qt_threads() -> list:
    """QThreads the GUI reports as running, or [] when the GUI is not loaded.

    Contract: ``nnstudio.gui.qt.threads.running_threads()`` returns the QThread
    objects the GUI started that have not finished.  Only a loaded module is
    asked, so a test that never built a widget never loads Qt here.
    """
    threads = sys.modules.get("nnstudio.gui.qt.threads")
    running_threads = getattr(threads, "running_threads", None)
    return list(running_threads()) if callable(running_threads) else []


def _wait_for_qt_threads(deadline: float) -> list:
    """Process events (a worker's ``finished -> thread.quit`` is delivered there)
    and wait on each running QThread until ``deadline``; return those still running."""
    running = _running_qt_threads()
    if not running:
        return []
    from PySide6.QtCore import QCoreApplication, QEventLoop

    while running and time.monotonic() < deadline:
        if QCoreApplication.instance() is not None:
            QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
        for thread in running:
            try:
                thread.wait(20)
            except RuntimeError:  # deleted after finishing between the two calls
                pass
        running = _running_qt_threads()
    return running


@pytest.fixture(autouse=True)
def _fail_on_leaked_threads(request: pytest.FixtureRequest):
    """Fail a test that leaves a Python thread or a GUI QThread running.

    Threads get a short grace period to finish (joined, never slept on).
    """
    before = _python_threads()
    yield
    deadline = time.monotonic() + THREAD_JOIN_GRACE_S
    leaked = _python_threads() - before
    for thread in leaked:
        thread.join(timeout=max(0.0, deadline - time.monotonic()))
    alive = sorted((t for t in leaked if t.is_alive()), key=lambda t: t.name)
    qt_alive = _wait_for_qt_threads(deadline)
    problems = [f"Python thread {t.name!r} (daemon={t.daemon})" for t in alive]
    problems += [f"QThread {thread!r}" for thread in qt_alive]
    if problems:
        pytest.fail(
            f"{request.node.nodeid} left {len(problems)} thread(s) running after "
            f"{THREAD_JOIN_GRACE_S:g}s: " + ", ".join(problems),
            pytrace=False,
        )


@pytest.fixture(autouse=True)
def _collect_qt_garbage():
    """Delete each test's widgets at a quiet moment, right after the test.

    A parentless widget left in a reference cycle is otherwise freed by whichever later
    allocation triggers Python's cycle collector — possibly inside a Qt signal emission,
    where destroying a QObject waits on the connection lock the emission holds (a deadlock
    seen in a pyqtgraph geometry callback).  Collecting here, outside any emission, and then
    running deferred deletions, keeps teardown deterministic.
    """
    yield
    if "PySide6.QtWidgets" not in sys.modules:
        return
    from PySide6.QtCore import QCoreApplication, QEvent

    from nnstudio.gui.qt.collector import GuiThreadCollector, collect_on_gui_thread

    app = QCoreApplication.instance()
    if app is None:
        return
    app.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    gc.collect()
    app.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    if app.findChild(GuiThreadCollector) is None:  # as the application does (nnstudio.gui.app)
        collect_on_gui_thread(app)
