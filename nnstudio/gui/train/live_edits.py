"""The design against the run: edits made while training, and results that no longer match it.

While a run is active, an edit of the learning rate, L1, L2 or a dropout rate (the only fields
the editor leaves open then, :data:`~nnstudio.engine.live.LIVE_FIELDS`) is passed to the run,
which applies it at its next mini-batch; each applied change is marked on the loss and
learning-rate plots where it took effect.  After a run, any edit that makes the design differ
from the config the run ended with marks the results as the previous design's; undoing back to
that config clears the mark.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget

from ...config import ConfigError, ExperimentConfig
from ...engine.live import live_differences, short_name, with_values
from ..qt.style import warning_box_style
from .control import RunControl

MARKER_COLOR = "#6a1b9a"  # live changes: purple, apart from the findings' orange and red
# label heights (share of the plot's height) of markers in turn, so that near ones do not overlap:
# on the loss plot below its legend (top right) and clear of its best/stop labels (0.55, 0.40)
LOSS_ROWS = (0.66, 0.25)
TOP_ROWS = (0.88, 0.76)
STALE_TEXT = "⚠ Results are from the previous design. Train again (F5), or undo back to the trained design."


class ChangeMarkers:
    """Vertical lines labelled ``lr 0.01→0.1`` where live changes took effect, on each plot given
    (``plots``: plot -> the label heights it uses in turn)."""

    def __init__(self, plots: dict):
        self.plots = dict(plots)
        self.lines: list[tuple[object, pg.InfiniteLine]] = []
        self.labels: list[str] = []  # one per position marked, in order
        self.positions: list[float] = []  # where (in epochs) each marked change took effect

    def add(self, changes) -> None:
        """Mark ``changes`` (engine ``Change`` tuples); those at the same position share one line."""
        groups: dict[float, list] = {}
        for change in changes:
            groups.setdefault(change.at, []).append(change)
        for at, found in groups.items():
            text = ", ".join(c.label for c in found)
            turn = len(self.labels)
            self.labels.append(text)
            self.positions.append(at)
            tip = "\n".join(f"{short_name(c.name)} changed from {c.old:.4g} to {c.new:.4g} at epoch {c.at:.2f} "
                            "(applied at the next mini-batch after the edit)" for c in found)
            for plot, rows in self.plots.items():
                line = pg.InfiniteLine(at, angle=90, pen=pg.mkPen(MARKER_COLOR, width=1.4, style=Qt.PenStyle.DashLine),
                                       label=text, labelOpts={"position": rows[turn % len(rows)], "color": MARKER_COLOR,
                                                              "fill": (255, 255, 255, 210)})
                # pyqtgraph puts the text right of the line, or left of it in the view's right half
                line.setZValue(5)
                line.setToolTip(tip)
                plot.getPlotItem().addItem(line, ignoreBounds=True)
                self.lines.append((plot, line))

    def clear(self) -> None:
        for plot, line in self.lines:
            plot.getPlotItem().removeItem(line)
        self.lines.clear()
        self.labels.clear()
        self.positions.clear()


class LiveEdits:
    """Edits of the design while a run trains, and the stale-results notice after it.

    ``notice`` is the amber line the panel shows under its results; ``markers`` mark the
    changes on the plots.
    """

    def __init__(self, parent: QWidget, plots: dict):
        self.notice = QLabel(STALE_TEXT, parent)
        self.notice.setObjectName("staleResultsNotice")
        self.notice.setWordWrap(True)
        self.notice.setStyleSheet(warning_box_style("staleResultsNotice"))
        self.notice.setToolTip("The plots, metrics and the model you can export are those of the last run, "
                               "trained with the design as it was then.")
        self.notice.hide()
        self.markers = ChangeMarkers(plots)
        self.run_config: ExperimentConfig | None = None     # the active run's config, live edits included
        self.trained_config: ExperimentConfig | None = None  # the config the finished run ended with
        self.design: ExperimentConfig | None = None          # the editor's config, as last seen

    @property
    def stale(self) -> bool:
        return not self.notice.isHidden()

    def run_started(self, config: ExperimentConfig) -> None:
        self.run_config, self.trained_config = config, None
        self.markers.clear()
        self._show_stale(False)

    def run_finished(self, config: ExperimentConfig | None) -> None:
        """The run ended with ``config`` (None: it left no results to compare)."""
        self.run_config, self.trained_config = None, config
        self._check_stale()

    def forget(self) -> None:
        """Reset: no run, no results."""
        self.run_config = self.trained_config = None
        self.markers.clear()
        self._show_stale(False)

    def add_records(self, records) -> None:
        for record in records:
            if record.changes:
                self.markers.add(record.changes)

    def design_changed(self, config: ExperimentConfig, control: RunControl | None) -> str:
        """The editor now holds ``config``.  During a run its live edits go to ``control``; what
        to tell the user about it ('' when nothing)."""
        self.design = config
        if self.run_config is None or control is None:
            self._check_stale()
            return ""
        changes = live_differences(self.run_config, config)
        if not changes:
            return ""  # nothing the run takes (other fields are locked while it trains)
        try:
            config.validate()
        except ConfigError as exc:
            return f"Not passed to the run: {exc}"
        control.live.request(changes)
        self.run_config = with_values(self.run_config, changes)
        said = ", ".join(f"{short_name(path)} {value:.4g}" for path, value in changes.items())
        return f"{said}: the run takes it from its next mini-batch."

    def _check_stale(self) -> None:
        trained = self.trained_config
        self._show_stale(trained is not None and self.design is not None and self.design != trained)

    def _show_stale(self, stale: bool) -> None:
        self.notice.setVisible(stale)

