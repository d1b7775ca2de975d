"""A tab bar down the left side of a tab widget whose names are written across, as on a top bar.

Six or more pages in a narrow pane do not fit side by side without eliding their names
("Hist…", "Bo…"); stacked down the side, each name is whole, at the cost of the widest name's
width.  :func:`use_side_tabs` puts such a bar on a ``QTabWidget``.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QStyle, QStyleOptionTab, QStylePainter, QTabBar, QTabWidget


class SideTabBar(QTabBar):
    """A west tab bar drawing its names horizontally, each tab as wide as its whole name."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setElideMode(Qt.TextElideMode.ElideNone)
        self.setUsesScrollButtons(False)
        self.setExpanding(False)
        self._reserved = ""

    def reserve(self, text: str) -> None:
        """Be as wide as a tab named ``text`` from the start, so that a name growing up to it (a
        count added) does not widen the bar and take the width from the panes beside it."""
        self._reserved = text
        self.updateGeometry()

    def tabSizeHint(self, index: int) -> QSize:  # noqa: N802
        # a west tab is sized for upright text (narrow and tall): turned back, it fits a line across
        size = super().tabSizeHint(index).transposed()
        if self._reserved:
            metrics = self.fontMetrics()
            padding = size.width() - metrics.horizontalAdvance(self.tabText(index))
            size.setWidth(max(size.width(), metrics.horizontalAdvance(self._reserved) + padding))
        return size

    def minimumTabSizeHint(self, index: int) -> QSize:  # noqa: N802
        return self.tabSizeHint(index)  # never shrunk below the whole name

    def paintEvent(self, event) -> None:  # noqa: N802
        painter = QStylePainter(self)
        option = QStyleOptionTab()
        for index in range(self.count()):
            self.initStyleOption(option, index)
            painter.drawControl(QStyle.ControlElement.CE_TabBarTabShape, option)
            option.shape = QTabBar.Shape.RoundedNorth  # the label as on a top bar: across, in the tab
            painter.drawControl(QStyle.ControlElement.CE_TabBarTabLabel, option)


def use_side_tabs(tabs: QTabWidget) -> SideTabBar:
    """Give ``tabs`` (before its pages are added) a :class:`SideTabBar` on its left side."""
    bar = SideTabBar(tabs)
    tabs.setTabBar(bar)
    tabs.setTabPosition(QTabWidget.TabPosition.West)
    return bar
