"""The Train tab's Diagnosis page: the training doctor's findings, live, each with its fix.

Every finding is a card: what was found (severity, layer, first epoch), the sentence that explains
it, the evidence, and the suggested edit with two buttons.  **Try the fix** trains the run's
config and the edited one side by side over three seeds in the background
(:class:`~.fix_worker.FixWorker`), with progress and Stop, and shows the verdict.  **Apply** asks
the window to make the edit in the editor, as one undoable step.  The findings come with the
worker's updates (:attr:`~.worker.Update.findings`); nothing is computed here.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QFrame, QHBoxLayout, QLabel, QProgressBar, QPushButton, QScrollArea, QVBoxLayout,
                               QWidget)

from ...config import ExperimentConfig
from ...doctor import HELPED, HURT
from ...engine.findings import Finding, Suggestion, top_finding
from ..qt.style import (BANNER_COLORS, ERROR_TEXT, FINDING_CARD_STYLE, INFO_FINDING_COLORS, MUTED_TEXT, WARNING_TEXT,
                        banner_style, set_severity)
from ..qt.threads import start_worker, stop_and_wait
from .diagnosis_texts import CHECKED_TEXT, TITLES, cleared_html, cleared_markers, finding_title, headline
from .fix_worker import FixWorker

__all__ = ["TITLES", "DiagnosisPanel", "FindingCard", "FindingMarkers", "finding_title", "suggestion_text"]

VERDICT_SEVERITY = {HELPED: "success", HURT: "error"}


class FindingCard(QFrame):
    """One finding (``findingCard``): title, message, evidence, suggestion and its two buttons."""

    tryRequested = Signal(object)     # this card
    applyRequested = Signal(object)   # Suggestion

    def __init__(self, finding: Finding, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("findingCard")
        self.finding = finding
        self.worker: FixWorker | None = None
        self._thread = None
        self.title = QLabel(self)
        self.title.setObjectName("findingTitle")
        self.title.setWordWrap(True)
        self.message = QLabel(self)
        self.message.setObjectName("findingMessage")
        self.message.setWordWrap(True)
        self.evidence = QLabel(self)
        self.evidence.setObjectName("findingEvidence")
        self.evidence.setWordWrap(True)
        self.evidence.setStyleSheet(f"color: {MUTED_TEXT};")
        self.suggestion = QLabel(self)
        self.suggestion.setObjectName("findingSuggestion")
        self.suggestion.setWordWrap(True)
        self.tryButton = QPushButton("Try the fix", self)
        self.tryButton.setObjectName("tryFixButton")
        self.tryButton.setToolTip("Train this run's config and the edited one side by side over 3 seeds (worker "
                                  "processes, same split and seeds) and say whether the edit lowered the best "
                                  "validation loss.")
        self.applyButton = QPushButton("Apply", self)
        self.applyButton.setObjectName("applyFixButton")
        self.applyButton.setToolTip("Make this edit in the editor (one step; Ctrl+Z undoes it).")
        self.stopButton = QPushButton("Stop", self)
        self.stopButton.setObjectName("stopFixButton")
        self.progress = QProgressBar(self)
        self.progress.setObjectName("fixProgress")
        self.progress.setFormat("Trying the fix… %p%")
        self.verdict = QLabel(self)
        self.verdict.setObjectName("fixVerdict")
        self.verdict.setWordWrap(True)
        self.verdict.setStyleSheet(banner_style("fixVerdict"))
        self._layout()
        self.tryButton.clicked.connect(lambda: self.tryRequested.emit(self))
        self.applyButton.clicked.connect(self._on_apply)
        self.stopButton.clicked.connect(self.stop)
        self.set_finding(finding)
        self._show_running(False)
        self.verdict.hide()

    def _layout(self) -> None:
        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        buttons.addWidget(self.tryButton)
        buttons.addWidget(self.applyButton)
        buttons.addStretch(1)
        running = QHBoxLayout()
        running.setContentsMargins(0, 0, 0, 0)
        running.addWidget(self.progress, 1)
        running.addWidget(self.stopButton)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.setSpacing(4)
        for widget in (self.title, self.message, self.evidence, self.suggestion):
            layout.addWidget(widget)
        layout.addLayout(buttons)
        layout.addLayout(running)
        layout.addWidget(self.verdict)

    def set_finding(self, finding: Finding) -> None:
        self.finding = finding
        background, text, border = BANNER_COLORS.get(finding.severity, INFO_FINDING_COLORS)
        self.title.setText(finding_title(finding))
        self.title.setStyleSheet(f"font-weight: bold; color: {text}; background: {background}; "
                                 f"border: 1px solid {border}; border-radius: 3px; padding: 2px 6px;")
        self.message.setText(finding.message)
        self.evidence.setText(f"Evidence: {finding.evidence_display()}")
        s = finding.suggestion
        self.suggestion.setText(f"Suggested edit: <b>{s.text}</b>" if s else "No single edit to suggest.")
        has = s is not None
        self.tryButton.setVisible(has)
        self.applyButton.setVisible(has)

    @property
    def busy(self) -> bool:
        return self.worker is not None

    def _on_apply(self) -> None:
        if self.finding.suggestion is not None:
            self.applyRequested.emit(self.finding.suggestion)

    # -- trying the fix ----------------------------------------------------------------------
    def start_trial(self, config: ExperimentConfig, seeds: int, backend: str) -> None:
        if self.busy or self.finding.suggestion is None:
            return
        self.worker = FixWorker(config, self.finding.suggestion, seeds=seeds, backend=backend)
        self.worker.progressed.connect(self._on_progress)
        self.worker.verdictReady.connect(self._on_verdict)
        self.worker.failed.connect(self._on_failed)
        self.worker.finished.connect(self._on_finished)
        self.progress.setRange(0, 0)
        self.verdict.hide()
        self._show_running(True)
        self._thread = start_worker(self.worker, "try-fix")

    def stop(self) -> None:
        """Stop the trial (its runs end within one mini-batch) and wait for its thread."""
        if self.worker is not None:
            self.worker.stop()
            self._end_trial()
            self._show_verdict("Stopped: no verdict.", "warning")

    def _stale(self) -> bool:
        """Whether the signal being handled comes from a trial that was stopped (or replaced)."""
        sender = self.sender()
        return sender is not None and sender is not self.worker

    def _on_progress(self, done: int, total: int) -> None:
        if self._stale():
            return
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)

    def _on_verdict(self, verdict) -> None:
        if self._stale():
            return
        self._show_verdict(verdict.describe(), VERDICT_SEVERITY.get(verdict.verdict, "warning"))

    def _on_failed(self, message: str) -> None:
        if self._stale():
            return
        self._show_verdict(message, "error")

    def _on_finished(self) -> None:
        if not self._stale():
            self._end_trial()

    def _end_trial(self) -> None:
        # the worker has returned from run() (or was told to stop): join its thread, so that
        # "not busy" means no thread is left
        stop_and_wait(self._thread)
        self.worker = None
        self._thread = None
        self._show_running(False)

    def _show_verdict(self, text: str, severity: str) -> None:
        self.verdict.setText(text)
        set_severity(self.verdict, severity)
        self.verdict.show()

    def _show_running(self, running: bool) -> None:
        self.progress.setVisible(running)
        self.stopButton.setVisible(running)
        self.tryButton.setEnabled(not running)


class DiagnosisPanel(QWidget):
    """``diagnosisPanel``: a headline and one :class:`FindingCard` per finding, most important first."""

    applyRequested = Signal(object)   # Suggestion
    topChanged = Signal(object)       # the top Finding or None

    def __init__(self, parent: QWidget | None = None, *, seeds: int = 3, backend: str = "process"):
        super().__init__(parent)
        self.setObjectName("diagnosisPanel")
        self.seeds, self.backend = seeds, backend
        self.config: ExperimentConfig | None = None
        self.findings: tuple[Finding, ...] = ()
        self.cards: dict[tuple[str, str | None], FindingCard] = {}
        self.headline = QLabel(self)
        self.headline.setObjectName("diagnosisHeadline")
        self.headline.setWordWrap(True)
        self.headline.setStyleSheet(banner_style("diagnosisHeadline"))
        self._list = QWidget(self)
        self._list.setStyleSheet(FINDING_CARD_STYLE)
        self._cards_layout = QVBoxLayout(self._list)
        self._cards_layout.setContentsMargins(0, 0, 0, 0)
        self._cards_layout.setSpacing(6)
        self.clearedLabel = QLabel(self._list)
        self.clearedLabel.setObjectName("diagnosisCleared")
        self.clearedLabel.setWordWrap(True)
        self.clearedLabel.setStyleSheet(f"color: {MUTED_TEXT};")
        self.clearedLabel.setToolTip("Findings that held for a while and no longer do: the run recovered from them.")
        self._cards_layout.addWidget(self.clearedLabel)
        self._cards_layout.addStretch(1)
        scroll = QScrollArea(self)
        scroll.setObjectName("diagnosisScroll")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(self._list)
        self.checkedLabel = QLabel(CHECKED_TEXT, self)
        self.checkedLabel.setObjectName("diagnosisChecked")
        self.checkedLabel.setWordWrap(True)
        self.checkedLabel.setStyleSheet(f"color: {MUTED_TEXT};")
        self.headline.setToolTip(CHECKED_TEXT)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.headline)
        layout.addWidget(self.checkedLabel)
        layout.addWidget(scroll, 1)
        self.clear()

    def clear(self) -> None:
        """Forget the run (trials in progress are stopped)."""
        for card in list(self.cards.values()):
            self._remove(card)
        self.findings = ()
        self.cleared = ()
        self.clearedLabel.hide()
        self.config = None
        self.checkedLabel.show()
        self._headline("The training doctor watches every epoch; what it finds appears here.", "info")

    def set_config(self, config: ExperimentConfig) -> None:
        """The config of the run being diagnosed (what Try the fix starts from)."""
        self.config = config

    def set_findings(self, findings, finished: bool = False, cleared=()) -> None:
        """Show ``findings``: cards are kept (with their trials) for findings that still hold;
        ``cleared`` (:class:`~nnstudio.engine.findings.Cleared`) are listed, muted, below them."""
        order = sorted(findings, key=lambda f: (f.severity == "info", -f.rank, f.epoch))
        self.findings, self.cleared = tuple(order), tuple(cleared)
        keep = {(f.code, f.layer) for f in order}
        for key, card in list(self.cards.items()):
            if key not in keep and not card.busy:
                self._remove(card)
        for i, f in enumerate(order):
            card = self.cards.get((f.code, f.layer))
            if card is None:
                card = self._add(f)
            elif card.finding != f:
                card.set_finding(f)
            self._cards_layout.insertWidget(i, card)
        self.clearedLabel.setText(cleared_html(self.cleared))
        self.clearedLabel.setVisible(bool(self.cleared))
        top = top_finding(order)
        self.checkedLabel.setVisible(not order and not self.cleared)  # room for the cards once there are any
        self.topChanged.emit(top)
        self._headline(*headline(order, self.cleared, finished))

    def card(self, code: str) -> FindingCard | None:
        return next((c for (k, _), c in self.cards.items() if k == code), None)

    def shutdown(self) -> None:
        for card in self.cards.values():
            card.stop()

    def _add(self, finding: Finding) -> FindingCard:
        card = FindingCard(finding, self._list)
        card.tryRequested.connect(self._try)
        card.applyRequested.connect(self.applyRequested)
        self.cards[(finding.code, finding.layer)] = card
        return card

    def _remove(self, card: FindingCard) -> None:
        card.stop()
        self.cards.pop((card.finding.code, card.finding.layer), None)
        self._cards_layout.removeWidget(card)
        card.deleteLater()

    def _try(self, card: FindingCard) -> None:
        if self.config is not None:
            card.start_trial(self.config, self.seeds, self.backend)

    def _headline(self, text: str, severity: str) -> None:
        self.headline.setText(text)
        set_severity(self.headline, severity)


LABEL_FILL = (255, 255, 255, 200)  # a finding's label stays readable where it crosses a curve


class FindingMarkers:
    """Vertical lines on an epoch plot where the current warnings and errors began, labelled."""

    def __init__(self, plot):
        self.plot = plot
        self.lines: dict[int, pg.InfiniteLine] = {}

    def set(self, findings, cleared=()) -> None:
        """Mark the warnings and errors that hold, and (muted, "cleared") those that held earlier."""
        wanted: dict[int, list[Finding]] = {}
        gone: set[Finding] = set()
        for f in findings:
            if f.severity != "info":
                wanted.setdefault(f.epoch, []).append(f)
        for c in cleared_markers(cleared):
            wanted.setdefault(c.first_epoch, []).append(c.finding)
            gone.add(c.finding)
        for epoch in [e for e in self.lines if e not in wanted]:
            self.plot.remove_mark(self.lines.pop(epoch))
        for epoch, found in wanted.items():
            live = [f for f in found if f not in gone]
            color = (ERROR_TEXT if any(f.severity == "error" for f in live) else WARNING_TEXT) if live else MUTED_TEXT
            text = ", ".join(TITLES[f.code].lower() + (" (cleared)" if f in gone else "") for f in found)
            line = self.lines.get(epoch)
            if line is None:
                line = pg.InfiniteLine(epoch, angle=90, pen=pg.mkPen(color, width=1.2, style=Qt.PenStyle.DotLine),
                                       label=text, labelOpts={"position": 0.92, "color": color, "fill": LABEL_FILL,
                                                              "anchors": [(0, 0.5), (0, 0.5)]})
                line.setZValue(4)
                self.plot.add_mark(line)  # its label kept off the legend
                self.lines[epoch] = line
            line.setPen(pg.mkPen(color, width=1.2, style=Qt.PenStyle.DotLine))
            line.label.setText(text)
            line.setToolTip("\n".join(f.message for f in found))
        if wanted:
            self.plot.mark_changed()

    def clear(self) -> None:
        self.set(())


def suggestion_text(suggestion: Suggestion) -> str:
    """The undo-stack text of applying ``suggestion``."""
    return f"Apply the doctor's fix ({suggestion.text})"
