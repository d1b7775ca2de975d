"""The Compare tab's views: overlaid curves, per-variant histograms at an epoch, the depth study.

:class:`ComparisonViews` draws a comparison's results; it is told about a new comparison with
:meth:`~ComparisonViews.begin` and redraws with :meth:`~ComparisonViews.refresh`.  Histograms
are drawn only while their page is shown (they are the slowest to draw).
"""

from __future__ import annotations

import bisect

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QComboBox, QFrame, QLabel, QScrollArea, QSlider, QTabWidget, QWidget

from ...compare import Comparison, ComparisonResults, depth_rows, metric_name, recommend_from_rows
from ..plots.histogram import KINDS, layer_and_kind_combos
from ..widgets.rows import page, row
from .histograms import HistogramGrid
from .plots import CURVE_METRICS, CurvesPlot, DepthPlot

CURVES, HISTOGRAMS, DEPTH = 0, 1, 2  # page indexes


class ComparisonViews(QTabWidget):
    """``compareViews``: the Curves, Histograms and Depth study pages."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("compareViews")
        self._comparison: Comparison | None = None
        self._results: ComparisonResults | None = None
        self._histograms_dirty = False
        self._grid_labels: list[str] | None = None   # the variants the histogram grid was made for
        self._epochs: list[int] = [0]  # the epochs the histogram slider steps through
        self._make_curve_controls()
        self._make_histogram_controls()
        self.depthPlot = DepthPlot(self)
        self.depthSentence = QLabel("Choose the factor “Depth (hidden layers)” and run to see which depth the "
                                    "data needs.", self)
        self.depthSentence.setObjectName("compareDepthSentence")
        self.depthSentence.setWordWrap(True)
        self.depthSentence.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.addTab(page(self, row(QLabel("Show", self), self.metricCombo, self.logCheck, stretch=True),
                         self.plot), "Curves")
        self.addTab(page(self, row(QLabel("Layer", self), self.layerCombo, QLabel("Show", self), self.kindCombo,
                                   stretch=True),
                         self.histogramScroll, row(self.epochSlider, self.epochLabel)), "Histograms")
        self.addTab(page(self, self.depthSentence, self.depthPlot), "Depth study")
        self.setTabEnabled(DEPTH, False)  # until a depth study runs
        self.setTabToolTip(CURVES, "Overlaid curves, one colour per variant: the line is the mean over seeds, "
                                   "the band the range from the best to the worst seed.")
        self.setTabToolTip(HISTOGRAMS, "Every variant's histograms at one epoch, side by side.")
        self.setTabToolTip(DEPTH, "Best validation metric and train/validation gap against the number of hidden "
                                  "layers, and the smallest depth that is within tolerance of the best.")
        self.metricCombo.currentIndexChanged.connect(self._on_metric_changed)
        self.logCheck.toggled.connect(self.plot.set_log_y)
        self.layerCombo.currentIndexChanged.connect(self._redraw_histograms)
        self.kindCombo.currentIndexChanged.connect(self._redraw_histograms)
        self.epochSlider.valueChanged.connect(self._redraw_histograms)
        self.currentChanged.connect(self._on_page_changed)

    def _make_curve_controls(self) -> None:
        self.plot = CurvesPlot(self)
        self.metricCombo = QComboBox(self)
        self.metricCombo.setObjectName("compareMetricCombo")
        for key, (text, _) in CURVE_METRICS.items():
            self.metricCombo.addItem(text, key)
        self.metricCombo.setToolTip("Which curve to overlay: loss or accuracy, validation or training.")
        self.logCheck = QCheckBox("Log scale", self)
        self.logCheck.setObjectName("compareLogCheck")
        self.logCheck.setToolTip("Logarithmic y axis: losses that differ by orders of magnitude stay readable.")

    def _make_histogram_controls(self) -> None:
        self.histograms = HistogramGrid(self)
        # many variants make more rows than a short page holds: the rows keep a readable height
        # and the page scrolls (the wheel over a histogram scrolls too: the plots do not zoom)
        self.histogramScroll = QScrollArea(self)
        self.histogramScroll.setObjectName("compareHistogramScroll")
        self.histogramScroll.setWidgetResizable(True)
        self.histogramScroll.setFrameShape(QFrame.Shape.NoFrame)
        self.histogramScroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.histogramScroll.setWidget(self.histograms)
        self.layerCombo, self.kindCombo = layer_and_kind_combos(
            self, ("compareLayerCombo", "compareHistKindCombo"),
            "Which dense layer (layer1 is next to the input; output is last).",
            "What to histogram. Weights show the initializer's spread; activations show "
            "saturated (piled at the ends) or dead/identical units (one spike).")
        self.epochSlider = QSlider(Qt.Orientation.Horizontal, self)
        self.epochSlider.setObjectName("compareEpochSlider")
        self.epochSlider.setRange(0, 0)
        self.epochSlider.setToolTip("Epoch to show (0 = before training). The slider steps through the epochs "
                                    "the runs kept histograms of:\nabout 25 evenly spaced ones and each run's "
                                    "last. A run that ended before the chosen epoch shows its last one\n"
                                    "(“stopped early at 65”). Histograms are of the first seed.")
        self.epochLabel = QLabel("Epoch 0", self)
        self.epochLabel.setObjectName("compareEpochLabel")
        self.epochLabel.setMinimumWidth(self.epochLabel.fontMetrics().horizontalAdvance("Epoch 100000"))

    # -- a comparison ------------------------------------------------------------------------------
    def begin(self, comparison: Comparison, results: ComparisonResults) -> None:
        """Empty views for a comparison about to run."""
        self._comparison, self._results = comparison, results
        labels = comparison.labels
        self.plot.set_variants(labels)
        self._grid_labels = None  # the histograms' plots are made when their page is first shown
        if self.currentIndex() == HISTOGRAMS:
            self._make_grid()
        self.layerCombo.clear()
        self._epochs = [0]
        self.epochSlider.setRange(0, 0)
        self.setTabEnabled(DEPTH, comparison.factor == "depth")
        if comparison.factor == "depth":
            self.depthSentence.setText("Training… the recommendation appears as runs finish.")

    def refresh(self) -> None:
        """Draw what the results hold now."""
        self._refresh_curves()
        self._sync_histogram_controls()
        if self.currentIndex() == HISTOGRAMS:
            self._redraw_histograms()
        else:
            self._histograms_dirty = True
        if self._comparison.factor == "depth":
            self._refresh_depth()

    def _refresh_curves(self) -> None:
        metric = self.metricCombo.currentData()
        results = self._results
        self.plot.update_bands([results.band(v, metric) for v in range(len(self._comparison.variants))])

    def _on_metric_changed(self, *_) -> None:
        metric = self.metricCombo.currentData()
        self.plot.set_metric(metric)
        self.logCheck.setEnabled(metric.endswith("loss"))
        if self.logCheck.isChecked() and not metric.endswith("loss"):
            self.logCheck.setChecked(False)
        if self._results is not None:
            self._refresh_curves()

    def _on_page_changed(self, index: int) -> None:
        if index == HISTOGRAMS and self._comparison is not None and self._grid_labels is None:
            self._make_grid()
            self._histograms_dirty = True
        if index == HISTOGRAMS and self._histograms_dirty:
            self._redraw_histograms()

    def _make_grid(self) -> None:
        self._grid_labels = list(self._comparison.labels)
        self.histograms.set_variants(self._grid_labels)

    def _sync_histogram_controls(self) -> None:
        """The slider steps through the epochs the first seeds' runs have histograms of; it follows
        the newest until the user moves it, and otherwise stays on the epoch chosen."""
        results = self._results
        chosen, at_end = self.selected_epoch(), self.epochSlider.value() == self.epochSlider.maximum()
        self._epochs = slider_epochs([results.runs[(v, 0)] for v in range(len(self._comparison.variants))],
                                     [variant.config.epochs for variant in self._comparison.variants])
        self.epochSlider.blockSignals(True)
        self.epochSlider.setMaximum(len(self._epochs) - 1)
        self.epochSlider.setPageStep(max(1, len(self._epochs) // 10))
        self.epochSlider.setValue(len(self._epochs) - 1 if at_end else
                                  max(0, bisect.bisect_right(self._epochs, chosen) - 1))
        self.epochSlider.blockSignals(False)
        # the deepest network's layers (a depth study's variants differ): each plot finds its own by name
        names = max(([snap.name for snap in next(iter(run.snapshots.values()))]
                     for run in results.runs.values() if run.snapshots), key=len, default=[])
        if len(names) > self.layerCombo.count():
            current = self.layerCombo.currentText()
            self.layerCombo.blockSignals(True)
            self.layerCombo.clear()
            self.layerCombo.addItems(names)
            self.layerCombo.setCurrentIndex(max(0, self.layerCombo.findText(current)))
            self.layerCombo.blockSignals(False)

    def selected_epoch(self) -> int:
        """The epoch the slider is on (0: before training)."""
        return self._epochs[min(self.epochSlider.value(), len(self._epochs) - 1)]

    def _redraw_histograms(self, *_) -> None:
        self._histograms_dirty = False
        results = self._results
        epoch = self.selected_epoch()
        self.epochLabel.setText(f"Epoch {epoch}")
        if results is None:
            return
        name = self.layerCombo.currentText()
        attribute = KINDS[self.kindCombo.currentText()][0]
        items = []
        for v, variant in enumerate(self._comparison.variants):
            found = results.snapshot(v, epoch)
            names = [snap.name for snap in found[1]] if found is not None else []
            if name not in names:
                items.append((variant.label, None, missing_text(results.runs[(v, 0)], found is None, name)))
                continue
            shown_epoch, layers = found
            layer = names.index(name)
            hist = getattr(layers[layer], attribute)
            which = shown_epoch_text(results.runs[(v, 0)], shown_epoch, epoch)
            # the epoch and the reading share a line when it is the slider's; else it says why: two lines
            sep = " · " if shown_epoch == epoch else "\n"
            note = f"{which}{sep}{describe_histogram(hist)}"
            units = variant.config.layers[layer].units if layer < len(variant.config.layers) else 0
            distinct = results.distinct_units(v, shown_epoch)
            if layer < len(distinct) and units > 1 and distinct[layer] < units:
                note += f"\n⚠ {distinct[layer]} of {units} distinct"  # a line of its own: narrow plots
            items.append((variant.label, hist, note))
        self.histograms.show_histograms(items)

    def _refresh_depth(self) -> None:
        rows = depth_rows(self._results)
        classification = self._results.classification is not False
        recommendation = recommend_from_rows(rows, classification)
        self.depthPlot.set_metric_name(metric_name(classification))
        self.depthPlot.show_rows(rows, recommendation)
        if recommendation is not None and self._results.finished:
            self.depthSentence.setText(f"<b>Recommended: {recommendation.sentence}</b>")
        elif recommendation is not None:
            self.depthSentence.setText(f"So far (runs still training): {recommendation.sentence}")


def slider_epochs(runs, planned: list[int]) -> list[int]:
    """The epochs the histogram slider steps through: those the runs (each of ``planned[i]``
    epochs) kept histograms of at their even spacing, and the last epoch any run reached.  The
    epoch a run stopped early at is left out (the slider's next epoch shows it: "stopped early
    at 65"), so that the other runs are not asked for an epoch they kept nothing of."""
    epochs = {0}
    for run, epochs_planned in zip(runs, planned):
        early = run.ended and run.n_epochs < epochs_planned
        epochs.update(e for e in run.snapshots if not (early and e == run.n_epochs))
    last = max((max(run.snapshots) for run in runs if run.snapshots), default=0)
    return sorted(epochs | {last})


def missing_text(run, nothing_yet: bool, layer: str) -> str:
    """Why a variant's plot is empty: its run has not started (or failed), or its network has
    no such layer (a shallower variant of a depth study)."""
    if not nothing_yet:
        return f"has no {layer}"
    if run.error is not None:
        return "failed: no histograms"
    return "not run" if run.ended else "waiting to start"  # ended before it started: stopped


# how a run ended, as a histogram's note says it ("stopped early at 143")
ENDED = {"early_stopping": "stopped early", "diverged": "diverged", "stopped": "stopped", "closed": "stopped",
         "error": "failed", "completed": "ended"}


def shown_epoch_text(run, shown: int, chosen: int) -> str:
    """Which epoch a variant's histogram is of, when the slider is on ``chosen``: the chosen
    epoch itself, the epoch its run ended at (stopped early), the latest so far of a run still
    training, or the nearest earlier one its run has histograms of."""
    if shown == chosen:
        return f"epoch {shown}"
    if run.ended and shown == max(run.snapshots):
        ended = ENDED.get(run.status, "ended")
        return f"{ended} at {shown}" if shown == run.n_epochs else f"epoch {shown}, {ended} at {run.n_epochs}"
    if not run.ended and shown == max(run.snapshots) and run.n_epochs < chosen:
        return f"epoch {shown} (training)"
    return f"epoch {shown} (none at {chosen})"


def describe_histogram(hist) -> str:
    """A short reading of a histogram (it fits a plot a quarter of the grid wide): all values
    equal, or the spread σ (the standard deviation from the bins, two digits)."""
    counts = np.asarray(hist.counts, float)
    edges = np.asarray(hist.edges, float)
    total = counts.sum()
    if total == 0:
        return "empty"
    centres = (edges[:-1] + edges[1:]) / 2
    if np.count_nonzero(counts) == 1 and np.isclose(edges[-1] - edges[0], 1.0):
        # Histogram.of widens a single value v to the range v ± 0.5
        return f"all equal {(edges[0] + edges[-1]) / 2:.2g}"
    mean = float(np.dot(counts, centres) / total)
    std = float(np.sqrt(np.dot(counts, (centres - mean) ** 2) / total))
    return f"σ ≈ {std:.2g}"
