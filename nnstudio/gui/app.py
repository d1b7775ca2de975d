"""Starting the window: ``run_app(argv)`` (``nnstudio`` without a subcommand calls it)."""

from __future__ import annotations

import signal
import sys
from pathlib import Path
from typing import Sequence

from PySide6.QtCore import QLocale, QPointF, QRectF, Qt, QTimer
from PySide6.QtGui import QColor, QIcon, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QApplication

from .qt.collector import GuiThreadCollector, collect_on_gui_thread
from .qt.style import ICON_EDGE, ICON_NODE_EDGE, ICON_NODE_FILL, configure_pyqtgraph

ORGANIZATION = "nnstudio"
APPLICATION = "nnstudio"
SIGNAL_TICK_MS = 200  # how often Python gets the chance to run a Ctrl-C handler


def configure_application(app: QApplication) -> None:
    """Names used by QSettings, the window icon, pyqtgraph's look and how numbers are written."""
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    app.setApplicationDisplayName("nnstudio")
    app.setWindowIcon(app_icon())
    # numbers are written one way everywhere, as in files, the command line and the help texts:
    # a decimal point, no thousands separators (a system locale would give some boxes a comma)
    QLocale.setDefault(QLocale.c())
    configure_pyqtgraph()
    if app.findChild(GuiThreadCollector) is None:
        collect_on_gui_thread(app)


def app_icon() -> QIcon:
    """A small drawn network: three columns of nodes joined by edges."""
    icon = QIcon()
    for size in (16, 32, 64, 128):
        pix = QPixmap(size, size)
        pix.fill(Qt.GlobalColor.transparent)
        p = QPainter(pix)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        columns = [(0.18, (0.3, 0.7)), (0.5, (0.2, 0.5, 0.8)), (0.82, (0.5,))]
        points = [[QPointF(x * size, y * size) for y in ys] for x, ys in columns]
        for a, b in zip(points, points[1:]):
            for pa in a:
                for pb in b:
                    p.setPen(QPen(QColor(*ICON_EDGE), max(1.0, size / 32)))
                    p.drawLine(pa, pb)
        r = size * 0.085
        p.setPen(QPen(QColor(ICON_NODE_EDGE), max(1.0, size / 48)))
        p.setBrush(QColor(ICON_NODE_FILL))
        for column in points:
            for pt in column:
                p.drawEllipse(QRectF(pt.x() - r, pt.y() - r, 2 * r, 2 * r))
        p.end()
        icon.addPixmap(pix)
    return icon


def install_sigint_handler(app: QApplication, window) -> QTimer:
    """Ctrl-C in the terminal closes the window (asking about unsaved changes) instead of a traceback.

    Qt's event loop runs in C++, so Python handles signals only when Python code runs: a timer
    ticking every :data:`SIGNAL_TICK_MS` gives it that chance.  A second Ctrl-C while the first
    is being handled (the unsaved-changes question is open) quits at once.
    """
    presses = [0]

    def close() -> None:
        if not window.close():  # the user chose Cancel: start counting again
            presses[0] = 0

    def handler(_signum, _frame) -> None:
        presses[0] += 1
        if presses[0] > 1:
            app.quit()
        else:
            QTimer.singleShot(0, close)

    signal.signal(signal.SIGINT, handler)
    tick = QTimer(app)
    tick.setInterval(SIGNAL_TICK_MS)
    tick.timeout.connect(lambda: None)
    tick.start()
    return tick


def run_app(argv: Sequence[str] | None = None) -> int:
    """Open the window; ``argv`` may name an experiment file to open.  Returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else "nnstudio", *argv])
    configure_application(app)
    from .main_window import MainWindow  # after the application exists: widgets need it

    window = MainWindow()
    window.show()
    files = [a for a in argv if not a.startswith("-")]
    if files:
        QTimer.singleShot(0, lambda: window.open_file(Path(files[0])))
    previous = signal.getsignal(signal.SIGINT)
    tick = install_sigint_handler(app, window)
    try:
        return app.exec()
    finally:
        tick.stop()
        signal.signal(signal.SIGINT, previous if previous is not None else signal.default_int_handler)
        window.shutdown()  # joins every thread, also when the loop ended by a second Ctrl-C
