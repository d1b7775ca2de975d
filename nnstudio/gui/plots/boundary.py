"""The decision boundary of a 2-D classifier: a probability-coloured heatmap with the training points.

Each grid cell's colour mixes the class colours weighted by the predicted probabilities,
lightened so the points stay readable: confident regions take their class's colour, the
boundary between classes fades towards grey.  Points are the training rows in original units,
coloured by their true class.

Every grid a run sends is kept as a frame (colours only, a few tens of kilobytes each, at most
:data:`MAX_FRAMES`, thinned evenly when full), so :class:`BoundaryReplay` can play the run back:
a slider over the frames, play/pause and a speed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, QTimer, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSlider, QToolButton, QVBoxLayout, QWidget

from ..qt.style import BACKGROUND, PALETTE
from .base import style_plot
from .titles import FittedTitles
from ..qt.refresh import MeteredPlotWidget
from ..train.worker import BoundaryGrid

LIGHTEN = 0.45  # share of white mixed into the heatmap colours
MAX_FRAMES = 400  # boundary frames kept for the replay
SPEEDS = (("0.5×", 2.5), ("1×", 5.0), ("2×", 10.0), ("5×", 25.0))  # label, frames per second


@dataclass(frozen=True)
class Frame:
    epoch: int
    rgb: np.ndarray
    rect: QRectF
    note: str = ""


def frame_titles(epoch: int, note: str) -> list[str]:
    """The boundary's title for a frame, longest first: the first that fits the plot is shown."""
    short_note = note.split(";")[0].strip()
    titles = [f"Decision boundary · epoch {epoch}" + (f" ({note})" if note else ""),
              f"Boundary · epoch {epoch}" + (f" ({note})" if note else ""),
              f"epoch {epoch}" + (f" ({note})" if note else "")]
    if short_note != note:
        titles.append(f"epoch {epoch} ({short_note})")
    return titles


def class_colors(n_classes: int) -> np.ndarray:
    """RGB rows (n_classes, 3) in 0..255, from the shared palette."""
    return np.array([pg.mkColor(PALETTE[i % len(PALETTE)]).getRgb()[:3] for i in range(n_classes)], dtype=np.float32)


def probabilities_to_rgb(probabilities: np.ndarray, n_classes: int) -> np.ndarray:
    """(ny, nx, k) probabilities -> (ny, nx, 3) uint8 colours.

    k = 1 (one sigmoid unit, p of class 1) is expanded to [1 - p, p].
    """
    p = np.nan_to_num(probabilities.astype(np.float32), nan=0.0)
    if p.shape[-1] == 1:
        p = np.concatenate([1.0 - p, p], axis=-1)
    colors = class_colors(max(n_classes, p.shape[-1]))[:p.shape[-1]]
    rgb = p @ colors
    rgb = (1.0 - LIGHTEN) * rgb + LIGHTEN * 255.0
    return np.clip(rgb, 0, 255).astype(np.uint8)


class BoundaryView(FittedTitles, MeteredPlotWidget):
    """``boundaryPlot``: the heatmap (``image``) and the training points (``points``).

    ``framesChanged`` is emitted when a frame is added (the replay's slider follows).
    """

    framesChanged = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent, background=BACKGROUND)
        self.setObjectName("boundaryPlot")
        self.setMinimumSize(240, 200)
        style_plot(self, "Decision boundary", "x2", x_label="x1")
        item = self.getPlotItem()
        item.showGrid(x=False, y=False)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setZValue(-10)
        item.addItem(self.image)
        self.points = pg.ScatterPlotItem(size=6, pen=pg.mkPen(40, 40, 40, 160, width=0.8))
        item.addItem(self.points)
        self.setAspectLocked(False)
        item.getViewBox().setDefaultPadding(0.0)  # the heatmap already extends past the points
        self.n_classes = 2
        self.grid: BoundaryGrid | None = None
        self.pending: BoundaryGrid | None = None  # the latest grid, drawn by draw_pending()
        self.frames: list[Frame] = []
        self.follow_latest = True  # False while the replay shows an earlier frame
        self.run_ended = False  # the newest frame holds the weights the run ended with
        self.frames_drawn = 0  # frames put on screen while following the run (a rate measure)
        self._titles = ("Decision boundary",)
        self.setToolTip("The network's prediction over the input plane (original units), recomputed a few "
                        "times a second while training.\nColour = class colours mixed by predicted probability; "
                        "pale areas are uncertain. Dots are the training points, coloured by their true class.")

    def set_points(self, points: np.ndarray, classes: np.ndarray, n_classes: int) -> None:
        """The training rows (n, 2) and their class indices (n,)."""
        self.n_classes = n_classes
        colors = class_colors(n_classes).astype(int)
        brushes = [pg.mkBrush(*colors[c]) for c in range(n_classes)]
        self.points.setData(pos=np.asarray(points, dtype=float), brush=[brushes[c] for c in classes])
        self.getPlotItem().enableAutoRange()

    def receive(self, grid: BoundaryGrid) -> None:
        """Keep ``grid`` as the newest frame; :meth:`draw_pending` shows it (at the view's pace)."""
        self.grid = grid
        (x0, x1), (y0, y1) = grid.x_range, grid.y_range
        frame = Frame(grid.epoch, probabilities_to_rgb(grid.probabilities, self.n_classes),
                      QRectF(x0, y0, x1 - x0, y1 - y0), grid.note)
        if len(self.frames) >= MAX_FRAMES:
            self.frames = self.frames[:1] + self.frames[2::2]  # evenly thinned, epoch 0 kept
        if self.frames and self.frames[-1].epoch == frame.epoch and not frame.note:
            self.frames[-1] = frame
        else:
            self.frames.append(frame)
        self.pending = grid
        self.framesChanged.emit()

    def set_grid(self, grid: BoundaryGrid) -> None:
        """Keep ``grid`` and show it now (unless the replay shows another frame)."""
        self.receive(grid)
        self.draw_pending()

    def end_run(self, grid: BoundaryGrid | None) -> None:
        """The run has ended; ``grid`` (if any) holds the weights it kept, shown now."""
        self.run_ended = True
        if grid is not None:
            self.set_grid(grid)
        else:
            self.framesChanged.emit()

    def frame_label(self, index: int) -> str:
        """``Epoch 64 (best, restored)``: the frame's epoch and, for the newest, what its weights are."""
        frame = self.frames[index]
        text = f"Epoch {frame.epoch}"
        if frame.note:  # the weights a finished run kept: best, restored, or the initial ones
            return f"{text} ({frame.note.split(';')[0].strip()})"
        if index == len(self.frames) - 1:
            return text + (" (final weights)" if self.run_ended else " (newest frame)")
        return text

    def show_frame(self, index: int) -> None:
        frame = self.frames[index]
        self.image.setImage(frame.rgb, autoLevels=False, levels=(0, 255))
        self.image.setRect(frame.rect)
        self.set_titles(frame_titles(frame.epoch, frame.note))

    @property
    def title_text(self) -> str:
        return self.getPlotItem().titleLabel.text

    def draw_pending(self) -> None:
        """Show the newest frame if it has not been shown yet (and the replay follows the run)."""
        if self.pending is None:
            return
        self.pending = None
        if self.follow_latest and self.frames:
            self.show_frame(len(self.frames) - 1)
            self.frames_drawn += 1

    def clear_data(self) -> None:
        """Remove the heatmap and the points (``clear()`` would remove the plot items themselves)."""
        self.grid = self.pending = None
        self.frames = []
        self.follow_latest = True
        self.run_ended = False
        self.frames_drawn = 0
        self.framesChanged.emit()
        self.image.clear()
        self.points.clear()
        self.set_titles(["Decision boundary"])


