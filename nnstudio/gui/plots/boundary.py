"""The decision boundary of a 2-D classifier: a probability-coloured heatmap with the training points.

Each grid cell's colour mixes the class colours weighted by the predicted probabilities,
lightened so the points stay readable: confident regions take their class's colour, the
boundary between classes fades towards grey.  Points are the training rows in original units,
coloured by their true class.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtWidgets import QWidget

from ..qt.style import BACKGROUND, PALETTE, TEXT_COLOR
from .base import style_plot
from ..qt.refresh import MeteredPlotWidget
from ..train.worker import BoundaryGrid

LIGHTEN = 0.45  # share of white mixed into the heatmap colours


def class_colors(n_classes: int) -> np.ndarray:
    """RGB rows (n_classes, 3) in 0..255, from the shared palette."""
    return np.array([pg.mkColor(PALETTE[i % len(PALETTE)]).getRgb()[:3] for i in range(n_classes)], dtype=np.float32)


def probabilities_to_rgb(probabilities: np.ndarray, n_classes: int) -> np.ndarray:
    """(ny, nx, k) probabilities -> (ny, nx, 3) uint8 colours.

    k = 1 (one sigmoid unit, p of class 1) is expanded to [1 - p, p].
    """
    p = np.nan_to_num(probabilities.astype(np.float32), nan=0.0)
    if p.shape[-1] == 1:
        p = np.concatenate([1.0 - p, p], axis=-1)
    colors = class_colors(max(n_classes, p.shape[-1]))[:p.shape[-1]]
    rgb = p @ colors
    rgb = (1.0 - LIGHTEN) * rgb + LIGHTEN * 255.0
    return np.clip(rgb, 0, 255).astype(np.uint8)


class BoundaryView(MeteredPlotWidget):
    """``boundaryPlot``: the heatmap (``image``) and the training points (``points``)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent, background=BACKGROUND)
        self.setObjectName("boundaryPlot")
        self.setMinimumSize(240, 200)
        style_plot(self, "Decision boundary", "x2", x_label="x1")
        item = self.getPlotItem()
        item.showGrid(x=False, y=False)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setZValue(-10)
        item.addItem(self.image)
        self.points = pg.ScatterPlotItem(size=6, pen=pg.mkPen(40, 40, 40, 160, width=0.8))
        item.addItem(self.points)
        self.setAspectLocked(False)
        item.getViewBox().setDefaultPadding(0.0)  # the heatmap already extends past the points
        self.n_classes = 2
        self.grid: BoundaryGrid | None = None
        self.pending: BoundaryGrid | None = None  # the latest grid, drawn by draw_pending()
        self.setToolTip("The network's prediction over the input plane (original units), recomputed a few "
                        "times a second while training.\nColour = class colours mixed by predicted probability; "
                        "pale areas are uncertain. Dots are the training points, coloured by their true class.")

    def set_points(self, points: np.ndarray, classes: np.ndarray, n_classes: int) -> None:
        """The training rows (n, 2) and their class indices (n,)."""
        self.n_classes = n_classes
        colors = class_colors(n_classes).astype(int)
        brushes = [pg.mkBrush(*colors[c]) for c in range(n_classes)]
        self.points.setData(pos=np.asarray(points, dtype=float), brush=[brushes[c] for c in classes])
        self.getPlotItem().enableAutoRange()

    def set_grid(self, grid: BoundaryGrid) -> None:
        self.grid = grid
        rgb = probabilities_to_rgb(grid.probabilities, self.n_classes)
        self.image.setImage(rgb, autoLevels=False, levels=(0, 255))
        (x0, x1), (y0, y1) = grid.x_range, grid.y_range
        self.image.setRect(QRectF(x0, y0, x1 - x0, y1 - y0))
        self.getPlotItem().setTitle(f"Decision boundary · epoch {grid.epoch}", color=TEXT_COLOR, size="10pt")

    def draw_pending(self) -> None:
        """Draw the grid left in :attr:`pending` (the panel's redraw scheduler calls this)."""
        if self.pending is not None:
            grid, self.pending = self.pending, None
            self.set_grid(grid)

    def clear_data(self) -> None:
        """Remove the heatmap and the points (``clear()`` would remove the plot items themselves)."""
        self.grid = self.pending = None
        self.image.clear()
        self.points.clear()
        self.getPlotItem().setTitle("Decision boundary", color=TEXT_COLOR, size="10pt")
