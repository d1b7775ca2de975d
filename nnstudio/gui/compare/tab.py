"""The Compare tab: train variants of the current design side by side, and the depth study.

Pick a factor (its values are filled from the factor registry and can be edited), how many seeds
each variant runs, and press Run.  Every variant trains on the same split with the same seeds,
in parallel worker processes; the tab draws the mean ± spread curves, per-variant histograms at
a chosen epoch, a sortable summary and, for the factor "depth", the depth recommendation.

The tab only draws: a :class:`~nnstudio.gui.compare.worker.CompareWorker` on a ``QThread``
drives the run and sends batches of immutable events at most 20 times a second.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

import numpy as np
from PySide6.QtCore import QItemSelectionModel, QModelIndex, QPoint, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QComboBox, QDoubleSpinBox, QFileDialog, QFormLayout,
                               QGroupBox, QHBoxLayout, QLabel, QLineEdit, QListWidget, QListWidgetItem,
                               QMenu, QProgressBar, QPushButton, QSizePolicy, QSlider, QSpinBox, QSplitter, QStyle,
                               QTabWidget, QVBoxLayout, QWidget)

from ...compare import (DEFAULT_SEEDS, FACTORS, MAX_SEEDS, Comparison, ComparisonResults, Target, default_workers,
                       depth_rows, format_value, metric_name, recommend_from_rows, write_depth, write_summary)
from ...compare.results import NOT_RUN, RUNNING
from ...config import ExperimentConfig
from ...files import EXPERIMENT_SUFFIX, FileFormatError, load_experiment
from ...progress import format_seconds
from ...errors import UserError
from .plots import CURVE_METRICS, CurvesPlot, DepthPlot, HistogramGrid
from .table import SummaryModel, SummaryTable, sorting_proxy
from .worker import CompareWorker
from ..plots.epoch_plot import save_widget_png
from ..plots.histogram import KINDS
from ..qt.threads import start_worker, stop_and_wait

KIND_ROLE = Qt.ItemDataRole.UserRole + 1    # "value" or "file"
PATH_ROLE = Qt.ItemDataRole.UserRole + 2
FILE_FILTER = f"nnstudio experiments (*{EXPERIMENT_SUFFIX});;All files (*)"
USER_ERRORS = (UserError, ValueError)

STYLE = """
QLabel#compareStatus { padding: 3px 6px; border-radius: 3px; }
QLabel#compareStatus[severity="error"] { background: #fdecea; color: #8b1a1a; border: 1px solid #ef9a9a; }
QLabel#compareStatus[severity="warning"] { background: #fff3e0; color: #8a4b00; border: 1px solid #ffb74d; }
QLabel#compareStatus[severity="success"] { background: #e8f5e9; color: #1b5e20; border: 1px solid #a5d6a7; }
QLabel#compareDepthSentence { padding: 6px; background: #f1f8e9; border: 1px solid #c5e1a5; border-radius: 3px; }
"""


STATUS_MAX_LINES = 4  # a longer message is cut short; the whole of it is in the tooltip


class StatusLabel(QLabel):
    """``compareStatus``: a wrapped message of at most ``STATUS_MAX_LINES`` lines.

    A longer message (a long list of problems, an error with many lines) is cut to what fits and
    ends in "…"; the whole message is in the tooltip and :meth:`full_text`.  Its height is
    bounded, so no message can make the window taller.
    """

    def __init__(self, parent: QWidget | None = None):
        super().__init__("", parent)
        self._full = ""
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.PlainText)

    def full_text(self) -> str:
        return self._full

    def is_cut(self) -> bool:
        return self.text() != self._full

    def set_message(self, text: str) -> None:
        self._full = text
        self._fit()

    def changeEvent(self, event) -> None:  # a new style sheet or font changes the line height
        super().changeEvent(event)
        if event.type() in (event.Type.StyleChange, event.Type.FontChange):
            self._fit()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if event.oldSize().width() != event.size().width():
            self._fit()

    def _frame_height(self) -> int:
        """Padding, border and margin above and below the text."""
        margins = self.contentsMargins()
        return margins.top() + margins.bottom() + 2 * (self.frameWidth() + self.margin()) + 2  # + a 1 px border

    def _fit(self) -> None:
        metrics = self.fontMetrics()
        margins = self.contentsMargins()
        chrome = margins.left() + margins.right() + 2 * (self.frameWidth() + self.margin()) + 2
        self.setMaximumHeight(STATUS_MAX_LINES * metrics.lineSpacing() + self._frame_height() + 2)
        room = max(self.width() - chrome, 40)
        text = self._full
        if self._lines(text, room) > STATUS_MAX_LINES:
            lo, hi = 0, len(text)  # the longest start of the message that fits, with "…"
            while lo < hi:
                mid = (lo + hi + 1) // 2
                if self._lines(text[:mid].rstrip() + "…", room) <= STATUS_MAX_LINES:
                    lo = mid
                else:
                    hi = mid - 1
            text = text[:lo].rstrip() + "…"
        if text != self.text():
            self.setText(text)
        self.setToolTip(self._full if text != self._full else "")

    def _lines(self, text: str, width: int) -> int:
        metrics = self.fontMetrics()
        rect = metrics.boundingRect(0, 0, width, 1 << 20, int(Qt.TextFlag.TextWordWrap), text)
        return max(1, round(rect.height() / metrics.lineSpacing()))


class CompareTab(QWidget):
    """The ``compareTab`` widget.

    Args:
        config_provider: returns the design to start from (the editor's current config).
        workers, backend: passed to :class:`~nnstudio.compare.ComparisonRun`.

    Signals:
        openInEditor(ExperimentConfig): the user asked to open a variant's config in the editor.
        runFinished(): a run ended (completed, stopped or failed); the view is up to date.
    """

    openInEditor = Signal(object)
    runFinished = Signal()

    def __init__(self, config_provider: Callable[[], ExperimentConfig], parent: QWidget | None = None, *,
                 workers: int | None = None, backend: str = "process"):
        super().__init__(parent)
        self.setObjectName("compareTab")
        self.setStyleSheet(STYLE)
        self._provider = config_provider
        self._workers = workers
        self._backend = backend
        self.comparison: Comparison | None = None
        self.results: ComparisonResults | None = None
        self._worker: CompareWorker | None = None
        self._thread = None
        self._started_at = 0.0
        self._failed = ""
        self._histograms_dirty = False

        self._build_controls()
        self._build_views()
        self._build_table()
        self._build_layout()
        self._connect()
        self._on_factor_changed()
        self._set_running(False)

    # -- construction ------------------------------------------------------------------------
    def _build_controls(self) -> None:
        self.factorCombo = QComboBox(self)
        self.factorCombo.setObjectName("compareFactorCombo")
        for i, (name, factor) in enumerate(FACTORS.items()):
            self.factorCombo.addItem(factor.title, name)
            self.factorCombo.setItemData(i, factor.help, Qt.ItemDataRole.ToolTipRole)
        self.factorCombo.setToolTip("What differs between the variants; everything else is the editor's design.")

        self.valuesList = QListWidget(self)
        self.valuesList.setObjectName("compareValuesList")
        self.valuesList.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.valuesList.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                                        | QAbstractItemView.EditTrigger.EditKeyPressed)
        self.valuesList.setToolTip("One variant per ticked line. Double-click (or F2) to edit a value; "
                                   "Delete removes the selected lines.")
        self.valuesList.setMinimumHeight(120)
        self.addValueEdit = QLineEdit(self)
        self.addValueEdit.setObjectName("compareAddValueEdit")
        self.addValueEdit.setClearButtonEnabled(True)
        self.addValueButton = QPushButton("Add", self)
        self.addValueButton.setObjectName("compareAddValueButton")
        self.addValueButton.setToolTip("Add the values typed on the left (comma-separated; ranges allowed).")
        self.defaultsButton = QPushButton("Defaults", self)
        self.defaultsButton.setObjectName("compareDefaultsButton")
        self.defaultsButton.setToolTip("Put back the factor's default values (experiment files stay).")
        self.removeButton = QPushButton("Remove", self)
        self.removeButton.setObjectName("compareRemoveButton")
        self.removeButton.setToolTip("Remove the selected lines (Delete).")
        self.addFileButton = QPushButton("Add from file…", self)
        self.addFileButton.setObjectName("compareAddFileButton")
        self.addFileButton.setToolTip("Add saved experiments as variants. They keep their model and training "
                                      "settings but train on this comparison's data, seeds and epochs.")

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
        self.workersSpin.setValue(self._workers or default_workers())
        self.workersSpin.setToolTip("Worker processes training at the same time (one per CPU core is best).")

        self.runButton = QPushButton("Run comparison", self)
        self.runButton.setObjectName("compareRunButton")
        self.runButton.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_MediaPlay))
        self.runButton.setToolTip("Train every variant with every seed (Ctrl+Return).")
        self.stopButton = QPushButton("Stop", self)
        self.stopButton.setObjectName("compareStopButton")
        self.stopButton.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_MediaStop))
        self.stopButton.setToolTip("End every run now (Esc); finished figures stay.")
        self.progress = QProgressBar(self)
        self.progress.setObjectName("compareProgress")
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress.setFormat("%p%")
        self.progressLabel = QLabel("", self)
        self.progressLabel.setObjectName("compareProgressLabel")
        self.status = StatusLabel(self)
        self.status.setObjectName("compareStatus")
        self.status.hide()

    def _build_views(self) -> None:
        self.plot = CurvesPlot(self)
        self.metricCombo = QComboBox(self)
        self.metricCombo.setObjectName("compareMetricCombo")
        for key, (text, _) in CURVE_METRICS.items():
            self.metricCombo.addItem(text, key)
        self.metricCombo.setToolTip("Which curve to overlay: loss or accuracy, validation or training.")
        self.logCheck = QCheckBox("Log scale", self)
        self.logCheck.setObjectName("compareLogCheck")
        self.logCheck.setToolTip("Logarithmic y axis: losses that differ by orders of magnitude stay readable.")

        self.histograms = HistogramGrid(self)
        self.layerCombo = QComboBox(self)
        self.layerCombo.setObjectName("compareLayerCombo")
        self.layerCombo.setToolTip("Which dense layer (layer1 is next to the input; output is last).")
        self.layerCombo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.kindCombo = QComboBox(self)
        self.kindCombo.setObjectName("compareHistKindCombo")
        for i, (label, (_, tip)) in enumerate(KINDS.items()):
            self.kindCombo.addItem(label)
            self.kindCombo.setItemData(i, tip, Qt.ItemDataRole.ToolTipRole)
        self.kindCombo.setToolTip("What to histogram. Weights show the initializer's spread; activations show "
                                  "saturated (piled at the ends) or dead/identical units (one spike).")
        self.epochSlider = QSlider(Qt.Orientation.Horizontal, self)
        self.epochSlider.setObjectName("compareEpochSlider")
        self.epochSlider.setRange(0, 0)
        self.epochSlider.setToolTip("Epoch to show (0 = before training). Runs keep about 25 evenly spaced "
                                    "snapshots; each plot says which epoch it shows. Histograms are of the "
                                    "first seed.")
        self.epochLabel = QLabel("Epoch 0", self)
        self.epochLabel.setObjectName("compareEpochLabel")
        self.epochLabel.setMinimumWidth(self.epochLabel.fontMetrics().horizontalAdvance("Epoch 100000"))

        self.depthPlot = DepthPlot(self)
        self.depthSentence = QLabel("Choose the factor “Depth (hidden layers)” and run to see which depth the "
                                    "data needs.", self)
        self.depthSentence.setObjectName("compareDepthSentence")
        self.depthSentence.setWordWrap(True)
        self.depthSentence.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.views = QTabWidget(self)
        self.views.setObjectName("compareViews")
        self.views.addTab(self._page(self._row(QLabel("Show", self), self.metricCombo, self.logCheck, stretch=True),
                                     self.plot), "Curves")
        self.views.addTab(self._page(self._row(QLabel("Layer", self), self.layerCombo, QLabel("Show", self),
                                               self.kindCombo, stretch=True),
                                     self.histograms, self._row(self.epochSlider, self.epochLabel)), "Histograms")
        self.views.addTab(self._page(self.depthSentence, self.depthPlot), "Depth study")
        self.views.setTabEnabled(2, False)  # until a depth study runs
        self.views.setTabToolTip(0, "Overlaid curves, one colour per variant: the line is the mean over seeds, "
                                    "the band the range from the best to the worst seed.")
        self.views.setTabToolTip(1, "Every variant's histograms at one epoch, side by side.")
        self.views.setTabToolTip(2, "Best validation metric and train/validation gap against the number of hidden "
                                    "layers, and the smallest depth that is within tolerance of the best.")

    def _build_table(self) -> None:
        self.model = SummaryModel(self)
        self.proxy = sorting_proxy(self.model, self)
        self.table = SummaryTable(self)
        self.table.setObjectName("compareTable")
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(-1, Qt.SortOrder.AscendingOrder)  # variant order until a header is clicked
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.setToolTip("Click a header to sort; hover a header for its meaning, a variant for all its "
                              "figures.\nDouble-click a row (or Open in editor) to load that variant's design "
                              "into the editor.")
        self.openButton = QPushButton("Open in editor", self)
        self.openButton.setObjectName("compareOpenButton")
        self.openButton.setToolTip("Load the selected variant's design (with the first seed) into the editor.")
        self.saveButton = QPushButton("Save results…", self)
        self.saveButton.setObjectName("compareSaveButton")
        self.saveButton.setToolTip("Write summary.csv, summary.json and curves.png (and the depth study's "
                                   "depth.csv, depth.json and depth.png) into a folder, as `nnstudio compare` does.")
        self.openAction = QAction("Open in editor", self)
        self.openAction.setObjectName("compareOpenAction")
        self.targetLabel = QLabel("", self)
        self.targetLabel.setObjectName("compareTargetLabel")
        self.targetLabel.setWordWrap(True)

    def _build_layout(self) -> None:
        values_box = QGroupBox("Variants", self)
        v = QVBoxLayout(values_box)
        form = QFormLayout()
        form.addRow("Vary", self.factorCombo)
        v.addLayout(form)
        v.addWidget(self.valuesList, 1)
        v.addLayout(self._row(self.addValueEdit, self.addValueButton))
        v.addLayout(self._row(self.defaultsButton, self.removeButton, self.addFileButton))

        run_box = QGroupBox("Runs", self)
        form = QFormLayout(run_box)
        form.addRow("Seeds per variant", self.seedsSpin)
        form.addRow("Epochs", self.epochsSpin)
        form.addRow("Target", self.targetSpin)
        form.addRow("Parallel workers", self.workersSpin)

        left = QWidget(self)
        left.setObjectName("compareControls")
        lv = QVBoxLayout(left)
        lv.setContentsMargins(0, 0, 0, 0)
        lv.addWidget(values_box, 1)
        lv.addWidget(run_box)
        lv.addLayout(self._row(self.runButton, self.stopButton))
        lv.addWidget(self.progress)
        lv.addWidget(self.progressLabel)
        lv.addWidget(self.status)
        left.setMinimumWidth(270)
        left.setMaximumWidth(380)
        left.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Expanding)

        table_box = QWidget(self)
        tv = QVBoxLayout(table_box)
        tv.setContentsMargins(0, 0, 0, 0)
        tv.addWidget(self.table, 1)
        notes = self._row(self.targetLabel, trailing=[self.saveButton, self.openButton])
        notes.setStretchFactor(self.targetLabel, 1)  # the note takes the free width, wrapping only when short of it
        tv.addLayout(notes)

        right = QSplitter(Qt.Orientation.Vertical, self)
        right.setObjectName("compareSplitter")
        right.addWidget(self.views)
        right.addWidget(table_box)
        right.setStretchFactor(0, 3)
        right.setStretchFactor(1, 2)
        right.setChildrenCollapsible(False)

        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(left)
        layout.addWidget(right, 1)

    def _page(self, *parts) -> QWidget:
        page = QWidget(self)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(4, 4, 4, 4)
        for part in parts:
            if isinstance(part, QWidget):
                layout.addWidget(part, 1 if not isinstance(part, QLabel) else 0)
            else:
                layout.addLayout(part)
        return page

    def _row(self, *widgets, stretch: bool = False, trailing=()) -> QHBoxLayout:
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        for w in widgets:
            row.addWidget(w, 1 if isinstance(w, (QSlider, QLineEdit)) else 0)
        if stretch:
            row.addStretch(1)
        for w in trailing:
            row.addWidget(w)
        return row

    def _connect(self) -> None:
        self.factorCombo.currentIndexChanged.connect(self._on_factor_changed)
        self.addValueButton.clicked.connect(self._add_typed_values)
        self.addValueEdit.returnPressed.connect(self._add_typed_values)
        self.defaultsButton.clicked.connect(self._reset_values)
        self.removeButton.clicked.connect(self._remove_selected)
        self.addFileButton.clicked.connect(self._choose_files)
        self.runButton.clicked.connect(self.start)
        self.stopButton.clicked.connect(self.stop)
        self.metricCombo.currentIndexChanged.connect(self._on_metric_changed)
        self.logCheck.toggled.connect(self.plot.set_log_y)
        self.layerCombo.currentIndexChanged.connect(self._redraw_histograms)
        self.kindCombo.currentIndexChanged.connect(self._redraw_histograms)
        self.epochSlider.valueChanged.connect(self._redraw_histograms)
        self.views.currentChanged.connect(self._on_view_changed)
        self.openButton.clicked.connect(self.open_selected)
        self.saveButton.clicked.connect(self._choose_save_folder)
        self.openAction.triggered.connect(self.open_selected)
        self.table.doubleClicked.connect(lambda _: self.open_selected())
        self.table.customContextMenuRequested.connect(self._table_menu)
        self.table.selectionModel().selectionChanged.connect(self._update_open_enabled)
        self.table.columnsFitted.connect(self._show_table_note)
        self.targetSpin.valueChanged.connect(self._on_target_changed)
        for keys, slot in ((QKeySequence("Ctrl+Return"), self.start), (QKeySequence("Escape"), self.stop)):
            shortcut = QShortcut(keys, self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(slot)
        remove = QShortcut(QKeySequence.StandardKey.Delete, self.valuesList)
        remove.setContext(Qt.ShortcutContext.WidgetShortcut)
        remove.activated.connect(self._remove_selected)

    # -- the values list -----------------------------------------------------------------------
    @property
    def factor(self) -> str:
        return self.factorCombo.currentData()

    def _base_or_default(self) -> ExperimentConfig:
        try:
            return self._provider()
        except Exception:  # an editor mid-edit may not give a valid config; defaults still make sense
            return ExperimentConfig()

    def _on_factor_changed(self, *_) -> None:
        factor = FACTORS[self.factor]
        self.factorCombo.setToolTip(factor.help)
        self.addValueEdit.setPlaceholderText(_PLACEHOLDERS.get(self.factor, "Add values, comma-separated"))
        self.addValueEdit.setToolTip(factor.help)
        self._reset_values()

    def _reset_values(self) -> None:
        files = [self.valuesList.item(i) for i in range(self.valuesList.count())
                 if self.valuesList.item(i).data(KIND_ROLE) == "file"]
        kept = [(f.text(), f.data(PATH_ROLE), f.checkState()) for f in files]
        self.valuesList.clear()
        factor = FACTORS[self.factor]
        for value in factor.defaults(self._base_or_default()):
            self._add_value_item(format_value(value))
        for text, path, state in kept:
            self._add_file_item(text, path, state)
        self._show_status("")

    def _add_value_item(self, text: str) -> None:
        item = QListWidgetItem(text)
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEditable)
        item.setCheckState(Qt.CheckState.Checked)
        item.setData(KIND_ROLE, "value")
        self.valuesList.addItem(item)

    def _add_file_item(self, text: str, path: str, state=Qt.CheckState.Checked) -> None:
        item = QListWidgetItem(self.style().standardIcon(QStyle.StandardPixmap.SP_FileIcon), text)
        item.setFlags((item.flags() | Qt.ItemFlag.ItemIsUserCheckable) & ~Qt.ItemFlag.ItemIsEditable)
        item.setCheckState(state)
        item.setData(KIND_ROLE, "file")
        item.setData(PATH_ROLE, path)
        item.setToolTip(path)
        self.valuesList.addItem(item)

    def _value_texts(self) -> list[str]:
        return [self.valuesList.item(i).text() for i in range(self.valuesList.count())
                if self.valuesList.item(i).data(KIND_ROLE) == "value"]

    def _add_typed_values(self) -> None:
        text = self.addValueEdit.text().strip()
        if not text:
            return
        try:
            values = FACTORS[self.factor].parse_values(text)
        except ValueError as exc:
            self._show_status(str(exc), "error")
            return
        present = self._value_texts()
        for value in values:
            if format_value(value) not in present:
                self._add_value_item(format_value(value))
        self.addValueEdit.clear()
        self._show_status("")

    def _remove_selected(self) -> None:
        for item in self.valuesList.selectedItems():
            self.valuesList.takeItem(self.valuesList.row(item))

    def _choose_files(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, "Add experiments as variants", "", FILE_FILTER)
        self.add_files(paths)

    def add_files(self, paths) -> None:
        """Add experiment files as variants; an unreadable file is reported and skipped."""
        problems = []
        for path in paths:
            try:
                config = load_experiment(path)
            except FileFormatError as exc:
                problems.append(str(exc))
                continue
            name = config.name if config.name and config.name != "untitled" else Path(path).stem
            self._add_file_item(f"{name}  ({Path(path).name})", str(path))
        self._show_status("\n".join(problems), "error" if problems else "")

    def _checked(self, kind: str) -> list[QListWidgetItem]:
        return [self.valuesList.item(i) for i in range(self.valuesList.count())
                if self.valuesList.item(i).data(KIND_ROLE) == kind
                and self.valuesList.item(i).checkState() == Qt.CheckState.Checked]

    # -- running -------------------------------------------------------------------------------
    def build_comparison(self) -> Comparison:
        """The comparison the controls describe (raises ValueError/FileFormatError with a message)."""
        base = self._provider()
        values = [item.text() for item in self._checked("value")]
        files = [item.data(PATH_ROLE) for item in self._checked("file")]
        seeds = self.seedsSpin.value()
        epochs = self.epochsSpin.value() or None
        if values:
            comparison = Comparison.build(base, self.factor, values, n_seeds=seeds, epochs=epochs)
            return comparison.with_files(files) if files else comparison
        if files:
            return Comparison.from_files(base, files, n_seeds=seeds, epochs=epochs)
        raise ValueError("Tick at least one value (or add an experiment file) to compare.")

    def start(self) -> bool:
        """Start a comparison from the controls; False (with a message) if it cannot start."""
        if self.is_running():
            return False
        try:
            comparison = self.build_comparison()
        except USER_ERRORS as exc:
            self._show_status(str(exc), "error")
            return False
        self.comparison = comparison
        self.results = ComparisonResults(comparison, self._target())
        self._failed = ""
        labels = comparison.labels
        self.plot.set_variants(labels)
        self.histograms.set_variants(labels)
        self.layerCombo.clear()
        self.epochSlider.setRange(0, 0)
        self.views.setTabEnabled(2, comparison.factor == "depth")
        if comparison.factor == "depth":
            self.depthSentence.setText("Training… the recommendation appears as runs finish.")
        self._refresh()
        notes = "; ".join(comparison.notes)
        self._show_status(notes, "warning" if notes else "")
        self._worker = CompareWorker(comparison, workers=self.workersSpin.value(), backend=self._backend)
        self._worker.progressed.connect(self._on_events)
        self._worker.failed.connect(self._on_failed)
        self._worker.finished.connect(self._on_finished)
        self._started_at = time.monotonic()
        self._set_running(True)
        self._thread = start_worker(self._worker, "compare")
        return True

    def stop(self) -> None:
        """Ask every run to end; the tab returns to idle when the worker has finished."""
        if self._worker is not None:
            self._worker.stop()
            self.progressLabel.setText("Stopping…")

    def is_running(self) -> bool:
        return self._worker is not None

    def shutdown(self) -> None:
        """Stop and join the worker thread (the pool joins its processes before the thread ends)."""
        if self._worker is not None:
            self._worker.stop()
        stop_and_wait(self._thread, 15000)
        self._thread = None

    def _set_running(self, running: bool) -> None:
        self.runButton.setEnabled(not running)
        self.stopButton.setEnabled(running)
        for w in (self.factorCombo, self.valuesList, self.addValueEdit, self.addValueButton, self.defaultsButton,
                  self.removeButton, self.addFileButton, self.seedsSpin, self.epochsSpin, self.workersSpin):
            w.setEnabled(not running)
        self._update_open_enabled()
        self.saveButton.setEnabled(not running and self.results is not None)

    def _on_events(self, events: list) -> None:
        if self.results is None:
            return
        self.results.add_all(events)
        self._refresh()

    def _on_failed(self, message: str) -> None:
        self._failed = message
        self._show_status(message, "error")

    def _on_finished(self) -> None:
        self._worker = None
        self._set_running(False)
        self._refresh()
        if not self._failed and self.results is not None:
            self._report_end()
        self.runFinished.emit()

    def _report_end(self) -> None:
        results = self.results
        statuses = [run.status for run in results.runs.values()]
        took = format_seconds(time.monotonic() - self._started_at)
        errors = sum(s == "error" for s in statuses)
        diverged = sum(s == "diverged" for s in statuses)
        if "stopped" in statuses or "not run" in statuses:
            text, severity = f"Stopped after {took}; figures cover the epochs that ran.", "warning"
        else:
            text, severity = f"Finished {len(statuses)} runs in {took}.", "success"
        if diverged:
            text += f" {diverged} run(s) diverged (marked in the table)."
            severity = "warning"
        if errors:
            text += f" {errors} run(s) failed: hover the stop reason for the error."
            severity = "warning"
        self._show_status(text, severity)

    # -- drawing -------------------------------------------------------------------------------
    def _target(self) -> Target:
        value = self.targetSpin.value()
        base = self._base_or_default()
        # a regression design has a linear output; the target then applies to the validation loss
        return Target("val_loss", value) if base.output_activation == "linear" else Target("val_accuracy", value)

    def _on_target_changed(self, *_) -> None:
        if self.results is not None:
            self.results.target = Target(self.results.target.metric, self.targetSpin.value())
            self._refresh_table()

    def _refresh(self) -> None:
        results = self.results
        if results is None:
            return
        self._refresh_curves()
        self._refresh_table()
        done, total = results.progress()
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)
        elapsed = format_seconds(time.monotonic() - self._started_at) if self._started_at else "0s"
        self.progressLabel.setText(f"{_runs_text(results.counts(), len(results.runs))} · {elapsed}")
        self._sync_histogram_controls()
        if self.views.currentIndex() == 1:
            self._redraw_histograms()
        else:
            self._histograms_dirty = True
        if self.comparison is not None and self.comparison.factor == "depth":
            self._refresh_depth()

    def _refresh_curves(self) -> None:
        metric = self.metricCombo.currentData()
        self.plot.update_bands([self.results.band(v, metric) for v in range(len(self.comparison.variants))])

    def _refresh_table(self) -> None:
        self.model.set_rows(self.results.rows(), self.results.classification)
        self._show_table_note()
        self._update_open_enabled()

    def _show_table_note(self) -> None:
        """The target, and which columns the table's width leaves out (their figures are in the
        variant's tooltip)."""
        parts = [f"Target: {self.results.target.describe()}"] if self.results is not None else []
        hidden = self.table.hidden_titles
        if hidden:
            parts.append(f"{len(hidden)} more column{'s' if len(hidden) > 1 else ''}: hover a variant")
        self.targetLabel.setText(" · ".join(parts))
        self.targetLabel.setToolTip("Not shown for lack of width (widen the window or drag the divider): "
                                    + ", ".join(hidden) + "." if hidden else "")

    def _on_metric_changed(self, *_) -> None:
        metric = self.metricCombo.currentData()
        self.plot.set_metric(metric)
        self.logCheck.setEnabled(metric.endswith("loss"))
        if self.logCheck.isChecked() and not metric.endswith("loss"):
            self.logCheck.setChecked(False)
        if self.results is not None:
            self._refresh_curves()

    def _on_view_changed(self, index: int) -> None:
        if index == 1 and self._histograms_dirty:
            self._redraw_histograms()

    def _sync_histogram_controls(self) -> None:
        results = self.results
        latest = max((run.n_epochs for run in results.runs.values()), default=0)
        at_end = self.epochSlider.value() == self.epochSlider.maximum()
        self.epochSlider.setMaximum(latest)
        if at_end:
            self.epochSlider.setValue(latest)  # follow the newest epoch until the user moves the slider
        if self.layerCombo.count() == 0:
            for run in results.runs.values():
                if run.snapshots:
                    layers = next(iter(run.snapshots.values()))
                    self.layerCombo.blockSignals(True)
                    self.layerCombo.addItems([snap.name for snap in layers])
                    self.layerCombo.blockSignals(False)
                    break

    def _redraw_histograms(self, *_) -> None:
        self._histograms_dirty = False
        results = self.results
        epoch = self.epochSlider.value()
        self.epochLabel.setText(f"Epoch {epoch}")
        if results is None:
            return
        layer = self.layerCombo.currentIndex()
        attribute = KINDS[self.kindCombo.currentText()][0]
        items = []
        for v, variant in enumerate(self.comparison.variants):
            found = results.snapshot(v, epoch)
            if found is None or layer < 0 or layer >= len(found[1]):
                items.append((variant.label, None, "no snapshot yet"))
                continue
            shown_epoch, layers = found
            hist = getattr(layers[layer], attribute)
            items.append((variant.label, hist, f"epoch {shown_epoch} · {_describe_histogram(hist)}"))
        self.histograms.show_histograms(items)

    def _refresh_depth(self) -> None:
        rows = depth_rows(self.results)
        classification = self.results.classification is not False
        recommendation = recommend_from_rows(rows, classification)
        self.depthPlot.set_metric_name(metric_name(classification))
        self.depthPlot.show_rows(rows, recommendation)
        if recommendation is not None and self.results.finished:
            self.depthSentence.setText(f"<b>Recommended: {recommendation.sentence}</b>")
        elif recommendation is not None:
            self.depthSentence.setText(f"So far (runs still training): {recommendation.sentence}")

    # -- saving ------------------------------------------------------------------------------------
    def _choose_save_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Save comparison results into folder")
        if folder:
            self.save_results(folder)

    def save_results(self, folder) -> list[Path]:
        """Write the summary (and depth study) files and the plots into ``folder``; returns the paths."""
        if self.results is None:
            return []
        folder = Path(folder)
        try:
            paths = write_summary(folder, self.results)
            paths.append(folder / "curves.png")
            save_widget_png(self.plot, paths[-1])
            if self.comparison.factor == "depth":
                classification = self.results.classification is not False
                rows = depth_rows(self.results)
                paths += write_depth(folder, rows, recommend_from_rows(rows, classification), classification)
                paths.append(folder / "depth.png")
                save_widget_png(self.depthPlot, paths[-1])
        except (OSError, FileFormatError) as exc:
            self._show_status(f"Could not save the results: {exc}", "error")
            return []
        self._show_status(f"Saved {', '.join(p.name for p in paths)} in {folder}.", "success")
        return paths

    # -- the table ---------------------------------------------------------------------------------
    def selected_variant(self) -> int | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows or self.comparison is None:
            return None
        source = self.proxy.mapToSource(rows[0])
        return self.model.variant_at(source.row())

    def select_variant(self, variant: int) -> None:
        for row in range(self.proxy.rowCount()):
            source = self.proxy.mapToSource(self.proxy.index(row, 0))
            if self.model.variant_at(source.row()) == variant:
                self.table.selectionModel().select(
                    self.proxy.index(row, 0),
                    QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
                return

    def open_selected(self) -> None:
        variant = self.selected_variant()
        if variant is not None:
            self.openInEditor.emit(self.comparison.variants[variant].config)

    def _update_open_enabled(self, *_) -> None:
        enabled = self.selected_variant() is not None
        self.openButton.setEnabled(enabled)
        self.openAction.setEnabled(enabled)

    def _table_menu(self, pos: QPoint) -> None:
        index: QModelIndex = self.table.indexAt(pos)
        if not index.isValid():
            return
        self.table.selectRow(index.row())
        menu = QMenu(self)
        menu.addAction(self.openAction)
        menu.exec(self.table.viewport().mapToGlobal(pos))

    def _show_status(self, text: str, severity: str = "") -> None:
        self.status.setProperty("severity", severity)
        self.status.style().unpolish(self.status)
        self.status.style().polish(self.status)
        self.status.set_message(text)  # after the style: its padding and border count in the height
        self.status.setVisible(bool(text))


_PLACEHOLDERS = {
    "init_method": "Add e.g. lecun_uniform",
    "activation": "Add e.g. tanh",
    "optimizer": "Add e.g. rmsprop",
    "learning_rate": "Add 0.003 or a range 1e-4..1e-1",
    "dropout_rate": "Add e.g. 0.4",
    "clip": "Add e.g. norm:5, value:0.1",
    "batch_size": "Add e.g. 256 or full",
    "depth": "Add e.g. 6 or 6..8",
}


def _runs_text(counts, total: int) -> str:
    """"5/12 runs finished, 2 training" (+ ", 3 stopped, 2 not run" once there are such runs)."""
    waiting = counts.get(NOT_RUN, 0)
    stopped = counts.get("stopped", 0)
    training = counts.get(RUNNING, 0)
    finished = total - waiting - stopped - training
    parts = [f"{finished}/{total} runs finished"]
    if training:
        parts.append(f"{training} training")
    if stopped:
        parts.append(f"{stopped} stopped")
    if waiting and (stopped or not training):
        parts.append(f"{waiting} not run")
    return ", ".join(parts)


def _describe_histogram(hist) -> str:
    """A short reading of a histogram: all values equal, or the spread (std from the bins)."""
    counts = np.asarray(hist.counts, float)
    edges = np.asarray(hist.edges, float)
    total = counts.sum()
    if total == 0:
        return "empty"
    centres = (edges[:-1] + edges[1:]) / 2
    if np.count_nonzero(counts) == 1 and np.isclose(edges[-1] - edges[0], 1.0):
        # Histogram.of widens a single value v to the range v ± 0.5
        return f"all equal ({(edges[0] + edges[-1]) / 2:.3g})"
    mean = float(np.dot(counts, centres) / total)
    std = float(np.sqrt(np.dot(counts, (centres - mean) ** 2) / total))
    return f"std ≈ {std:.3g}"
