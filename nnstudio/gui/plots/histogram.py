"""Per-layer histograms of weights, biases, gradients or activations, with an epoch scrubber.

The view keeps a bounded :class:`~nnstudio.history.HistogramStore`; the slider
(``epochSlider``) indexes its kept snapshots and the label shows the real epoch number.
While a run is going the view follows the latest epoch, unless the user has moved the slider
away from its right end (moving it back to the end follows again).  The first kept snapshot
(epoch 0, the initializer's own distribution, when the run provides it) is drawn as a faint
dashed outline for comparison, closed down to 0 at both ends and along its baseline
(:func:`step_outline`), so that it reads as a histogram of its own.

Each epoch's histogram has its own bins (its own minimum to maximum), so the view draws
*density*: count / (entries × bin width).  Curves of different epochs then share one scale
whatever their bins (the area under each is 1), and the axes keep the widest range seen in
the run for the selected layer and kind.
"""

from __future__ import annotations

from typing import Iterable

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSlider, QVBoxLayout, QWidget

from ...engine import EpochRecord, Histogram
from ..qt.style import BACKGROUND, NOTE_COLOR, PALETTE, TEXT_COLOR
from .base import EmptyNote, style_plot
from ...history import DEFAULT_SNAPSHOTS, HistogramStore
from ..qt.refresh import MeteredPlotWidget, RangeAnchor, StickyBounds

# What the kind combo offers: label -> (LayerSnapshot attribute, tooltip)
KINDS = {
    "Weights": ("weights", "Entries of the layer's weight matrix W (fan_in × fan_out).\nWatch the initializer's "
                           "spread: Glorot ~ √(2/(fan_in+fan_out)), He ~ √(2/fan_in); standard-normal "
                           "'random' init is far wider and saturates sigmoids."),
    "Biases": ("biases", "Entries of the layer's bias vector b (start at 0)."),
    "Gradients": ("gradients", "dL/dW of the epoch's last mini-batch, before clipping.\nAll near 0: vanishing "
                               "gradients; very wide: exploding ones."),
    "Activations": ("activations", "The layer's outputs on the validation split (evaluation mode).\nSigmoid "
                                   "outputs piled up at 0 and 1 (or tanh at ±1) mean saturated units that "
                                   "barely learn; ReLU outputs all 0 mean dead units."),
}
NO_RUN_NOTE = ("No run yet. Press Train: the chosen layer's histogram appears here from epoch 0 (before the "
               "first training step) and follows the run.")
NO_RUN_LABEL = "No epochs yet"
EMPTY_RANGE = ((-1.0, 1.0), (0.0, 1.0))  # values around 0, densities from 0


def layer_and_kind_combos(parent: QWidget, names: tuple[str, str], layer_tip: str,
                          kind_tip: str) -> tuple[QComboBox, QComboBox]:
    """The layer combo and the kind combo (one entry per :data:`KINDS`, each with its tooltip)
    that choose what a histogram shows, with the object names ``names``."""
    layers = QComboBox(parent)
    layers.setObjectName(names[0])
    layers.setToolTip(layer_tip)
    layers.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
    kinds = QComboBox(parent)
    kinds.setObjectName(names[1])
    for i, (label, (_, tip)) in enumerate(KINDS.items()):
        kinds.addItem(label)
        kinds.setItemData(i, tip, Qt.ItemDataRole.ToolTipRole)
    kinds.setToolTip(kind_tip)
    return layers, kinds


