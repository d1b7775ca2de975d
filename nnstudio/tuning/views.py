"""What the tuning views show, computed without Qt: table columns and CSV, sorting and filters,
slice / contour / parallel-coordinate data with the right axis scale, the Pareto front, and a
note when most trials fail for one reason.

Every function takes :class:`~nnstudio.tuning.results.TrialRow` objects (and the study's
:class:`~nnstudio.tuning.space.SearchSpace` where the scale of a parameter matters), so the
tuning tab and scripts show the same numbers.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from .enqueue import dimension_of
from .ranking import Standing, rank_key
from .results import TrialRow
from .space import CATEGORICAL, DIMENSIONS, INT, SearchSpace

LOG, LINEAR, CATEGORY = "log", "linear", "categorical"
_HIDDEN = re.compile(r"hidden_size_(\d+)$")
FIXED_COLUMNS = ("number", "state", "value", "mean", "sd", "repeats", "tied_with_best", "val_loss", "duration_s")


def param_names(rows: Sequence[TrialRow], space: SearchSpace | None = None) -> list[str]:
    """Every parameter any trial has, in the space's order (``hidden_size_0``, ``_1``, ... in place)."""
    names = {p for r in rows for p in r.params}
    order = [d.name for d in space] if space is not None else []

    def key(name: str):
        dim = dimension_of(name)
        m = _HIDDEN.match(name)
        position = order.index(dim) if dim in order else len(order)
        return (position, dim, int(m.group(1)) if m else -1)

    return sorted(names, key=key)


def param_title(param: str) -> str:
    """A trial parameter in the search-space editor's words: ``n_layers`` is "Hidden layers",
    ``hidden_size_0`` is "Units per layer · layer 1"; a name outside the space stays as it is."""
    dim = dimension_of(param)
    title = DIMENSIONS[dim].label if dim in DIMENSIONS else param
    layer = _HIDDEN.match(param)
    return f"{title} · layer {int(layer.group(1)) + 1}" if layer else title


def param_is_integer(param: str) -> bool:
    """Whether ``param`` takes whole numbers only (layers, units, batch size)."""
    dim = dimension_of(param)
    return dim in DIMENSIONS and DIMENSIONS[dim].kind == INT


SHORT_TITLES = {"n_layers": "Layers", "dropout_rate": "Dropout", "learning_rate": "Rate", "init_method": "Init",
                "clip_type": "Clip", "clip_value": "Threshold", "batch_size": "Batch", "batch_norm": "BN", "l2": "L2"}


def param_short_titles(param: str) -> tuple[str, ...]:
    """:func:`param_title` in fewer and fewer words, where there are any: ``hidden_size_0`` is
    "Layer 1 units", then "Units 1"; ``learning_rate`` is "Rate"."""
    layer = _HIDDEN.match(param)
    if layer:
        return f"Layer {int(layer.group(1)) + 1} units", f"Units {int(layer.group(1)) + 1}"
    short = SHORT_TITLES.get(dimension_of(param))
    return (short,) if short else ()


def param_scale(space: SearchSpace | None, param: str) -> str:
    """LOG, LINEAR or CATEGORY: how an axis of ``param`` is drawn."""
    if space is None:
        return LINEAR
    try:
        dim = space[dimension_of(param)]
    except KeyError:
        return LINEAR
    if dim.spec.kind == CATEGORICAL:
        return CATEGORY
    return LOG if dim.log else LINEAR


# -- the table ----------------------------------------------------------------------------------

def table_header(params: Sequence[str]) -> list[str]:
    return list(FIXED_COLUMNS) + list(params) + ["message"]


def table_record(row: TrialRow, standing: Standing | None, params: Sequence[str]) -> list[Any]:
    """One CSV line: empty cells for what a trial does not have."""
    s = standing
    fixed = [row.number, row.label, _cell(row.value), _cell(s.mean if s else None),
             _cell(s.sd if s else None), s.repeats if s else "", ("best" if s.is_best else "yes" if s.tied else "")
             if s else "", _cell(row.val_loss), _cell(row.duration)]
    return fixed + [_cell(row.params.get(p)) for p in params] + [row.message]


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, float) and not math.isfinite(value):
        return ""
    return value


def table_csv(snapshot, space: SearchSpace | None = None) -> str:
    """The trials of a :class:`~nnstudio.tuning.results.StudySnapshot` as CSV text, one column per parameter."""
    rows = snapshot.rows
    params = param_names(rows, space)
    standings = snapshot.standings()
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(table_header(params))
    for row in rows:
        writer.writerow(table_record(row, standings.get(row.number), params))
    return out.getvalue()


def write_table_csv(path, snapshot, space: SearchSpace | None = None) -> None:
    from ..files import atomic_write_text

    atomic_write_text(path, table_csv(snapshot, space))


_STATE_ORDER = {"COMPLETE": 0, "PRUNED": 1, "RUNNING": 2, "WAITING": 3, "FAIL": 4}


