"""What a picture shows, without Qt: line charts and heat maps as plain data."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from ..palette import BEST_COLOR

# Series, text and axis colours: :mod:`nnstudio.palette` (the window's too, so files and tabs agree).
GRID_COLOR = "#ececec"
MARK_COLOR = BEST_COLOR


def _array(values: Sequence[float] | None) -> np.ndarray | None:
    return None if values is None else np.asarray(values, dtype=np.float64).ravel()


@dataclass(frozen=True)
class Series:
    """One line: ``y`` against ``x`` (NaN breaks it), in the legend as ``label``.

    ``lo``/``hi``: a shaded band between them (same length as ``x``; NaN leaves a gap).
    ``error``: ± error bars.  ``points``: draw a dot at each point.
    """

    label: str
    x: Sequence[float]
    y: Sequence[float]
    color: str | None = None
    lo: Sequence[float] | None = None
    hi: Sequence[float] | None = None
    error: Sequence[float] | None = None
    points: bool = False
    dashed: bool = False

    def arrays(self) -> dict[str, np.ndarray | None]:
        return {"x": _array(self.x), "y": _array(self.y), "lo": _array(self.lo), "hi": _array(self.hi),
                "error": _array(self.error)}


@dataclass(frozen=True)
class Mark:
    """A dashed vertical line at ``x``, a horizontal one at ``y``, or with both a star at (x, y)
    on a vertical line; ``label`` is written beside it."""

    x: float | None = None
    y: float | None = None
    label: str = ""
    color: str = MARK_COLOR


@dataclass(frozen=True)
class LineChart:
    """Lines against a common x axis.  ``x_ticks``: place ticks there only (whole depths);
    ``x_range``: (lo, hi) instead of the data's range."""

    title: str
    x_label: str
    y_label: str
    series: Sequence[Series] = ()
    log_x: bool = False
    log_y: bool = False
    marks: Sequence[Mark] = ()
    x_ticks: Sequence[float] | None = None
    legend: bool = True
    zero_line: bool = False  # a dashed line at y = 0
    x_range: tuple[float, float] | None = None


@dataclass(frozen=True)
class HeatMap:
    """``values[i, j]`` at (``x[j]``, ``y[i]``), coloured from low (dark) to high (bright), with a
    colour bar; ``path`` = (xs, ys) is drawn over it as a line with points, its start marked."""

    title: str
    x_label: str
    y_label: str
    values: np.ndarray
    x: Sequence[float]
    y: Sequence[float]
    path: tuple[Sequence[float], Sequence[float]] | None = None
    log_x: bool = False
    log_y: bool = False
    value_label: str = ""
    marks: Sequence[Mark] = field(default=())
