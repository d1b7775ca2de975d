"""The Tune tab's settings: the search space, how the trials run, and the study they join.

:class:`TuningSettingsForm` is the page inside the tab's settings scroll area; it reads and shows
:class:`~nnstudio.tuning.TuneSettings` and locks what an existing study or a running session
does not let the user change.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QComboBox, QFormLayout, QGroupBox, QScrollArea, QSpinBox, QVBoxLayout,
                               QWidget)

from ...tuning import METRICS, PRUNERS, SAMPLERS, SearchSpace, TuneSettings, default_workers
from ...tuning.samplers import MEDIAN_STARTUP_TRIALS
from ..widgets.build import named_button
from .space_editor import SpaceEditor
from .study_box import StudyBox, TaskRunner

DEFAULT_TRIALS = 50
SETTINGS_MIN_WIDTH = 320  # px; the settings scroll, so the results get the rest of the tab


def make_combo(parent: QWidget, name: str, items: list[tuple[str, str]]) -> QComboBox:
    """A combo of ``(value, tooltip)`` items, each shown by its value."""
    combo = QComboBox(parent)
    combo.setObjectName(name)
    for i, (value, tip) in enumerate(items):
        combo.addItem(value, value)
        combo.setItemData(i, tip, Qt.ItemDataRole.ToolTipRole)
    return combo


def make_spin(parent: QWidget, name: str, lo: int, hi: int, value: int, tip: str, suffix: str = "") -> QSpinBox:
    spin = QSpinBox(parent)
    spin.setObjectName(name)
    spin.setRange(lo, hi)
    spin.setValue(value)
    spin.setToolTip(tip)
    spin.setSuffix(suffix)
    spin.setAccelerated(True)
    return spin


def select_data(combo: QComboBox, value: str) -> None:
    """Select the item whose data is ``value`` (nothing changes if there is none)."""
    i = combo.findData(value)
    if i >= 0:
        combo.setCurrentIndex(i)


class RunBox(QGroupBox):
    """``Run``: sampler, pruner, metric, trials, time limit, workers, epochs per trial and seed."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__("Run", parent)
        self.samplerCombo = make_combo(self, "samplerCombo", [(n, s.help) for n, s in SAMPLERS.items()])
        self.prunerCombo = make_combo(self, "prunerCombo", [(n, s.help) for n, s in PRUNERS.items()])
        self.metricCombo = make_combo(self, "metricCombo", [(n, f"Optimize the {m.label} ({m.direction})")
                                                           for n, m in METRICS.items()])
        self.samplerCombo.setToolTip("How the next trial's parameters are chosen. TPE is seeded: a run with "
                                     "one worker is reproducible.")
        self.prunerCombo.setToolTip(f"Stops unpromising trials between epochs. Median: after {MEDIAN_STARTUP_TRIALS} "
                                    "trials, a trial worse than the median of earlier trials at the same epoch "
                                    "is pruned.")
        self.metricCombo.setToolTip("What a trial is scored on: always the validation split, never the test split.")
        self.nTrialsSpin = make_spin(self, "nTrialsSpin", 1, 100000, DEFAULT_TRIALS,
                                     "How many more finished (complete or pruned) trials to run.")
        self.timeoutSpin = make_spin(self, "timeoutSpin", 0, 7 * 24 * 3600, 0,
                                     "Stop starting new trials after this many seconds (0: no limit).", " s")
        self.timeoutSpin.setSpecialValueText("no limit")
        self.workersSpin = make_spin(self, "workersSpin", 1, 256, default_workers(),
                                     "Worker processes on this machine (default: one per core). More machines "
                                     "can join with: nnstudio tune --join --storage URL --study NAME")
        self.epochsSpin = make_spin(self, "epochsSpin", 1, 100000, TuneSettings().epochs,
                                    "Epochs per trial (early stopping stays on, so most trials end sooner).")
        self.seedSpin = make_spin(self, "seedSpin", 0, 2**31 - 1, 0, "Seed of the sampler (worker i uses seed + i).")
        form = QFormLayout(self)
        for label, widget in (("Sampler", self.samplerCombo), ("Pruner", self.prunerCombo),
                              ("Metric", self.metricCombo), ("Trials", self.nTrialsSpin),
                              ("Time limit", self.timeoutSpin), ("Workers", self.workersSpin),
                              ("Epochs per trial", self.epochsSpin), ("Seed", self.seedSpin)):
            form.addRow(label, widget)


