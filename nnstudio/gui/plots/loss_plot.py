"""The loss plot: train and validation loss, raw and smoothed, with best-epoch and stop marks.

Raw curves are thin but clearly visible; smoothed curves are thick.  Smoothing is the
debiased exponential moving average of :mod:`nnstudio.smoothing` with factor f set by a slider
(0 = off, default 0.9), and the smoothed pair keeps the order of the raw curves wherever that
order is clear.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QSlider, QVBoxLayout, QWidget

from ..qt.style import TRAIN_COLOR, VAL_COLOR
from .epoch_plot import EpochPlot
from ...history import History
from ...smoothing import smooth_pair

DEFAULT_SMOOTHING = 0.9
SMOOTHING_STEPS = 100  # slider positions 0..99 -> factor 0.00..0.99
RAW_ALPHA = 170  # raw curves stay plainly readable under the smoothed ones


class LossPlot(EpochPlot):
    """``lossPlot``: series ``train``, ``val`` (raw) and ``train_smooth``, ``val_smooth``."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__("lossPlot", "Loss", "loss", parent, marker_label_y=(0.55, 0.4))
        self.add_series("train", "train (raw)", TRAIN_COLOR, width=1.2, alpha=RAW_ALPHA, legend=False)
        self.add_series("val", "validation (raw)", VAL_COLOR, width=1.2, alpha=RAW_ALPHA, legend=False)
        self.add_series("train_smooth", "train", TRAIN_COLOR, width=2.5)
        self.add_series("val_smooth", "validation", VAL_COLOR, width=2.5)
        self.smoothing = DEFAULT_SMOOTHING
        self._history: History | None = None
        self.setToolTip("Data loss per epoch. Validation: the whole validation split after the epoch, in "
                        "evaluation mode (no dropout).\nTraining: as the Train metrics setting says, the mean "
                        "over the epoch's mini-batches (running, dropout on)\nor a pass over the whole "
                        "training split after the epoch (evaluation).\n"
                        "Thin lines are raw values, thick lines their debiased exponential moving "
                        "average\n(the two keep the raw curves' order wherever it is clear).\nThe dashed green line marks the best validation loss; the dotted red line "
                        "where training stopped.")

    def format_readout(self, values: dict[str, float]) -> str:
        """``train 0.0486 (raw 0.0331)``, then validation on the next line: smoothed first, raw in brackets."""
        parts = []
        for key, label in (("train", "train"), ("val", "val")):
            if key + "_smooth" in values:
                raw = f" (raw {self.format_value(values[key])})" if key in values else ""
                parts.append(f"{label} {self.format_value(values[key + '_smooth'])}{raw}")
        return "\n".join(parts)

    def set_smoothing(self, factor: float) -> None:
        """Change the EMA factor f in [0, 1) and recompute the smoothed curves."""
        self.smoothing = float(factor)
        if self._history is not None:
            self.update_from(self._history)

    def set_log_scale(self, on: bool) -> None:
        self.getPlotItem().setLogMode(x=False, y=bool(on))  # also ticks the context menu's "Log Y"

    def clear_data(self) -> None:
        super().clear_data()
        self._history = None

    def _draw(self, history: History) -> None:
        self._history = history
        x = history.epochs
        train, val = history.column("train_loss"), history.column("val_loss")
        smooth_train, smooth_val = smooth_pair(train, val, self.smoothing)
        for key, raw, smooth in (("train", train, smooth_train), ("val", val, smooth_val)):
            self.set_series(key, x, raw)
            self.set_series(key + "_smooth", x, smooth)
        # the untrained network is scored first (epoch 0): it stays the best until an epoch beats it
        best_rows = np.flatnonzero(history.column("is_best"))
        self.set_best_epoch(int(x[best_rows[-1]]) if len(best_rows) else (0 if len(x) else None))


class LossView(QWidget):
    """The loss plot with its smoothing slider and log-scale toggle.

    With ``controls_above=False`` the row of controls (:attr:`controls`) is left out of this
    widget's layout, for the caller to place (the training panel puts it above all its plots).
    """

    smoothingChanged = Signal(float)

    def __init__(self, parent: QWidget | None = None, controls_above: bool = True):
        super().__init__(parent)
        self.plot = LossPlot(self)
        self.controls = QWidget(self)
        self.smoothingSlider = QSlider(Qt.Orientation.Horizontal, self.controls)
        self.smoothingSlider.setObjectName("smoothingSlider")
        self.smoothingSlider.setRange(0, SMOOTHING_STEPS - 1)
        self.smoothingSlider.setValue(round(DEFAULT_SMOOTHING * SMOOTHING_STEPS))
        self.smoothingSlider.setMinimumWidth(52)
        self.smoothingSlider.setMaximumWidth(180)
        tip = ("Debiased exponential moving average of the loss curves (as TensorBoard draws them):\n"
               "  m[t] = f · m[t−1] + (1 − f) · x[t], m[0] = 0, shown as m[t] / (1 − fᵗ)\n"
               "f = 0 shows raw values; f = 0.9 (the default) averages over roughly the last 10 epochs.\n"
               "Where the raw train and validation curves are clearly ordered, the smoothed ones keep that order.")
        self.smoothingSlider.setToolTip(tip)
        self.smoothingLabel = QLabel(self.controls)
        self.smoothingLabel.setToolTip(tip)
        self.smoothingLabel.setMinimumWidth(
            self.smoothingLabel.fontMetrics().horizontalAdvance("Smoothing 0.99"))
        self.logScaleCheck = QCheckBox("Log scale", self.controls)
        self.logScaleCheck.setObjectName("logScaleCheck")
        self.logScaleCheck.setToolTip("Plot the loss on a logarithmic axis: late, small improvements stay visible.")
        row = QHBoxLayout(self.controls)
        row.setContentsMargins(4, 0, 4, 0)
        row.addWidget(self.smoothingLabel)
        row.addWidget(self.smoothingSlider)
        row.addSpacing(8)
        row.addWidget(self.logScaleCheck)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        if controls_above:
            layout.addWidget(self.controls)
        layout.addWidget(self.plot, 1)
        self.smoothingSlider.valueChanged.connect(self._on_smoothing)
        self.logScaleCheck.toggled.connect(self.plot.set_log_scale)
        self._on_smoothing(self.smoothingSlider.value())

    @property
    def smoothing(self) -> float:
        return self.smoothingSlider.value() / SMOOTHING_STEPS

    def _on_smoothing(self, value: int) -> None:
        factor = value / SMOOTHING_STEPS
        self.smoothingLabel.setText(f"Smoothing {factor:.2f}")  # of the loss: the tooltip says
        self.plot.set_smoothing(factor)
        self.smoothingChanged.emit(factor)
