"""Gradient clipping made visible: the whole gradient's norm before and after clipping, and the
share of each epoch's steps that clipping changed.

The view keeps its own columns from the records (:attr:`EpochRecord.grad_norm`,
``clipped_norm``, ``clipped_fraction``); the threshold t is drawn as a dotted line when the clip
type bounds a norm.  Without clipping the two curves coincide and the share is 0.
"""

from __future__ import annotations

from typing import Iterable

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from ...engine import EpochRecord
from ..qt.style import PALETTE, STOP_COLOR, TEXT_COLOR
from .epoch_plot import EpochPlot

NORM_CLIPS = ("norm", "global_norm")
CLIP_PLOT_MIN_HEIGHT = 110


class ClipNormPlot(EpochPlot):
    """``clipNormPlot``: series ``before`` and ``after`` (L2 norm of the whole gradient, epoch mean)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__("clipNormPlot", "Whole-gradient norm", "‖∇‖₂", parent, y_from_zero=True)
        self.add_series("before", "before", PALETTE[3], width=1.5)
        self.add_series("after", "after (applied)", PALETTE[0], width=2.0)
        self.threshold_line = pg.InfiniteLine(angle=0, pen=pg.mkPen(STOP_COLOR, width=1, style=Qt.PenStyle.DotLine),
                                              label="t", labelOpts={"position": 0.03, "color": STOP_COLOR})
        self.threshold_line.hide()
        self.getPlotItem().addItem(self.threshold_line)
        self.setToolTip("The L2 norm of the whole gradient (all layers together), averaged over the epoch's "
                        "steps: before clipping (red) and as the optimizer received it (blue).\nWith global-norm "
                        "clipping the blue curve stays at or under the threshold t; per-tensor and per-value "
                        "clipping bound pieces, so the whole norm can stay above t.")


class ClipFractionPlot(EpochPlot):
    """``clipFractionPlot``: series ``fraction`` (% of the epoch's steps whose gradient was clipped)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__("clipFractionPlot", "Steps clipped", "% of steps", parent, y_from_zero=True)
        self.add_series("fraction", "clipped", PALETTE[4], width=1.5)
        self.setToolTip("Share of the epoch's optimizer steps whose gradient clipping changed.\n100% all the "
                        "time: the threshold is below the typical gradient, so clipping sets the step size; "
                        "0%: it never acts.")


class ClippingView(QWidget):
    """The two clipping plots and a line saying which clipping the run uses."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.caption = QLabel("Gradient clipping appears here during a run.", self)
        self.caption.setObjectName("clippingCaption")
        self.caption.setWordWrap(True)
        self.caption.setStyleSheet(f"color: {TEXT_COLOR};")
        self.normPlot = ClipNormPlot(self)
        self.fractionPlot = ClipFractionPlot(self)
        # one "epoch" label under both (they share the x axis), and shorter minimums, so the page
        # fits under the caption in the training panel's side column at 1280 x 800
        self.normPlot.getPlotItem().getAxis("bottom").showLabel(False)
        for plot in (self.normPlot, self.fractionPlot):
            plot.setMinimumHeight(CLIP_PLOT_MIN_HEIGHT)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        layout.addWidget(self.caption)
        layout.addWidget(self.normPlot, 3)
        layout.addWidget(self.fractionPlot, 2)
        self._rows: list[tuple[float, float, float, float]] = []
        self._dirty = False

    def start(self, clip_type: str, threshold: float) -> None:
        """A new run with this clipping."""
        self.clear()
        if clip_type == "none":
            self.caption.setText("No clipping in this run: the optimizer receives the gradient as it is "
                                 "(both curves coincide). Choose a clip type under Regularization to compare.")
        else:
            self.caption.setText(f"Clipping: {clip_type.replace('_', ' ')} with threshold t = {threshold:g}.")
        if clip_type in NORM_CLIPS:
            self.normPlot.threshold_line.setValue(threshold)
            self.normPlot.threshold_line.show()

    def clear(self) -> None:
        self._rows = []
        self.normPlot.clear_data()
        self.fractionPlot.clear_data()
        self.normPlot.threshold_line.hide()
        self.caption.setText("Gradient clipping appears here during a run.")

    def add_records(self, records: Iterable[EpochRecord]) -> None:
        self._rows += [(r.epoch, r.grad_norm, r.clipped_norm, 100.0 * r.clipped_fraction)
                       for r in records if r.epoch > 0]
        self._dirty = True

    def refresh(self) -> None:
        if not self._dirty:
            return
        self._dirty = False
        data = np.array(self._rows, dtype=np.float64).reshape(-1, 4)
        x = data[:, 0]
        self.normPlot.set_series("before", x, data[:, 1])
        self.normPlot.set_series("after", x, data[:, 2])
        self.fractionPlot.set_series("fraction", x, data[:, 3])
        self.normPlot.fit_range()
        self.fractionPlot.fit_range()

    def end_run(self) -> None:
        self.normPlot.run_ended = self.fractionPlot.run_ended = True
        self._dirty = True
        self.refresh()
