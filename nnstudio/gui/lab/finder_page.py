"""The Lab tab's learning-rate page: range tests over seeds, their verification, and the band.

Find runs a :class:`~.worker.FinderWorker` (range tests in its thread, verification in worker
processes); the page draws each curve as it arrives, then the candidates, then the verdict.
"Use" asks the window to set the editor's rate (one undoable edit); "Search this band" asks it to
set the Tune tab's learning-rate range.
"""

from __future__ import annotations

import math
from typing import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QLabel, QProgressBar, QSplitter, QVBoxLayout, QWidget

from ...config import ExperimentConfig
from ...errors import UserError
from ...lab import FinderResult, Verdict
from .job_page import JobPage, button, spin
from .plots import FinderPlot, VerifyPlot
from .worker import FinderWorker

class FinderPage(JobPage):
    """Signals: ``useRate(float)``, ``searchBand(float, float)``, ``runFinished()``."""

    thread_name = "lab-finder"

    useRate = Signal(float)
    searchBand = Signal(float, float)
    runFinished = Signal()

    def __init__(self, config_provider: Callable[[], ExperimentConfig], parent: QWidget | None = None, *,
                 workers: int | None = None, backend: str = "process"):
        super().__init__(parent)
        self._config_provider = config_provider
        self._workers, self._backend = workers, backend
        self.result: FinderResult | None = None
        self.verdict: Verdict | None = None
        self._build()

    def _build(self) -> None:
        self.seedsSpin = spin(self, "labSeedsSpin", 1, 10, 3, "Range tests, one per seed (config seed + 0, 1, ...): "
                               "the spread between them shows how far one test can be trusted.")
        self.verifyEpochsSpin = spin(self, "labVerifyEpochsSpin", 0, 100, 5,
                                      "Epochs each candidate trains (on 2 seeds, in parallel processes) to verify it; "
                                      "0 skips the verification.")
        self.findButton = button(self, "labFindButton", "Find learning rate", "Run the range tests from the current "
                                  "design, then verify the candidates (Ctrl+Shift+F)")
        self.findButton.setShortcut(QKeySequence("Ctrl+Shift+F"))
        self.stopButton = button(self, "labStopButton", "Stop", "Stop the range tests or the verification")
        self.stopButton.setEnabled(False)
        self.progress = QProgressBar(self)
        self.progress.setObjectName("labFinderProgress")
        self.progress.setMaximumWidth(220)
        self.progress.setVisible(False)
        status = QLabel("Find a learning rate for the current design: 3 range tests, then a brief "
                        "verification of each suggestion.", self)
        status.setObjectName("labFinderStatus")
        self._lay_out((QLabel("Seeds", self), self.seedsSpin, QLabel("Verify epochs", self), self.verifyEpochsSpin,
                       self.findButton, self.stopButton, self.progress), status, self._build_views())
        self.findButton.clicked.connect(self.start)
        self.stopButton.clicked.connect(self.stop)
        self.useButton.clicked.connect(lambda: self.verdict and self.useRate.emit(self.verdict.suggestion))
        self.searchButton.clicked.connect(lambda: self.verdict and self.searchBand.emit(*self.verdict.band))

    def _build_views(self) -> QSplitter:
        """The range-test plot above; the verification, the table and the two buttons below."""
        self.finderPlot = FinderPlot(self)
        self.verifyPlot = VerifyPlot(self)
        self.summary = QLabel(self)
        self.summary.setObjectName("labFinderSummary")
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.summary.setWordWrap(True)
        self.summary.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.summary.setMinimumWidth(260)
        self.summary.setToolTip("rate: the geometric mean of the seeds' suggestions; spread: largest / smallest "
                                "seed's suggestion; val loss: mean over the verification seeds")
        self.useButton = button(self, "labUseButton", "Use suggestion", "Set the design's learning rate to the "
                                 "suggested rate (one edit; Ctrl+Z undoes it)")
        self.searchButton = button(self, "labSearchBandButton", "Search this band in Tune",
                                    "Set the Tune tab's learning-rate range to the recommended band (log scale)")
        for b in (self.useButton, self.searchButton):
            b.setEnabled(False)
        side = QVBoxLayout()
        side.addWidget(self.summary, 1)
        side.addWidget(self.useButton)
        side.addWidget(self.searchButton)
        side_widget = QWidget(self)
        side_widget.setLayout(side)
        bottom = QSplitter(Qt.Orientation.Horizontal, self)
        bottom.addWidget(self.verifyPlot)
        bottom.addWidget(side_widget)
        split = QSplitter(Qt.Orientation.Vertical, self)
        split.addWidget(self.finderPlot)
        split.addWidget(bottom)
        split.setSizes([560, 300])  # proportions: the range test gets most of the height
        bottom.setSizes([600, 300])
        return split

    # -- running -------------------------------------------------------------------------------
    def start(self) -> None:
        if self.is_running():
            return
        try:
            config = self._config_provider()
        except (UserError, ValueError) as exc:
            self._show(f"The design cannot be tested: {exc}", "error")
            return
        self.result = self.verdict = None
        self.finderPlot.clear_all()
        self.verifyPlot.clear_all()
        self.summary.setText("")
        self.useButton.setEnabled(False)
        self.searchButton.setEnabled(False)
        worker = FinderWorker(config, self.seedsSpin.value(), self.verifyEpochsSpin.value(), workers=self._workers,
                              backend=self._backend)
        worker.curve.connect(self._on_curve)
        worker.tested.connect(self._on_tested)
        worker.verifying.connect(self._on_verifying)
        worker.verdict.connect(self._on_verdict)
        worker.failed.connect(lambda message: self._show(message, "error"))
        self.progress.setRange(0, self.seedsSpin.value())
        self.progress.setValue(0)
        self._launch(worker, f"Range tests on {self.seedsSpin.value()} seeds…")

    def stop(self) -> bool:
        if not super().stop():
            return False
        self._show("Stopping…", "busy")
        return True

    def _set_running(self, running: bool) -> None:
        self.findButton.setEnabled(not running)
        self.stopButton.setEnabled(running)
        self.seedsSpin.setEnabled(not running)
        self.verifyEpochsSpin.setEnabled(not running)
        self.progress.setVisible(running)

    # -- results ---------------------------------------------------------------------------------
    def _on_curve(self, curve, marks) -> None:
        self.finderPlot.add_curve(curve, marks)
        self.progress.setValue(len(self.finderPlot.curves))

    def _on_tested(self, result: FinderResult) -> None:
        self.result = result
        self.finderPlot.show_result(result)
        self.summary.setText(candidates_html(result))
        if not result.candidates:
            self._show("No suggestion: every curve ended too early (the loss exploded at once).", "error")
        elif self.verifyEpochsSpin.value() > 0:
            self._show(f"Verifying {len(result.candidates)} candidates: {self.verifyEpochsSpin.value()} epochs × "
                       "2 seeds each, in parallel processes…", "busy")

    def _on_verifying(self, done: int, total: int) -> None:
        self.progress.setRange(0, total)
        self.progress.setValue(done)

    def _on_verdict(self, verdict: Verdict) -> None:
        self.verdict = verdict
        self.verifyPlot.show_verdict(verdict)
        self.summary.setText(candidates_html(self.result, verdict))
        if math.isfinite(verdict.suggestion):
            self.finderPlot.show_band(*verdict.band)
            self.useButton.setEnabled(True)
            self.searchButton.setEnabled(True)
            self.useButton.setText(f"Use {verdict.suggestion:.3g}")
            self._show(f"Recommended band {verdict.band[0]:.3g} – {verdict.band[1]:.3g}; suggestion "
                       f"{verdict.suggestion:.3g}.", "success")
        else:
            self._show("Every candidate diverged in the verification: no band to recommend.", "error")

    def _ended(self, stopped: bool) -> None:
        if stopped:
            self._show("Stopped. The curves finished so far are shown.", "info")
        self.runFinished.emit()


def candidates_html(result: FinderResult | None, verdict: Verdict | None = None) -> str:
    """One table: each candidate's rate, its spread over seeds and (once verified) its validation loss."""
    if result is None or not result.candidates:
        return ""
    scores = {}
    for r in verdict.rates if verdict else ():
        for method in r.methods:
            scores[method] = "diverged" if not math.isfinite(r.score) else f"{r.score:.4f}"
    loss_head = f"<th>val loss ({verdict.epochs} ep.)</th>" if verdict else ""
    rows = "".join(f"<tr><td>{c.method}</td><td align='right'>{c.lr:.3g}</td><td align='right'>×{c.spread:.2f}</td>"
                   + (f"<td align='right'>{scores.get(c.method, '')}</td>" if verdict else "") + "</tr>"
                   for c in result.candidates)
    table = (f"<table cellspacing='4'><tr><th align='left'>candidate</th><th>rate</th><th>spread</th>{loss_head}"
             f"</tr>{rows}</table>")
    band = ""
    if verdict is not None and math.isfinite(verdict.suggestion):
        band = (f"<p><b>Band {verdict.band[0]:.3g} – {verdict.band[1]:.3g}</b>: candidates within 10% of the best "
                "validation loss.</p>")
    return table + band
