"""The Compare tab's left column: the variants, the run settings, Run / Stop, progress and status."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QDoubleSpinBox, QGridLayout, QGroupBox, QLabel, QProgressBar, QPushButton,
                               QSizePolicy, QSpinBox, QStyle, QVBoxLayout, QWidget)

from ...compare import DEFAULT_SEEDS, MAX_SEEDS, default_workers
from ..widgets.rows import row
from ..widgets.status_label import StatusLabel
from .variants import VariantsBox

CONTROLS_WIDTH = (270, 380)  # px: the plots and the table get the rest
STATUS_LINES = 2  # a longer message is cut short; the whole of it is in the tooltip


class RunsBox(QGroupBox):
    """``Runs``: seeds per variant, epochs, the target of "epochs to target", parallel workers."""

    def __init__(self, workers: int | None, parent: QWidget | None = None):
        super().__init__("Runs", parent)
        self.seedsSpin = QSpinBox(self)
        self.seedsSpin.setObjectName("compareSeedsSpin")
        self.seedsSpin.setRange(1, MAX_SEEDS)
        self.seedsSpin.setValue(DEFAULT_SEEDS)
        self.seedsSpin.setToolTip("Runs per variant. Run i of every variant uses seed (design seed + i), so "
                                  "all variants see the same initial draws and batch orders.\nOne run is noise: "
                                  "the band shows how far seeds spread.")
        self.epochsSpin = QSpinBox(self)
        self.epochsSpin.setObjectName("compareEpochsSpin")
        self.epochsSpin.setRange(0, 100_000)
        self.epochsSpin.setSpecialValueText("as designed")
        self.epochsSpin.setToolTip("Epochs for every run; 'as designed' keeps the design's epoch count "
                                   "(early stopping still applies if it is on).")
        self.targetSpin = QDoubleSpinBox(self)
        self.targetSpin.setObjectName("compareTargetSpin")
        self.targetSpin.setRange(0.0, 1.0)
        self.targetSpin.setDecimals(3)
        self.targetSpin.setSingleStep(0.01)
        self.targetSpin.setValue(0.95)
        self.targetSpin.setToolTip("'Epochs to target' counts epochs until validation accuracy first reaches "
                                   "this value (for regression: until validation loss falls to it).")
        self.workersSpin = QSpinBox(self)
        self.workersSpin.setObjectName("compareWorkersSpin")
        self.workersSpin.setRange(1, max(1, default_workers()) * 2)
        self.workersSpin.setValue(workers or default_workers())
        self.workersSpin.setToolTip("Worker processes training at the same time (one per CPU core is best).")
        # two fields a line: the column stays short, so the table below gets its rows
        grid = QGridLayout(self)
        for i, (text, spin) in enumerate((("Seeds", self.seedsSpin), ("Epochs", self.epochsSpin),
                                          ("Target", self.targetSpin), ("Workers", self.workersSpin))):
            label = QLabel(text, self)
            label.setBuddy(spin)
            label.setToolTip(spin.toolTip())
            grid.addWidget(label, i // 2, 2 * (i % 2))
            grid.addWidget(spin, i // 2, 2 * (i % 2) + 1)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)
        grid.setVerticalSpacing(4)


class CompareControls(QWidget):
    """``compareControls``: what to compare and how (the column), and the run bar (:attr:`bar`:
    Run, Stop, the progress) with the status under it (:attr:`status`), which the tab places
    across its top."""

    def __init__(self, workers: int | None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("compareControls")
        self.variants = VariantsBox(self)
        self.runs = RunsBox(workers, self)
        icon = self.style().standardIcon
        self.runButton = QPushButton("Run comparison", self)
        self.runButton.setObjectName("compareRunButton")
        self.runButton.setIcon(icon(QStyle.StandardPixmap.SP_MediaPlay))
        self.runButton.setToolTip("Train every variant with every seed (Ctrl+Return).")
        self.stopButton = QPushButton("Stop", self)
        self.stopButton.setObjectName("compareStopButton")
        self.stopButton.setIcon(icon(QStyle.StandardPixmap.SP_MediaStop))
        self.stopButton.setToolTip("End every run now (Esc); finished figures stay.")
        self.progress = QProgressBar(self)
        self.progress.setObjectName("compareProgress")
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress.setFormat("%p%")
        self.progressLabel = QLabel("", self)
        self.progressLabel.setObjectName("compareProgressLabel")
        self.progressLabel.setMinimumWidth(self.progressLabel.fontMetrics().horizontalAdvance(
            "14/14 runs finished, 2 training, 3 stopped · 12m 30s"))
        # the room of STATUS_LINES lines is kept: nothing moves when a message comes
        self.status = StatusLabel(parent, max_lines=STATUS_LINES, reserve=True)
        self.status.setObjectName("compareStatus")
        self.bar = QWidget(parent)
        self.bar.setObjectName("compareRunBar")
        bar = row(self.runButton, self.stopButton, self.progress, self.progressLabel)
        bar.setStretchFactor(self.progress, 1)
        self.bar.setLayout(bar)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.variants, 1)
        layout.addWidget(self.runs)
        self.setMinimumWidth(CONTROLS_WIDTH[0])
        self.setMaximumWidth(CONTROLS_WIDTH[1])
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Expanding)

    def set_running(self, running: bool) -> None:
        # enable the button that takes over first and hand it the focus, so that disabling the
        # other never sends the focus on down the form (into the Target box, text selected)
        gaining, losing = (self.stopButton, self.runButton) if running else (self.runButton, self.stopButton)
        gaining.setEnabled(True)
        if losing.hasFocus():
            gaining.setFocus(Qt.FocusReason.OtherFocusReason)
        losing.setEnabled(False)
        self.variants.set_running(running)
        for w in (self.runs.seedsSpin, self.runs.epochsSpin, self.runs.workersSpin):
            w.setEnabled(not running)

    def show_progress(self, done: int, total: int, text: str) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)
        self.progressLabel.setText(text)
