"""Plot titles that fit: the longest of a plot's titles that fits, or elided to the width over the
view box (the full meaning is in the tooltip)."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import QWidget

from ..qt.style import TEXT_COLOR

TITLE_POINT_SIZE = 10


def title_font(widget: QWidget) -> QFont:
    """The font a plot title is drawn in: the widget's, at :data:`TITLE_POINT_SIZE`."""
    font = QFont(widget.font())
    font.setPointSize(TITLE_POINT_SIZE)
    return font


def shown_title(item: pg.PlotItem) -> str:
    """The title as drawn ("" when it is hidden)."""
    label = item.titleLabel
    return label.text if label.isVisible() else ""


def fit_title(item: pg.PlotItem, title: str, width: float, font: QFont, margin: int, least: int) -> None:
    """Show ``title`` over ``item``, elided to fit ``width`` (the plot's) less the left axis and
    ``margin`` pixels at each end; never narrower than ``least`` pixels."""
    axis = item.getAxis("left")
    room = width - (axis.width() if axis.isVisible() else 0) - 2 * margin
    text = QFontMetrics(font).elidedText(title, Qt.TextElideMode.ElideRight, max(int(room), least))
    if text != shown_title(item):
        item.setTitle(text, color=TEXT_COLOR, size=f"{TITLE_POINT_SIZE}pt")


def fit_first_title(item: pg.PlotItem, titles: list[str] | tuple[str, ...], width: float, font: QFont,
                    margin: int, least: int = 40) -> None:
    """Show the first of ``titles`` (longest first) that fits over ``item`` whole (see
    :func:`fit_title` for the room); when none does, the last one elided."""
    axis = item.getAxis("left")
    room = width - (axis.width() if axis.isVisible() else 0) - 2 * margin
    metrics = QFontMetrics(font)
    fits = [t for t in titles if metrics.horizontalAdvance(t) <= room]
    fit_title(item, fits[0] if fits else titles[-1], width, font, margin, least)


class FittedTitles:
    """Mixin for a ``pg.PlotWidget`` (listed before it): :meth:`set_titles` shows the first of the
    plot's titles, longest first, that fits whole (see :func:`fit_first_title`), and fits them
    again whenever the plot changes size."""

    title_margin = 8  # pixels kept free at each end of the title
    _titles: tuple[str, ...] = ()

    def set_titles(self, titles) -> None:
        """Show the first of ``titles`` (longest first) that fits over the plot (the last one
        elided if none does)."""
        self._titles = tuple(titles)
        self._fit_titles()

    def _fit_titles(self) -> None:
        if self._titles:
            fit_first_title(self.getPlotItem(), self._titles, self.width(), title_font(self), self.title_margin)

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._fit_titles()