class TuningSettingsForm(QWidget):
    """The search space, the run settings and the study, one group box each, top to bottom."""

    def __init__(self, run_task: TaskRunner, parent: QWidget | None = None):
        super().__init__(parent)
        space_box = QGroupBox("Search space", self)
        self.space_editor = SpaceEditor(SearchSpace(), space_box)
        self.resetSpaceButton = named_button("Article's space", "resetSpaceButton",
            "Reset the search space to the article's: depth 1–10, 32–128 units, "
            "dropout 0–0.5, learning rate 1e-3–1e-1 (log), five initializers, "
            "value/norm clipping with a threshold 1e-2–1e1 (log).", space_box)
        space_layout = QVBoxLayout(space_box)
        space_layout.addWidget(self.space_editor)
        space_layout.addWidget(self.resetSpaceButton, alignment=Qt.AlignmentFlag.AlignRight)
        self.run_box = RunBox(self)
        self.study_box = StudyBox(run_task, self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 4, 0)
        layout.addWidget(space_box)
        layout.addWidget(self.run_box)
        layout.addWidget(self.study_box)
        layout.addStretch(1)

    def settings(self) -> TuneSettings:
        box = self.run_box
        return TuneSettings(metric=box.metricCombo.currentData(), sampler=box.samplerCombo.currentData(),
                            pruner=box.prunerCombo.currentData(), seed=box.seedSpin.value(),
                            epochs=box.epochsSpin.value())

    def show_settings(self, settings: TuneSettings) -> None:
        """Show an existing study's settings (sampler, pruner, metric, epochs, seed)."""
        box = self.run_box
        for combo, value in ((box.samplerCombo, settings.sampler), (box.prunerCombo, settings.pruner),
                             (box.metricCombo, settings.metric)):
            select_data(combo, value)
        box.epochsSpin.setValue(settings.epochs)
        box.seedSpin.setValue(settings.seed)

    def set_locked(self, running: bool, resuming: bool) -> None:
        """Nothing changes while tuning runs; an existing study keeps its own space and settings
        (they are shown, not edited)."""
        box = self.run_box
        for w in (self.space_editor, self.resetSpaceButton, box.samplerCombo, box.prunerCombo, box.metricCombo,
                  box.epochsSpin, box.seedSpin):
            w.setEnabled(not running and not resuming)
        for w in (box.nTrialsSpin, box.timeoutSpin, box.workersSpin):
            w.setEnabled(not running)
        self.study_box.set_running(running)


class SettingsScroll(QScrollArea):
    """``tuningSettingsScroll``: the settings form, scrolling when the tab is shorter than it."""

    def __init__(self, form: TuningSettingsForm, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("tuningSettingsScroll")
        self.setWidgetResizable(True)
        self.setWidget(form)
        self.setFrameShape(QScrollArea.Shape.NoFrame)
        self.setMinimumWidth(SETTINGS_MIN_WIDTH)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        # never narrower than the form's minimum (and its scroll bar): the search space would scroll sideways
        bar_width = self.verticalScrollBar().sizeHint().width()
        self.setMinimumWidth(max(SETTINGS_MIN_WIDTH, form.minimumSizeHint().width() + bar_width))
        self._preferred_width = max(SETTINGS_MIN_WIDTH, form.sizeHint().width() + bar_width)

    def preferred_width(self) -> int:
        """The width the form asks for, with room for the scroll bar."""
        return self._preferred_width
