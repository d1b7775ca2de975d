"""Where the window opens and how it keeps its panels: a first size that fits the screen it
opens on (title bar and taskbar included), the dock layout that suits that size, and the
panel sizes of the normal window kept across maximizing.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QPoint, QRect, QSize, Qt, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDockWidget, QMainWindow, QSplitter

TITLE_BAR_PX = 30  # a window manager's title bar, above the window's own area
TASKBAR_PX = 40  # kept free when the screen reports no panel of its own (its available area is all of it)
SIDE_FRAME_PX = 8  # left and right frame (resize borders) together
LARGEST_FIRST_SIZE = QSize(1920, 1200)  # a first window on a 4K screen need not fill it
WIDE_LAYOUT_PX = 1560  # from this window width on, the panels start in two side columns
WIDE, COMPACT = "wide", "compact"
RESIZE_TRIES = 4


def default_window_size(available: QRect, whole: QRect | None = None) -> QSize:
    """The size of the window's own area (without frame and title bar) when it first opens on a
    screen whose free area is ``available`` (``whole``: the screen's full rectangle).

    The frame fits inside ``available``: a title bar of :data:`TITLE_BAR_PX` above, the side
    frame, and :data:`TASKBAR_PX` below unless the screen already keeps a panel out of ``available``.
    """
    taskbar = TASKBAR_PX if whole is None or available.height() >= whole.height() else 0
    width = available.width() - SIDE_FRAME_PX
    height = available.height() - TITLE_BAR_PX - taskbar
    return QSize(min(width, LARGEST_FIRST_SIZE.width()), min(height, LARGEST_FIRST_SIZE.height()))


def default_window_rect(available: QRect, whole: QRect | None = None) -> QRect:
    """Where the window's own area goes: :func:`default_window_size`, centred across ``available``
    with its title bar at the top of it."""
    size = default_window_size(available, whole)
    left = available.left() + (available.width() - size.width()) // 2
    return QRect(QPoint(left, available.top() + TITLE_BAR_PX), size)


def layout_for_width(width: int) -> str:
    """:data:`WIDE` (Data and Network left, Hyperparameters and Help right) from
    :data:`WIDE_LAYOUT_PX` on, else :data:`COMPACT`."""
    return WIDE if width >= WIDE_LAYOUT_PX else COMPACT


def screen_areas(window: QMainWindow) -> tuple[QRect, QRect] | None:
    """(available, whole) rectangles of the screen the window opens on, or None without a screen."""
    screen = window.screen() or QGuiApplication.primaryScreen()
    if screen is None:
        return None
    return screen.availableGeometry(), screen.geometry()


def place_on_screen(window: QMainWindow, areas: tuple[QRect, QRect] | None = None) -> None:
    """Give a window without a saved geometry its first size and place (see :func:`default_window_rect`)."""
    areas = areas or screen_areas(window)
    if areas is None:
        window.resize(1280, 800 - TITLE_BAR_PX - TASKBAR_PX)
        return
    rect = default_window_rect(*areas)
    window.resize(rect.size())
    window.move(rect.left() - SIDE_FRAME_PX // 2, rect.top() - TITLE_BAR_PX)  # move() places the frame


class NormalSizeKeeper(QObject):
    """Puts the panels back at the sizes they had in the normal window when it is un-maximized.

    Qt shares a size change among the docks and the tab area; after maximizing and restoring,
    the panels would keep what the bigger (or smaller) window gave them, and the network
    splitter's layer table stays squeezed.  The sizes are read when the window leaves its normal
    state and set again once it is back at its normal size (the state changes before the size).
    """

    def __init__(self, window: QMainWindow, docks: tuple[QDockWidget, ...], splitters: tuple[QSplitter, ...]):
        super().__init__(window)
        self._window, self._docks, self._splitters = window, docks, splitters
        self._saved: tuple[QSize, list, list] | None = None
        self._back = False  # in the normal state again, waiting for the normal size
        window.installEventFilter(self)

    def eventFilter(self, watched, event) -> bool:  # noqa: N802
        if watched is not self._window:
            return False
        if event.type() == QEvent.Type.WindowStateChange:
            big = Qt.WindowState.WindowMaximized | Qt.WindowState.WindowFullScreen
            was_normal, now_normal = not (event.oldState() & big), not (self._window.windowState() & big)
            if was_normal and not now_normal:
                self._saved, self._back = self.sizes(), False
            elif now_normal and not was_normal and self._saved is not None:
                self._back = True
                QTimer.singleShot(0, self._restore_when_back)
        elif event.type() == QEvent.Type.Resize and self._back:
            QTimer.singleShot(0, self._restore_when_back)  # after the layout has used the new size
        return False

    def _shown(self, dock: QDockWidget) -> bool:
        """Docked and in view (a dock behind another's tab is "visible" but laid out off the window)."""
        return dock.isVisible() and not dock.isFloating() and self._window.rect().intersects(dock.geometry())

    def sizes(self) -> tuple[QSize, list, list]:
        """(the window's size, docks in view with their sizes, splitters with their sizes), as now."""
        shown = [(dock, dock.size()) for dock in self._docks if self._shown(dock)]
        return self._window.size(), shown, [(splitter, splitter.sizes()) for splitter in self._splitters]

    def _restore_when_back(self) -> None:
        if not self._back or self._saved is None or self._window.size() != self._saved[0]:
            return
        self._back = False
        self.restore(self._saved)

    def restore(self, saved: tuple[QSize, list, list]) -> None:
        """Give the docks and splitters the sizes :meth:`sizes` read."""
        _size, docks, splitters = saved
        docks = [(dock, size) for dock, size in docks if self._shown(dock)]
        areas: dict = {}
        for dock, size in docks:  # one call per dock area: Qt sizes an area's column or row as a whole
            areas.setdefault(self._window.dockWidgetArea(dock), []).append((dock, size))
        for group in areas.values():
            for orientation, extent in ((Qt.Orientation.Horizontal, QSize.width),
                                        (Qt.Orientation.Vertical, QSize.height)):
                resize_docks(self._window, [d for d, _ in group], [extent(s) for _, s in group], orientation)
        for splitter, sizes in splitters:
            splitter.setSizes(sizes)


def resize_docks(window: QMainWindow, docks: list[QDockWidget], sizes: list[int], orientation: Qt.Orientation) -> None:
    """Give ``docks`` (of one dock area) these widths or heights.  Qt counts the tab bar of a dock
    in a tab group as part of the size asked for it and shares the difference among its
    neighbours, so the sizes are asked again, corrected by what the layout gave (three tries
    settle a column of tab groups)."""
    extent = QSize.width if orientation == Qt.Orientation.Horizontal else QSize.height
    asked = list(sizes)
    for _ in range(RESIZE_TRIES):
        window.resizeDocks(docks, asked, orientation)
        window.layout().activate()
        got = [extent(dock.size()) for dock in docks]
        if got == list(sizes):
            return
        asked = [a + w - g for a, w, g in zip(asked, sizes, got)]
