"""The Tune tab's results: the trials table with its buttons above the study's plots."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QComboBox, QHBoxLayout, QLabel, QLineEdit, QPushButton, QSizePolicy, QSplitter,
                               QTabWidget, QVBoxLayout, QWidget)

from ...engine import STOP_USER
from ...tuning import SearchSpace, StudySnapshot
from ...tuning.views import failure_note
from ..qt.style import PROBLEM_TEXT, text_color_style
from .explore import explore_views
from ...tuning.confirm import EXTRA_SEEDS, TOP_K
from ..widgets.build import named_button
from .status import importance_note, test_result_text
from .plots import HistoryPlot, ImportancePlot, IntermediatePlot, PlotDeck
from .table import TrialsTable


class TuningResults(QSplitter):
    """``tuningResultsSplitter``: the trials table, its buttons and the test result over the plots.

    The buttons are the tab's to connect; :meth:`update_buttons` enables them for a snapshot.
    A trial is evaluated on the test split once: its result is kept and shown again when asked.
    """

    def __init__(self, parent: QWidget | None = None):
        super().__init__(Qt.Orientation.Vertical, parent)
        self.setObjectName("tuningResultsSplitter")
        self._test_results: dict[tuple[str, int], str] = {}
        self._evaluating: tuple[str, int] | None = None
        self._snapshot: StudySnapshot | None = None
        table_box = QWidget(self)
        self.trialsTable = TrialsTable(table_box)
        self._make_buttons(table_box)
        self.testResultLabel = QLabel(table_box)
        self.testResultLabel.setObjectName("testResultLabel")
        self.testResultLabel.setWordWrap(True)
        self.testResultLabel.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.failureLabel = QLabel(table_box)
        self.failureLabel.setObjectName("failureLabel")
        self.failureLabel.setWordWrap(True)
        self.failureLabel.setStyleSheet(text_color_style(PROBLEM_TEXT))
        self.failureLabel.hide()
        self.columnsHint = QLabel(table_box)
        self.columnsHint.setObjectName("columnsHint")
        self.columnsHint.setTextFormat(Qt.TextFormat.RichText)
        self.columnsHint.linkActivated.connect(self._scroll_columns)
        # the room the buttons leave, right-aligned: it never makes the results wider
        self.columnsHint.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.columnsHint.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        trial_buttons = QHBoxLayout()
        for b in (self.loadBestButton, self.loadTrialButton, self.evaluateTestButton, self.confirmTopButton):
            trial_buttons.addWidget(b)
        trial_buttons.addWidget(self.columnsHint, 1)
        bar = self.trialsTable.horizontalScrollBar()
        bar.rangeChanged.connect(lambda *_: self._show_columns_hint())
        bar.valueChanged.connect(lambda *_: self._show_columns_hint())
        self._show_columns_hint()
        # the notes come and go above the table: the table gives them the room, and the buttons
        # under it never move
        table_layout = QVBoxLayout(table_box)
        table_layout.setContentsMargins(0, 0, 0, 0)
        table_layout.addLayout(self._filter_bar(table_box))
        self._refill_filter_columns()  # State and Value before the first trial; the parameters come with it
        table_layout.addWidget(self.failureLabel)
        table_layout.addWidget(self.testResultLabel)
        table_layout.addWidget(self.trialsTable, 1)
        table_layout.addLayout(trial_buttons)
        self.space = SearchSpace()

        self.historyPlot = HistoryPlot(self)
        self.intermediatePlot = IntermediatePlot(self)
        self.importancePlot = ImportancePlot(self)
        self.importancePlot.set_importances({}, importance_note(None))
        # side by side when there is room (settings hidden, or a wide window), else one tab each
        self.plotTabs = QTabWidget(self)
        self.plotTabs.setObjectName("plotTabs")
        self.plotTabs.setDocumentMode(True)
        self.plotTabs.addTab(PlotDeck([self.historyPlot, self.intermediatePlot, self.importancePlot], self.plotTabs),
                             "Progress")
        views = explore_views(self.plotTabs)
        for view, title, tip in views:
            self.plotTabs.setTabToolTip(self.plotTabs.addTab(view, title), tip)
        self.sliceView, self.contourView, self.parallelView, self.paretoView = (v for v, _, _ in views)
        self.plotTabs.currentChanged.connect(lambda _i: self._show_explore())
        self.addWidget(table_box)
        self.addWidget(self.plotTabs)
        # the table keeps the height it asks for (ten rows); the plots get the rest, and more of a taller window
        self.setStretchFactor(0, 0)
        self.setStretchFactor(1, 1)
        self.setSizes([table_box.sizeHint().height(), 10 * table_box.sizeHint().height()])
        self.setChildrenCollapsible(False)

    def _make_buttons(self, parent: QWidget) -> None:
        self.loadBestButton = named_button("Load best into editor", "loadBestButton",
            "Put the best complete trial's full config into the editor (of equal "
            "values, the lower validation loss; once trials are confirmed, the best "
            "confirmed mean); training it (same seed) reproduces the trial's "
            "validation value.", parent)
        self.loadTrialButton = named_button("Load selected", "loadTrialButton",
            "Put the selected trial's config into the editor (or double-click a row).", parent)
        self.evaluateTestButton = named_button("Evaluate on test", "evaluateTestButton",
            "Train the selected trial's config (the best one if none is selected) "
            "once more and report its metrics on the held-out test split. The "
            "test split is never used while tuning.", parent)
        self.confirmTopButton = named_button(f"Confirm top {TOP_K}", "confirmTopButton",
            f"Re-train the {TOP_K} best trials with {EXTRA_SEEDS} more training seeds each (validation split "
            "only) and make the best mean over all their seeds the best trial. A single run's value depends on "
            "its seed, so the top of a study is partly luck; the mean is not. Load best still loads the trial's "
            "own config and seed. Runs in the worker processes; Stop aborts it.", parent)
        self.addDesignButton = QPushButton("Add current design", parent)
        self.addDesignButton.setObjectName("addDesignButton")
        self.addDesignButton.setToolTip("Run the editor's current design as the next trial of the study (a study "
                                        "about to start runs it first). Values outside the search space are left "
                                        "to the sampler; the status line says which.")
        self.exportCsvButton = QPushButton("Export CSV…", parent)
        self.exportCsvButton.setObjectName("exportCsvButton")
        self.exportCsvButton.setToolTip("Save the trials table as CSV: one column per parameter, mean, sd and "
                                        "whether each trial is tied with the best.")

    def _filter_bar(self, parent: QWidget) -> QHBoxLayout:
        self.filterColumnCombo = QComboBox(parent)
        self.filterColumnCombo.setObjectName("filterColumnCombo")
        self.filterColumnCombo.setToolTip("The column the filter looks at.")
        self.filterColumnCombo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.filterEdit = QLineEdit(parent)
        self.filterEdit.setObjectName("trialFilterEdit")
        self.filterEdit.setClearButtonEnabled(True)
        self.filterEdit.setPlaceholderText("0.01..0.1, >64, text")
        self.filterEdit.setToolTip("Show only the trials whose chosen column passes: a range a..b, a comparison "
                                   "(<, <=, >, >=, =) or text contained in the cell. Trials without the parameter "
                                   "are hidden by a number filter.")
        self.filterEdit.textChanged.connect(self._apply_filter)
        self.filterColumnCombo.currentTextChanged.connect(self._apply_filter)
        bar = QHBoxLayout()
        label = QLabel("Filter", parent)
        label.setBuddy(self.filterEdit)
        bar.addWidget(label)
        bar.addWidget(self.filterColumnCombo)
        bar.addWidget(self.filterEdit, 1)
        bar.addWidget(self.addDesignButton)
        bar.addWidget(self.exportCsvButton)
        return bar

    def _show_columns_hint(self) -> None:
        """Say how many columns are past the table's right edge, as a link that scrolls to them
        (and, at the right end, a link back to the first columns)."""
        table, bar = self.trialsTable, self.trialsTable.horizontalScrollBar()
        hidden = len(table.columns_past_right_edge())
        if hidden:
            text = f'<a href="right">{hidden} more column{"s" if hidden > 1 else ""} ›</a>'
            tip = "Scroll the table sideways to the columns past its right edge (or drag the bar under the table)."
        elif bar.value() > 0:
            text = '<a href="left">‹ first columns</a>'
            tip = "Scroll the table back to its first columns."
        else:
            text, tip = "", ""
        if text != self.columnsHint.text():
            self.columnsHint.setText(text)
            self.columnsHint.setToolTip(tip)

    def _scroll_columns(self, where: str) -> None:
        bar = self.trialsTable.horizontalScrollBar()
        bar.setValue(bar.value() + bar.pageStep() if where == "right" else 0)

    def _apply_filter(self) -> None:
        self.trialsTable.set_filter(self.filterColumnCombo.currentText(), self.filterEdit.text())

    def _refill_filter_columns(self) -> None:
        names = self.trialsTable.filter_columns()
        combo = self.filterColumnCombo
        if [combo.itemText(i) for i in range(combo.count())] != names:
            current = combo.currentText()
            combo.blockSignals(True)
            combo.clear()
            combo.addItems(names)
            combo.setCurrentText(current if current in names else "Value")
            combo.blockSignals(False)

    def set_space(self, space: SearchSpace) -> None:
        """The study's search space: parameter order, log and categorical axes."""
        self.space = space

    def _show_explore(self) -> None:
        view = self.plotTabs.currentWidget()
        if hasattr(view, "show_snapshot"):
            view.show_snapshot(self._snapshot, self.space)

    def clear(self) -> None:
        self.trialsTable.clear_trials()
        self.historyPlot.clear_data()
        self.intermediatePlot.clear_data()
        self.importancePlot.set_importances({}, importance_note(None))
        self.testResultLabel.setText("")
        self.failureLabel.hide()
        self._snapshot = None
        self._refill_filter_columns()

    def show_snapshot(self, snapshot: StudySnapshot) -> None:
        self._snapshot = snapshot
        self.trialsTable.update_from(snapshot, self.space)
        self._refill_filter_columns()
        note = failure_note(snapshot.rows)
        self.failureLabel.setText(note)
        self.failureLabel.setVisible(bool(note))
        self._show_explore()
        self.historyPlot.update_from(snapshot)
        self.intermediatePlot.update_from(snapshot)
        self.importancePlot.set_importances(snapshot.importances, importance_note(snapshot))

    def selected_row(self, snapshot: StudySnapshot | None):
        """The snapshot's row of the trial selected in the table, or None."""
        number = self.trialsTable.selected_number()
        if number is None or snapshot is None:
            return None
        return next((r for r in snapshot.rows if r.number == number), None)

    # -- evaluation on the test split ----------------------------------------------------------
    def evaluating(self) -> bool:
        return self._evaluating is not None

    def begin_evaluation(self, study: str, trial: int) -> bool:
        """False when the trial was evaluated before (its result is shown again): the test split is
        not a tuning signal, so it is not asked twice."""
        key = (study, trial)
        if key in self._test_results:
            self.testResultLabel.setText(self._test_results[key])
            return False
        self._evaluating = key
        self.testResultLabel.setText(f"Training trial #{trial}'s config to evaluate it on the test split ...")
        return True

    def end_evaluation(self, summary) -> bool:
        """Show (and keep) the test metrics of the trial being evaluated; False (nothing shown) when
        the evaluation was stopped."""
        key, self._evaluating = self._evaluating, None
        if key is None or summary.stop_reason == STOP_USER:
            return False
        self._test_results[key] = test_result_text(summary, *key)
        self.testResultLabel.setText(self._test_results[key])
        return True

    def evaluation_failed(self, message: str) -> None:
        self._evaluating = None
        self.testResultLabel.setText(f"Test evaluation failed: {message}")

    def update_buttons(self, snapshot: StudySnapshot | None, running: bool) -> None:
        best = snapshot.best() if snapshot is not None else None
        selected = self.selected_row(snapshot)
        loadable = selected is not None and bool(selected.config_json)
        self.loadBestButton.setEnabled(best is not None)
        self.loadTrialButton.setEnabled(loadable)
        self.evaluateTestButton.setEnabled(not self.evaluating() and (loadable or best is not None))
        self.confirmTopButton.setEnabled(not running and best is not None and not self._cross_validated(snapshot))
        self.exportCsvButton.setEnabled(snapshot is not None and bool(snapshot.rows))

    @staticmethod
    def _cross_validated(snapshot: StudySnapshot | None) -> bool:
        """A cross-validated study is already a mean over folds; more seeds on one split do not apply."""
        return snapshot is not None and any(r.fold_values for r in snapshot.rows)
