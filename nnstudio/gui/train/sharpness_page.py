"""The Train tab's Sharpness page: the opt-in monitor's switch and its plot.

Off by default: measuring costs training time (see :data:`SHARPNESS_TIP`).  The settings apply
to the next run and cannot change during one.
"""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QSpinBox, QVBoxLayout, QWidget

from ..plots.sharpness import SharpnessPlot

SHARPNESS_TIP = ("Measure the sharpness (the largest eigenvalue of the loss's Hessian) every N epochs and plot it "
                 "against the optimizer's stability limit 2/lr (2(1+μ)/lr with momentum).\n"
                 "Cost: each measurement takes up to 40 gradient passes over up to 2048 training rows; on the "
                 "digits preset one measurement took about as long as 11 training epochs (median), so every 10 "
                 "epochs roughly doubles the training time. Off by default.")


class SharpnessPage(QWidget):
    """``sharpnessCheck`` and ``sharpnessEverySpin`` above the ``sharpnessPlot``."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.sharpnessCheck = QCheckBox("Measure every", self)
        self.sharpnessCheck.setObjectName("sharpnessCheck")
        self.sharpnessCheck.setToolTip(SHARPNESS_TIP)
        self.sharpnessEverySpin = QSpinBox(self)
        self.sharpnessEverySpin.setObjectName("sharpnessEverySpin")
        self.sharpnessEverySpin.setRange(1, 1000)
        self.sharpnessEverySpin.setValue(10)
        self.sharpnessEverySpin.setSuffix(" epochs")
        self.sharpnessEverySpin.setToolTip(SHARPNESS_TIP)
        self.sharpnessEverySpin.setEnabled(False)
        self.sharpnessCheck.toggled.connect(self.sharpnessEverySpin.setEnabled)
        self.sharpnessPlot = SharpnessPlot(self)
        self.sharpnessCheck.toggled.connect(self._say_why_empty)
        self._say_why_empty(False)
        row = QHBoxLayout()
        row.addWidget(self.sharpnessCheck)
        row.addWidget(self.sharpnessEverySpin)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(row)
        layout.addWidget(self.sharpnessPlot, 1)

    def _say_why_empty(self, on: bool) -> None:
        """What the empty plot says: measuring is off, or nothing has been measured yet."""
        self.sharpnessPlot.empty_note.setText(
            "No measurement yet" if on else "Sharpness measuring is off\n(switch it on above, before training)")

    def sharpness_every(self) -> int:
        """Epochs between measurements, 0 when the monitor is off."""
        return self.sharpnessEverySpin.value() if self.sharpnessCheck.isChecked() else 0

    def set_running(self, running: bool) -> None:
        self.sharpnessCheck.setEnabled(not running)
        self.sharpnessEverySpin.setEnabled(not running and self.sharpnessCheck.isChecked())