def value_sort_key(row: TrialRow, direction: str, standing: Standing | None = None) -> tuple:
    """Sorting by value: complete trials best first (the ranking rule), then pruned ones by their
    last value, then running, waiting and failed trials."""
    state = _STATE_ORDER.get(row.state, 5)
    value = standing.mean if standing is not None else row.value
    if row.state in ("COMPLETE", "PRUNED") and value is not None and math.isfinite(value):
        return (state,) + rank_key(direction, value, row.val_loss, row.number)
    return (state + 10, 0.0, 0.0, row.number)


def param_sort_key(row: TrialRow, param: str) -> tuple:
    """Sorting by a parameter: by its value (categories by their text); trials without it last."""
    v = row.params.get(param)
    if v is None:
        return (2, 0.0, "", row.number)
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return (0, float(v), "", row.number)
    return (1, 0.0, str(v), row.number)


_RANGE = re.compile(r"^\s*([-+0-9.eE]+)\s*\.\.\s*([-+0-9.eE]+)\s*$")
_COMPARE = re.compile(r"^\s*(<=|>=|<|>|=)\s*([-+0-9.eE]+)\s*$")


def matches(value: Any, text: str) -> bool:
    """Whether a cell passes a filter: ``a..b`` (range), ``<x``, ``>=x``, ``=x`` for numbers,
    otherwise a case-insensitive substring.  An empty filter passes everything; a filter on a
    number never passes a trial that lacks the parameter."""
    text = text.strip()
    if not text:
        return True
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    try:
        if m := _RANGE.match(text):
            return number and float(m.group(1)) <= value <= float(m.group(2))
        if m := _COMPARE.match(text):
            x = float(m.group(2))
            return number and {"<": value < x, "<=": value <= x, ">": value > x, ">=": value >= x,
                               "=": value == x}[m.group(1)]
    except ValueError:
        pass
    return value is not None and text.lower() in str(value).lower()


# -- plots --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Points:
    """Trials as points: x (parameter values), y (study values), the trial number and state."""

    x: list[Any]
    y: list[float]
    numbers: list[int]
    states: list[str]


def slice_points(rows: Sequence[TrialRow], param: str) -> Points:
    """Finished trials that have ``param`` and a value (pruned ones at their last value)."""
    x, y, n, s = [], [], [], []
    for r in rows:
        if r.state in ("COMPLETE", "PRUNED") and param in r.params and r.value is not None and math.isfinite(r.value):
            x.append(r.params[param])
            y.append(r.value)
            n.append(r.number)
            s.append(r.state)
    return Points(x, y, n, s)


def axis_position(values: Sequence[Any], scale: str, choices: Sequence[Any] = ()) -> np.ndarray:
    """Values as plot coordinates: log10 for LOG, the choice's index for CATEGORY (NaN: missing)."""
    out = np.full(len(values), np.nan)
    for i, v in enumerate(values):
        if v is None:
            continue
        if scale == CATEGORY:
            labels = [str(c) for c in choices]
            out[i] = labels.index(str(v)) if str(v) in labels else np.nan
        elif scale == LOG:
            out[i] = math.log10(v) if v > 0 else np.nan
        else:
            out[i] = float(v)
    return out


def categories(rows: Sequence[TrialRow], param: str, space: SearchSpace | None = None) -> list[Any]:
    """The choices of a categorical parameter: the space's, else the values seen, in order."""
    if space is not None:
        try:
            dim = space[dimension_of(param)]
            if dim.spec.kind == CATEGORICAL:
                return list(dim.choices)
        except KeyError:
            pass
    seen: list[Any] = []
    for r in rows:
        v = r.params.get(param)
        if v is not None and v not in seen:
            seen.append(v)
    return seen