class HistogramView(QWidget):
    """``weightHistogram`` plot with ``histogramLayerCombo``, ``histogramKindCombo`` and ``epochSlider``."""

    def __init__(self, capacity: int = DEFAULT_SNAPSHOTS, parent: QWidget | None = None):
        super().__init__(parent)
        self.store = HistogramStore(capacity)
        self.follow_latest = True
        self._dirty = False

        self.layerCombo, self.kindCombo = layer_and_kind_combos(
            self, ("histogramLayerCombo", "histogramKindCombo"),
            "Which dense layer to show (layer1 is next to the input; output is last).",
            "What to histogram: weights, biases, gradients or activations.")
        self._make_plot()
        self._make_slider()
        self._make_layout()
        self.layerCombo.currentIndexChanged.connect(self._on_selection)
        self.kindCombo.currentIndexChanged.connect(self._on_selection)
        self.epochSlider.valueChanged.connect(self._on_slider)
        self._setting_slider = False
        self.redraw()  # the empty view: what will appear, over a range that means something

    def _make_plot(self) -> None:
        self.plot = MeteredPlotWidget(self, background=BACKGROUND)
        self.plot.setObjectName("weightHistogram")
        self.plot.setMinimumSize(240, 160)
        style_plot(self.plot, "Weights", "density", x_label="value")
        item = self.plot.getPlotItem()
        self.first_curve = item.plot([], [], pen=pg.mkPen(90, 90, 90, 190, width=1.2, style=Qt.PenStyle.DashLine))
        self.curve = item.plot([], [], stepMode="center", fillLevel=0, pen=pg.mkPen(PALETTE[0], width=1.5),
                               brush=pg.mkBrush(31, 119, 180, 90))
        self.first_note = pg.LabelItem("", color=NOTE_COLOR, size="8pt")
        self.first_note.setParentItem(item.getViewBox())
        self.first_note.anchor(itemPos=(0, 0), parentPos=(0, 0), offset=(4, 2))
        self.empty_note = EmptyNote(self.plot, NO_RUN_NOTE, wrap=True)
        # sticky axes: steady while the run streams in or the slider replays it
        self._anchor = RangeAnchor()
        item.addItem(self._anchor)
        self._x_bounds, self._y_bounds = StickyBounds(), StickyBounds(from_zero=True)

    def _make_slider(self) -> None:
        self.epochSlider = QSlider(Qt.Orientation.Horizontal, self)
        self.epochSlider.setObjectName("epochSlider")
        self.epochSlider.setRange(0, 0)
        self.epochSlider.setEnabled(False)
        self.epochSlider.setToolTip("Scrub through the run: drag to replay how the histogram changed epoch by "
                                    "epoch.\nLong runs keep evenly spaced snapshots (the label shows the real "
                                    "epoch). At the right end the view follows the run's newest snapshot.")
        self.epochLabel = QLabel(NO_RUN_LABEL, self)
        self.epochLabel.setObjectName("epochLabel")
        self.epochLabel.setToolTip("The epoch whose histogram is shown, and the newest epoch kept so far.")
        self.epochLabel.setMinimumWidth(self.epochLabel.fontMetrics().horizontalAdvance("Epoch 10000 of 10000  "))

    def _make_layout(self) -> None:
        controls = QHBoxLayout()
        controls.setContentsMargins(4, 0, 4, 0)
        controls.addWidget(QLabel("Layer", self))
        controls.addWidget(self.layerCombo)
        controls.addSpacing(8)
        controls.addWidget(QLabel("Show", self))
        controls.addWidget(self.kindCombo)
        controls.addStretch(1)
        scrub = QHBoxLayout()
        scrub.setContentsMargins(4, 0, 4, 0)
        scrub.addWidget(self.epochSlider, 1)
        scrub.addWidget(self.epochLabel)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 4)
        layout.setSpacing(4)
        layout.addLayout(controls)
        layout.addWidget(self.plot, 1)
        layout.addLayout(scrub)

    def _on_selection(self, _index: int) -> None:
        self._reset_bounds()
        self.redraw()

    def _reset_bounds(self) -> None:
        self._x_bounds.reset()
        self._y_bounds.reset()
        self._anchor.set_bounds(None, None)

    # -- data ------------------------------------------------------------------------------
    def set_layers(self, names: Iterable[str]) -> None:
        """Start a new run with these layer names."""
        self.store.clear()
        self.follow_latest = True
        self._reset_bounds()
        current = self.layerCombo.currentText()
        self.layerCombo.blockSignals(True)
        self.layerCombo.clear()
        self.layerCombo.addItems(list(names))
        index = self.layerCombo.findText(current)
        self.layerCombo.setCurrentIndex(max(index, 0))
        self.layerCombo.blockSignals(False)
        self._sync_slider()
        self.redraw()

    def clear(self) -> None:
        self.store.clear()
        self.follow_latest = True
        self._reset_bounds()
        self.layerCombo.clear()
        self._sync_slider()
        self.curve.setData([], [])
        self.first_curve.setData([], [])
        self.redraw()

    def add_records(self, records: Iterable[EpochRecord], redraw: bool = True) -> None:
        """Store the records' snapshots; redraw now, or leave it to a later :meth:`refresh`."""
        for r in records:
            self.store.add(r.epoch, r.layers)
        if redraw:
            self.refresh()

    def refresh(self) -> None:
        """Bring the slider up to date and redraw (when hidden, redraw once shown)."""
        self._sync_slider()
        if self.isVisible():
            self.redraw()
        else:
            self._dirty = True

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._dirty:
            self.refresh()

    # -- slider ----------------------------------------------------------------------------
    def _sync_slider(self) -> None:
        n = len(self.store)
        self._setting_slider = True
        self.epochSlider.setRange(0, max(n - 1, 0))
        self.epochSlider.setEnabled(n > 1)
        self.epochSlider.setPageStep(max(1, n // 10))
        if self.follow_latest:
            self.epochSlider.setValue(max(n - 1, 0))
        self._setting_slider = False

    def _on_slider(self, value: int) -> None:
        if self._setting_slider:  # moved by _sync_slider, whose caller redraws
            return
        self.follow_latest = value >= self.epochSlider.maximum()
        self.redraw()

    def selected_epoch(self) -> int | None:
        """The real epoch number under the slider (None before the first epoch)."""
        if not len(self.store):
            return None
        return self.store[self.epochSlider.value()].epoch

    def select_epoch(self, epoch: int) -> None:
        """Move the slider to the kept snapshot nearest ``epoch``."""
        self.epochSlider.setValue(self.store.index_of_epoch(epoch))

    def current_histogram(self) -> Histogram | None:
        """The histogram on screen: selected layer and kind at the slider's epoch."""
        layer = self.layerCombo.currentIndex()
        if not len(self.store) or layer < 0:
            return None
        snapshot = self.store[self.epochSlider.value()]
        if layer >= len(snapshot.layers):
            return None
        attribute = KINDS[self.kindCombo.currentText()][0]
        return getattr(snapshot.layers[layer], attribute)

    # -- drawing ---------------------------------------------------------------------------
    def redraw(self) -> None:
        self._dirty = False
        kind = self.kindCombo.currentText()
        layer = self.layerCombo.currentText()
        title = f"{layer} {kind.lower()}" if layer else kind
        hist = self.current_histogram()
        self.empty_note.setVisible(not len(self.store))
        if hist is None:
            self.curve.setData([], [])
            self.first_curve.setData([], [])
            self.first_note.setText("")
            self._set_title(title)
            if not len(self.store):
                self._anchor.set_bounds(*EMPTY_RANGE)
                self.epochLabel.setText(NO_RUN_LABEL)
            return
        shown = density(hist)
        self.curve.setData(hist.edges, shown, stepMode="center", fillLevel=0)
        first = self._first_histogram()
        lo, hi = float(hist.edges[0]), float(hist.edges[-1])
        top = float(shown.max()) if shown.size else 0.0
        first_shown = density(first) if first is not None else None
        if first is not None:
            lo, hi = min(lo, float(first.edges[0])), max(hi, float(first.edges[-1]))
            top = max(top, float(first_shown.max()) if first_shown.size else 0.0)
        self._anchor.set_bounds(self._x_bounds.fit(lo, hi), self._y_bounds.fit(0.0, top))
        epoch = self.selected_epoch()
        if first is not None and self.epochSlider.value() > 0:
            self.first_curve.setData(*step_outline(np.asarray(first.edges, dtype=float), first_shown))
            self.first_note.setText(f"dashed: epoch {self.store[0].epoch}")
        else:
            self.first_curve.setData([], [])
            self.first_note.setText("")
        self._set_title(f"{title} · epoch {epoch}")
        self.epochLabel.setText(f"Epoch {epoch} of {self.store[len(self.store) - 1].epoch}")

    def _set_title(self, text: str) -> None:
        self.plot.getPlotItem().setTitle(text, color=TEXT_COLOR, size="10pt")

    def _first_histogram(self) -> Histogram | None:
        layer = self.layerCombo.currentIndex()
        snapshot = self.store[0]
        if layer < 0 or layer >= len(snapshot.layers):
            return None
        return getattr(snapshot.layers[layer], KINDS[self.kindCombo.currentText()][0])

    def density_on_screen(self) -> np.ndarray:
        """The drawn densities (empty when nothing is drawn)."""
        _, y = self.curve.getData()
        return np.empty(0) if y is None else np.asarray(y)

    def outline_on_screen(self) -> tuple[np.ndarray, np.ndarray]:
        """The dashed first-snapshot outline as drawn: (bin edges, densities) (see :func:`step_outline`)."""
        x, y = self.first_curve.getData()
        if y is None or len(y) < 3:
            return np.empty(0), np.empty(0)
        return np.asarray(x)[0:-1:2], np.asarray(y)[1:-2:2]


def step_outline(edges: np.ndarray, heights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A histogram's closed outline as a polyline: up the first edge, across each bin's top,
    down the last edge and back along the baseline (y = 0) to the start."""
    x = np.concatenate([np.repeat(edges, 2), edges[:1]])
    y = np.concatenate([[0.0], np.repeat(heights, 2), [0.0, 0.0]])
    return x, y


def density(hist: Histogram) -> np.ndarray:
    """count / (entries × bin width): histograms with different bins drawn on one scale."""
    counts = np.asarray(hist.counts, dtype=np.float64)
    total = counts.sum()
    widths = np.diff(np.asarray(hist.edges, dtype=np.float64))
    if total <= 0:
        return np.zeros_like(counts)
    return counts / (total * np.where(widths > 0, widths, 1.0))
