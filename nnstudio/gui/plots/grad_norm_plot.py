"""The gradient-norm plot: one curve per layer, the article's view of vanishing and exploding gradients."""

from __future__ import annotations

from typing import Sequence

from PySide6.QtWidgets import QWidget

from ...history import History
from ..qt.style import color
from .epoch_plot import EpochPlot

MAX_LEGEND_ROWS = 4  # more layers than this: the legend goes to columns of short names
LEGEND_COLUMNS = 3
LEGEND_SPACING = 5  # px between a curve's sample and its name (pyqtgraph's)


def short_layer_name(name: str) -> str:
    """``layer3`` -> ``3``, ``output`` -> ``out``: a legend entry as narrow as its sample line."""
    return "out" if name == "output" else name.removeprefix("layer")


class GradNormPlot(EpochPlot):
    """Mean L2 norm of each layer's gradient per epoch (before clipping), one curve per layer."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__("gradNormPlot", "Gradient norm per layer", "‖∇‖₂", parent, y_from_zero=True,
                         short_title="Gradient norms")
        self.setToolTip("For each layer, the L2 norm of its parameter gradient (weights and biases together), "
                        "averaged over the epoch's mini-batches, before clipping.\nNorms shrinking towards the "
                        "input layers mean vanishing gradients; sudden spikes mean exploding ones (try clipping).")

    def set_layers(self, names: Sequence[str]) -> None:
        """One curve per layer; the same layers as the last run keep their curves (making a curve
        and its legend entry costs the GUI thread ~10 ms, while the run's first epoch trains)."""
        if tuple(names) == tuple(self.series):
            return
        self.remove_all_series()
        many = len(names) > MAX_LEGEND_ROWS  # one row each would cover the curves: columns of short names
        self.legend.setColumnCount(LEGEND_COLUMNS if many else 1)
        # columns of short names sit close together: the legend stays inside a Train-tab plot's view
        self.legend.layout.setHorizontalSpacing(0 if many else LEGEND_SPACING)
        for i, name in enumerate(names):  # the hover readout keeps the whole names
            curve = self.add_series(name, name, color(i + 2), width=1.5, legend=False)
            self.legend.addItem(curve, short_layer_name(name) if many else name)

    def _draw(self, history: History) -> None:
        x = history.epochs
        norms = history.grad_norms
        for i, key in enumerate(self.series):
            self.set_series(key, x, norms[:, i])
