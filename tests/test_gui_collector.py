"""Cycles are collected on the GUI thread, never in a worker thread that happens to allocate."""

from __future__ import annotations

import gc
import threading
import weakref

from PySide6.QtWidgets import QApplication, QWidget

from nnstudio.gui.app import configure_application
from nnstudio.gui.qt.collector import GuiThreadCollector


class _Cycle:
    def __init__(self):
        self.me = self
        self.widget = None


def test_the_application_collects_cycles_on_its_own_thread(qtbot):
    app = QApplication.instance()
    configure_application(app)
    collector = app.findChild(GuiThreadCollector)
    assert collector is not None and not gc.isenabled()
    configure_application(app)
    assert len(app.findChildren(GuiThreadCollector)) == 1  # configuring again installs no second one

    freed_in = []
    holder = _Cycle()
    holder.widget = QWidget()  # a Qt object in a reference cycle: it must die on this thread
    holder.widget.destroyed.connect(lambda: freed_in.append(threading.current_thread()))
    ref = weakref.ref(holder)
    del holder

    def allocate():  # a worker making many cycles: the automatic collector would run here
        for _ in range(5 * gc.get_threshold()[0]):
            _Cycle()

    worker = threading.Thread(target=allocate)
    worker.start()
    worker.join()
    assert ref() is not None  # nothing was collected in the worker
    qtbot.waitUntil(lambda: ref() is None, timeout=5000)  # the GUI thread's timer collected it
    assert freed_in == [threading.main_thread()]