def contour_grid(rows: Sequence[TrialRow], px: str, py: str, space: SearchSpace | None = None,
                 bins: int = 12) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(x edges, y edges, mean value per cell, NaN where no complete trial falls) over two
    parameters, in axis coordinates (log10 for log parameters, indices for categories)."""
    done = [r for r in rows if r.state == "COMPLETE" and px in r.params and py in r.params
            and r.value is not None and math.isfinite(r.value)]
    coords = []
    for p in (px, py):
        scale = param_scale(space, p)
        coords.append(axis_position([r.params[p] for r in done], scale, categories(rows, p, space)))
    values = np.array([r.value for r in done], dtype=float)
    edges = [_edges(c, bins) for c in coords]
    grid = np.full((len(edges[0]) - 1, len(edges[1]) - 1), np.nan)
    if not done:
        return edges[0], edges[1], grid
    ix = np.clip(np.searchsorted(edges[0], coords[0], side="right") - 1, 0, grid.shape[0] - 1)
    iy = np.clip(np.searchsorted(edges[1], coords[1], side="right") - 1, 0, grid.shape[1] - 1)
    sums, counts = np.zeros_like(grid), np.zeros_like(grid)
    np.add.at(sums, (ix, iy), values)
    np.add.at(counts, (ix, iy), 1)
    filled = counts > 0
    grid[filled] = sums[filled] / counts[filled]
    return edges[0], edges[1], grid


def _edges(coords: np.ndarray, bins: int) -> np.ndarray:
    finite = coords[np.isfinite(coords)]
    if finite.size == 0:
        return np.linspace(0.0, 1.0, bins + 1)
    lo, hi = float(finite.min()), float(finite.max())
    if hi - lo < 1e-12:
        lo, hi = lo - 0.5, hi + 0.5
    return np.linspace(lo, hi, bins + 1)


def parallel_lines(rows: Sequence[TrialRow], params: Sequence[str],
                   space: SearchSpace | None = None) -> tuple[np.ndarray, list[int], list[str]]:
    """Finished trials as lines over the axes ``params`` + value: (n_trials, n_axes) positions in
    [0, 1] per axis (log10 first for log parameters; NaN where a trial lacks the parameter),
    their trial numbers and states.  The value axis spans the complete trials' values; a pruned
    trial's last value below them sits at 0."""
    kept = [r for r in rows if r.state in ("COMPLETE", "PRUNED") and r.value is not None and math.isfinite(r.value)]
    columns = []
    for p in params:
        columns.append(axis_position([r.params.get(p) for r in kept], param_scale(space, p), categories(rows, p, space)))
    values = np.array([r.value for r in kept], dtype=float)
    columns.append(values)
    matrix = np.column_stack(columns) if kept else np.empty((0, len(params) + 1))
    complete = np.array([r.state == "COMPLETE" for r in kept], dtype=bool)
    for j in range(matrix.shape[1]):
        col = matrix[:, j]
        span = col[complete] if j == len(params) and complete.any() else col
        finite = span[np.isfinite(span)]
        if finite.size:
            lo, hi = finite.min(), finite.max()
            scaled = (col - lo) / (hi - lo) if hi > lo else np.where(np.isfinite(col), 0.5, np.nan)
            matrix[:, j] = np.clip(scaled, 0.0, 1.0) if j == len(params) else scaled
    return matrix, [r.number for r in kept], [r.state for r in kept]


def common_params(rows: Sequence[TrialRow], names: Sequence[str], share: float = 0.3) -> list[str]:
    """Of ``names``, those that at least ``share`` of the finished trials have (the deep layers'
    widths of a few trials would crowd a plot of every trial)."""
    finished = [r for r in rows if r.state in ("COMPLETE", "PRUNED")]
    if not finished:
        return list(names)
    return [n for n in names if sum(n in r.params for r in finished) >= share * len(finished)]


def pareto_front(points: Sequence[Sequence[float]], directions: Sequence[str]) -> list[int]:
    """Indices of the points no other point dominates (at least as good in every objective and
    better in one), in input order.  ``directions``: "maximize"/"minimize" per objective."""
    sign = np.array([-1.0 if d == "maximize" else 1.0 for d in directions])
    p = np.asarray(points, dtype=float).reshape(-1, len(directions)) * sign  # smaller is better
    front = []
    for i in range(len(p)):
        if not np.all(np.isfinite(p[i])):
            continue
        dominated = np.any(np.all(p <= p[i], axis=1) & np.any(p < p[i], axis=1))
        if not dominated:
            front.append(i)
    return front


# -- failures ------------------------------------------------------------------------------------

MOST = 0.5
MIN_TRIALS_FOR_NOTE = 4


def _reason(row: TrialRow) -> str | None:
    """A failed or diverged trial's reason with the numbers taken out (None for other trials)."""
    if row.state == "FAIL" and "interrupted" not in row.flags and "surplus" not in row.flags:
        text = row.message or "failed without a message"
    elif "diverged" in row.flags:
        text = row.message or "diverged"
    else:
        return None
    return re.sub(r"[-+]?\d[\d.eE+-]*", "#", text.split(". ")[0])


def failure_note(rows: Sequence[TrialRow]) -> str:
    """"7 of 10 trials failed: <reason>" when more than half of the ended trials failed or
    diverged for the same reason; "" otherwise."""
    ended = [r for r in rows if r.state in ("COMPLETE", "PRUNED", "FAIL")
             and "interrupted" not in r.flags and "surplus" not in r.flags]
    if len(ended) < MIN_TRIALS_FOR_NOTE:
        return ""
    reasons = Counter(filter(None, (_reason(r) for r in ended)))
    if not reasons:
        return ""
    reason, count = reasons.most_common(1)[0]
    if count <= MOST * len(ended):
        return ""
    example = next(r for r in ended if _reason(r) == reason)
    return (f"{count} of {len(ended)} trials ended the same way: {example.message or reason} "
            f"(e.g. trial {example.number}).")
