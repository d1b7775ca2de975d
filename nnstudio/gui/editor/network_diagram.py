"""A small drawing of the network: a column of nodes per layer, edges between neighbours.

At most :data:`MAX_NODES` nodes are drawn per layer (evenly spaced units, with "…" and the true
count below); edges join drawn nodes only, which keeps painting cheap for wide layers.  Once
weights are known (:meth:`NetworkDiagram.set_weights`) each edge shows its weight: blue for
positive, red for negative, thicker and more opaque for larger |w| relative to the layer's
largest.  Edges are grouped into a few colour bins and drawn with one ``drawLines`` call each.

Under the columns go two rows of labels, the sizes and the activations.  Each row follows one
rule for all its labels (:func:`label_row`): all in full, else all short ("10k", "σ"), else
none, so a narrow diagram never shows some layers' labels and hides others'.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from PySide6.QtCore import QLineF, QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from ...design.help_texts import HELP

MAX_NODES = 12
WEIGHT_BINS = 6  # opacity/width levels per sign
POSITIVE = QColor(33, 102, 172)   # blue
NEGATIVE = QColor(214, 39, 40)    # red
NEUTRAL = QColor(150, 150, 150)
NODE_FILL = {"input": QColor("#e0e0e0"), "hidden": QColor("#ffffff"), "output": QColor("#e0e0e0")}


SHORT_NAMES = {"input": "in", "sigmoid": "σ", "tanh": "tanh", "relu": "relu", "leaky_relu": "lrelu",
               "elu": "elu", "linear": "lin", "softmax": "smax"}
LABEL_PAD_PX = 4  # between neighbouring columns' labels


def short_size(n: int) -> str:
    """A unit count in at most four characters: 64, 999, 1k, 10k, 1M."""
    if n < 1000:
        return str(n) if n else "?"
    if n < 1_000_000:
        return f"{n // 1000}k"
    return f"{n // 1_000_000}M"


def label_row(full: Sequence[str], short: Sequence[str], fits) -> list[str]:
    """One rule for a whole row: every label in ``full`` if all fit, else every ``short`` one if
    all fit, else none (``fits(text)`` says whether a label fits its column)."""
    for texts in (full, short):
        if all(fits(t) for t in texts):
            return list(texts)
    return []


def shown_units(n: int, cap: int = MAX_NODES) -> np.ndarray:
    """Indices of the units drawn for a layer of ``n`` units: all, or ``cap`` evenly spaced ones."""
    if n <= cap:
        return np.arange(n)
    return np.unique(np.linspace(0, n - 1, cap).round().astype(int))


class NetworkDiagram(QWidget):
    """Paints layer sizes ``[n_in, h1, ..., n_out]`` and, optionally, the weight matrices between them."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("networkDiagram")
        self._sizes: list[int] = []
        self._labels: list[str] = []
        self._weights: list[np.ndarray] | None = None
        self.setMinimumSize(110, 160)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(260, 240)

    # -- content -------------------------------------------------------------------------------
    def set_layers(self, sizes: Sequence[int], labels: Sequence[str] = ()) -> None:
        """Layer sizes including input and output (0 means unknown); weights that no longer fit are dropped."""
        sizes = [int(s) for s in sizes]
        if sizes != self._sizes:
            self._sizes = sizes
            if self._weights is not None and not self._weights_fit(self._weights):
                self._weights = None
        self._labels = list(labels)
        arch = " → ".join(f"{n or '?'} {label}".strip() for n, label in zip(sizes, self._labels or [""] * len(sizes)))
        self.setToolTip(f"{arch}\n\n{HELP['diagram'].tip}")
        self.update()

    def set_weights(self, weights: Sequence[np.ndarray] | None) -> None:
        """Weight matrices ``W_i`` of shape (sizes[i], sizes[i+1]); None clears them.

        Matrices whose shapes do not match the current layers (the design changed since the
        run started) are ignored.
        """
        if weights is None:
            if self._weights is None:
                return  # nothing changes: no repaint (edges are the slowest thing this widget draws)
            self._weights = None
        else:
            weights = [np.asarray(w) for w in weights]
            self._weights = weights if self._weights_fit(weights) else None
        self.update()

    def has_weights(self) -> bool:
        return self._weights is not None

    def _weights_fit(self, weights: Sequence[np.ndarray]) -> bool:
        s = self._sizes
        return len(weights) == len(s) - 1 and all(w.shape == (s[i], s[i + 1]) for i, w in enumerate(weights))

    # -- geometry ------------------------------------------------------------------------------
    def node_positions(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per layer: (unit indices drawn, their centre points as an (k, 2) array)."""
        rect = QRectF(self.rect()).adjusted(14, 10, -14, -34)
        n_layers = max(len(self._sizes), 1)
        out = []
        for i, size in enumerate(self._sizes):
            units = shown_units(max(size, 1))
            x = rect.left() + (rect.width() * (i + 0.5) / n_layers)
            k = len(units)
            spacing = min(rect.height() / max(k, 1), 26.0)
            top = rect.center().y() - spacing * (k - 1) / 2
            ys = top + spacing * np.arange(k)
            out.append((units, np.c_[np.full(k, x), ys]))
        return out

    def node_radius(self) -> float:
        """Radius that keeps nodes apart both within a column and between columns."""
        if not self._sizes:
            return 6.0
        drawn = max(len(shown_units(max(s, 1))) for s in self._sizes)
        spacing = min((self.height() - 44) / max(drawn, 1), 26.0)
        column = (self.width() - 28) / len(self._sizes)
        return max(2.0, min(8.0, spacing * 0.32, column * 0.22))

    # -- painting ------------------------------------------------------------------------------
    def paintEvent(self, event) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), self.palette().base())
        if not self._sizes:
            painter.end()
            return
        positions = self.node_positions()
        self._paint_edges(painter, positions)
        self._paint_nodes(painter, positions)
        self._paint_labels(painter, positions)
        painter.end()

    def _paint_edges(self, painter: QPainter, positions) -> None:
        for i in range(len(positions) - 1):
            (u_a, p_a), (u_b, p_b) = positions[i], positions[i + 1]
            ia, ib = np.meshgrid(np.arange(len(u_a)), np.arange(len(u_b)), indexing="ij")
            ia, ib = ia.ravel(), ib.ravel()
            if self._weights is None:
                painter.setPen(QPen(NEUTRAL, 0.6))
                painter.setOpacity(0.45)
                painter.drawLines(self._lines(p_a, p_b, ia, ib))
                continue
            w = self._weights[i][np.ix_(u_a, u_b)].ravel()
            scale = float(np.abs(self._weights[i]).max()) or 1.0
            level = np.minimum((np.abs(w) / scale * WEIGHT_BINS).astype(int), WEIGHT_BINS - 1)
            for positive, colour in ((True, POSITIVE), (False, NEGATIVE)):
                sign_mask = (w >= 0) if positive else (w < 0)
                for b in range(WEIGHT_BINS):
                    mask = sign_mask & (level == b)
                    if not mask.any():
                        continue
                    strength = (b + 1) / WEIGHT_BINS
                    painter.setOpacity(0.12 + 0.78 * strength)
                    painter.setPen(QPen(colour, 0.4 + 2.6 * strength))
                    painter.drawLines(self._lines(p_a, p_b, ia[mask], ib[mask]))
        painter.setOpacity(1.0)

    @staticmethod
    def _lines(p_a: np.ndarray, p_b: np.ndarray, ia: np.ndarray, ib: np.ndarray) -> list[QLineF]:
        return [QLineF(QPointF(*p_a[a]), QPointF(*p_b[b])) for a, b in zip(ia, ib)]

    def _paint_nodes(self, painter: QPainter, positions) -> None:
        r = self.node_radius()
        last = len(positions) - 1
        painter.setPen(QPen(QColor("#404040"), 1.0))
        for i, (_units, pts) in enumerate(positions):
            kind = "input" if i == 0 else "output" if i == last else "hidden"
            painter.setBrush(NODE_FILL[kind])
            for x, y in pts:
                painter.drawEllipse(QPointF(x, y), r, r)

    def _label_font(self, painter_font: QFont) -> QFont:
        font = QFont(painter_font)
        font.setPointSizeF(max(6.5, font.pointSizeF() * 0.85))
        return font

    def label_rows(self) -> tuple[list[str], list[str]]:
        """The size and activation labels drawn under the columns at the current width (see :func:`label_row`)."""
        fm = QFontMetrics(self._label_font(self.font()))
        column = (self.width() - 28) / max(len(self._sizes), 1) - LABEL_PAD_PX

        def fits(text: str) -> bool:
            return fm.horizontalAdvance(text) <= column
        sizes = label_row([str(n) if n else "?" for n in self._sizes], [short_size(n) for n in self._sizes], fits)
        names = [self._labels[i] if i < len(self._labels) else "" for i in range(len(self._sizes))]
        if not any(names):
            return sizes, []
        activations = label_row(names, [SHORT_NAMES.get(n, n[:4]) for n in names], fits)
        return sizes, activations

    def _paint_labels(self, painter: QPainter, positions) -> None:
        painter.setPen(self.palette().text().color())
        painter.setFont(self._label_font(painter.font()))
        fm = painter.fontMetrics()
        bottom = self.height() - 6
        column = (self.width() - 28) / max(len(positions), 1)
        sizes, activations = self.label_rows()
        for i, (units, pts) in enumerate(positions):
            x = pts[0, 0]
            if self._sizes[i] > len(units):  # the drawn nodes are a sample: say so between them
                mid = pts[len(pts) // 2]
                painter.drawText(QRectF(x + self.node_radius() + 1, mid[1] - fm.height(), 20, fm.height()),
                                 Qt.AlignmentFlag.AlignLeft, "…")
            rect = QRectF(x - column / 2, bottom - 2 * fm.height(), column, fm.height())
            for row, texts in enumerate((sizes, activations)):
                if texts:
                    painter.drawText(rect.translated(0, row * fm.height()), Qt.AlignmentFlag.AlignHCenter, texts[i])