class BoundaryReplay(QWidget):
    """``boundaryReplay``: play the run's boundary frames back (slider, play/pause, speed).

    While the slider sits at its right end the view follows the run; moving it away (or
    playing) shows earlier frames, and reaching the end again follows the run once more.
    """

    def __init__(self, view: BoundaryView, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("boundaryReplay")
        self.view = view
        self.playButton = QToolButton(self)
        self.playButton.setObjectName("boundaryPlayButton")
        self.playButton.setCheckable(True)
        self.playButton.setText("▶ Play")
        self.playButton.setToolTip("Replay the boundary from the first frame (epoch 0) to the latest.")
        self.slider = QSlider(Qt.Orientation.Horizontal, self)
        self.slider.setObjectName("boundarySlider")
        self.slider.setToolTip("Scrub through the boundary frames of this run; the right end follows the run.")
        self.speedCombo = QComboBox(self)
        self.speedCombo.setObjectName("boundarySpeedCombo")
        for label, fps in SPEEDS:
            self.speedCombo.addItem(label, fps)
        self.speedCombo.setCurrentIndex(1)
        self.speedCombo.setToolTip("Replay speed (1× = 5 frames a second).")
        self.label = QLabel("", self)
        self.label.setObjectName("boundaryFrameLabel")
        # room for a long run's epoch; what the newest frame holds wraps to a second line in a narrow pane
        self.label.setMinimumWidth(self.label.fontMetrics().horizontalAdvance("Epoch 100000 (latest)"))
        self.label.setWordWrap(True)
        self.label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        # the slider on a row of its own, as wide as the plot: beside the buttons and the frame's
        # label it had a few pixels in a narrow pane
        rows = QVBoxLayout(self)
        rows.setContentsMargins(4, 0, 4, 0)
        rows.setSpacing(2)
        rows.addWidget(self.slider)
        row = QHBoxLayout()
        row.addWidget(self.playButton)
        row.addWidget(self.speedCombo)
        row.addWidget(self.label, 1)  # the rest of the row, text at its right end
        rows.addLayout(row)
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._advance)
        self._syncing = False
        self.playButton.toggled.connect(self._on_play)
        self.slider.valueChanged.connect(self._on_slider)
        self.speedCombo.currentIndexChanged.connect(lambda _i: self._on_play(self.playButton.isChecked()))
        view.framesChanged.connect(self._sync)
        self._sync()

    def _sync(self) -> None:
        n = len(self.view.frames)
        self._syncing = True
        self.slider.setRange(0, max(n - 1, 0))
        if self.view.follow_latest:
            self.slider.setValue(max(n - 1, 0))
        self._syncing = False
        self.slider.setEnabled(n > 1)
        self.playButton.setEnabled(n > 1)
        self._label()

    def _label(self) -> None:
        frames = self.view.frames
        if not frames:
            self.label.setText("")
            return
        self.label.setText(self.view.frame_label(min(self.slider.value(), len(frames) - 1)))

    def _on_slider(self, value: int) -> None:
        if self._syncing or not self.view.frames:
            return
        self.view.follow_latest = value >= self.slider.maximum()
        self.view.show_frame(min(value, len(self.view.frames) - 1))
        self._label()

    def _on_play(self, playing: bool) -> None:
        self.playButton.setText("❚❚ Pause" if playing else "▶ Play")
        if not playing:
            self._timer.stop()
            return
        if self.slider.value() >= self.slider.maximum():
            self.slider.setValue(0)
        self._timer.start(round(1000 / self.speedCombo.currentData()))

    def _advance(self) -> None:
        if self.slider.value() >= self.slider.maximum():
            self.playButton.setChecked(False)  # at the latest frame: following the run again
            return
        self.slider.setValue(self.slider.value() + 1)
