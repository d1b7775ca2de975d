"""Your own data from a CSV file: numeric features and a target column.

The first line is a header unless every field on it is a number (then columns are named
``column 1``, ``column 2``...).  The delimiter is whichever of ``,`` ``;`` or tab occurs most
on the first line.  Fields may be quoted with ``"``.

Reading has two paths.  A clean file goes through :func:`numpy.loadtxt` (C speed, one array
of the final size; the target column is read by a converter that records its distinct
strings, so text labels cost no second pass).  Anything unusual — a ragged row, text in a
feature, a missing value — falls back to a row-by-row reader that finds the first problem
and names the file, line and column, or drops rows with missing values when asked to.

A quoted field may not span lines: a quote left open would swallow the rest of the file, so
such a field is refused, naming the line where the quote opened.  Column names must be
distinct.  Line endings may be ``\n``, ``\r\n`` or ``\r`` alone (classic Mac exports).

Numbers must be finite and at most :data:`MAX_MAGNITUDE` in size (larger ones overflow when
squared for the standardization); anything else is refused, naming the line and column.

Missing values are empty fields and (in any case) ``NA``, ``N/A``, ``NaN``, ``null``,
``None`` and ``?``.

With ``task="auto"`` the target is a classification target when it holds text or integers
with at most :data:`MAX_AUTO_CLASSES` distinct values, and a regression target otherwise.
Class labels keep their type (``"setosa"``, ``3``, ``2.5``) so predictions show them.
"""

from __future__ import annotations

import csv
import logging
import math
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .csv_rows import (_ENCODING, MAX_MAGNITUDE, MISSING_MARKERS, _check_magnitude, _describe_missing,
                       _Layout, _open_text, _read_slowly, _TargetCodes, cell)
from .datasets import CLASSIFICATION, DATASETS, REGRESSION, Dataset, DatasetSpec, ParamSpec
from .split import DataError

log = logging.getLogger(__name__)

DELIMITERS = (",", ";", "\t")
MAX_AUTO_CLASSES = 20
MAX_LISTED_COLUMNS = 20  # error messages list at most this many column names
TASKS = ("auto", CLASSIFICATION, REGRESSION)


@dataclass(frozen=True)
class CsvTable:
    """A parsed CSV file.

    ``X`` has shape (n_rows, n_features), float64, read-only.  The target column, if one was
    asked for, is ``target_values[target_codes]``: ``target_codes`` has shape (n_rows,) and
    ``target_values`` holds each distinct raw string (stripped) once.
    """

    path: str
    columns: tuple[str, ...]
    X: np.ndarray
    feature_names: tuple[str, ...]
    target_name: str | None
    target_codes: np.ndarray | None
    target_values: tuple[str, ...]
    dropped: tuple[tuple[int, str], ...] = ()  # (data row, 0-based among all data rows; why) per dropped row

    @property
    def dropped_rows(self) -> int:
        return len(self.dropped)

    @property
    def n_rows(self) -> int:
        return int(self.X.shape[0])


# -- reading ----------------------------------------------------------------------------

def read_csv(path: str | os.PathLike, target: int | str | None = None, *, has_target: bool = True,
             drop_missing: bool = False) -> CsvTable:
    """Parse ``path`` into features and (when ``has_target``) the raw target column.

    ``target`` is a column name or a 0-based index (negative counts from the end); None
    (or an empty string) means the last column.  Raises :class:`DataError` naming the file,
    line and column.
    """
    path = Path(path)
    layout = _read_layout(path)
    m = len(layout.columns)
    t = resolve_target(path, layout.columns, target) if has_target else None
    if t is not None and m < 2:
        raise DataError(f"{path}: has a single column (no ',', ';' or tab on line {max(layout.skip_lines, 1)}); "
                        "it needs at least one feature column besides the target")
    feature_cols = [j for j in range(m) if j != t]
    parsed = _read_fast(path, layout, t, drop_missing)
    if parsed is None:
        parsed = _read_slowly(path, layout, t, feature_cols, drop_missing)
    X, codes, values, dropped = parsed
    if X.shape[0] == 0:
        if dropped:
            raise DataError(f"{path}: all {len(dropped)} data rows have missing values; nothing is left to use")
        raise DataError(f"{path}: has a header but no data rows" if layout.has_header else f"{path}: has no data rows")
    if dropped:
        log.info("%s: dropped %d row(s) with missing values", path, len(dropped))
    X.setflags(write=False)
    names = tuple(layout.columns[j] for j in feature_cols)
    return CsvTable(str(path), layout.columns, X, names, None if t is None else layout.columns[t],
                    codes, values, tuple(dropped))


def resolve_target(path: Path, columns: tuple[str, ...], target: int | str | None) -> int:
    """The 0-based index of the target column given as a name, an index or None (the last)."""
    m = len(columns)
    if target is None or (isinstance(target, str) and not target.strip()):
        return m - 1
    if isinstance(target, str) and target in columns:
        return columns.index(target)  # names are distinct (checked when the header is read)
    index = _as_index(target)
    if index is not None and -m <= index < m:
        return index % m
    listed = ", ".join(f"{j}: {cell(c)}" for j, c in enumerate(columns[:MAX_LISTED_COLUMNS]))
    if m > MAX_LISTED_COLUMNS:
        listed += f", ... ({m} columns)"
    what = f"index {index} is out of range" if index is not None else f"there is no column {cell(str(target))}"
    raise DataError(f"{path}: {what} for the target; the columns are {listed}")


def _as_index(target: Any) -> int | None:
    if isinstance(target, bool):
        return None
    if isinstance(target, int):
        return target
    if isinstance(target, str):
        try:
            return int(target.strip())
        except ValueError:
            return None
    return None


def _read_layout(path: Path) -> _Layout:
    """Find the delimiter, the header and where the data begin."""
    with _open_text(path) as fh:
        skip, line = 0, ""
        try:
            for line in fh:
                skip += 1
                if line.strip():
                    break
            else:
                raise DataError(f"{path}: the file is empty")
        except UnicodeDecodeError as exc:
            raise DataError(f"{path}: is not a UTF-8 text file (undecodable byte at offset {exc.start}); "
                            "save it as CSV (UTF-8)") from None
    delimiter = max(DELIMITERS, key=line.count)
    if not line.count(delimiter):
        delimiter = ","
    fields = [f.strip() for f in next(csv.reader([line], delimiter=delimiter))]
    if all(_is_number(f) for f in fields):  # no header: the first line is already data
        return _Layout(delimiter, skip - 1, tuple(f"column {j + 1}" for j in range(len(fields))), False)
    names = tuple(f or f"column {j + 1}" for j, f in enumerate(fields))
    _check_distinct(path, skip, names)
    return _Layout(delimiter, skip, names, True)


def _check_distinct(path: Path, line: int, names: tuple[str, ...]) -> None:
    """Refuse a header naming one column twice: lookups by name would find only the first."""
    seen: dict[str, int] = {}
    for j, name in enumerate(names):
        if name in seen:
            raise DataError(f"{path}, line {line}: the column name {cell(name)} appears twice (columns "
                            f"{seen[name] + 1} and {j + 1}); give every column its own name")
        seen[name] = j


def csv_columns(path: str | os.PathLike) -> tuple[str, ...]:
    """The column names of a CSV file (``column 1``... when it has no header)."""
    return _read_layout(Path(path)).columns


def is_number(text: str) -> bool:
    """True for text that reads as a number and is not a missing-value marker."""
    return _is_number(text.strip())


def _is_number(text: str) -> bool:
    if text.lower() in MISSING_MARKERS:
        return False
    try:
        float(text)
    except ValueError:
        return False
    return True


def _read_fast(path: Path, layout: _Layout, t: int | None, drop_missing: bool):
    """(X, codes, values, dropped) via np.loadtxt, or None when the file needs the careful reader."""
    m = len(layout.columns)
    target = _TargetCodes()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "input contained no data" is reported our way
            data = np.loadtxt(path, delimiter=layout.delimiter, skiprows=layout.skip_lines, comments=None,
                              quotechar='"', dtype=np.float64, ndmin=2, encoding=_ENCODING,
                              converters=None if t is None else {t: target})
    except (ValueError, IndexError):
        return None
    if data.size == 0:
        return np.empty((0, m - (t is not None))), None, (), ()
    if data.shape[1] != m:
        return None
    values = target.values()
    missing_codes = [c for c, v in enumerate(values) if v.lower() in MISSING_MARKERS]
    if t is not None:
        features_ok = _finite_except_column(data, t)
    else:
        features_ok = bool(np.isfinite(data).all())
    if features_ok and _too_large(data, t):
        return None  # the careful reader names the cell
    dropped: list[tuple[int, str]] = []
    if not features_ok or missing_codes:
        if not drop_missing:
            return None  # the careful reader names the first missing value
        keep = np.ones(len(data), dtype=bool)
        if not features_ok:
            if np.isinf(data).any():
                return None  # infinities are errors, not missing values
            feats = data if t is None else np.delete(data, t, axis=1)
            keep &= ~np.isnan(feats).any(axis=1)
        if missing_codes:
            keep &= ~np.isin(data[:, t], missing_codes)
        dropped = [(int(i), _first_missing(data[i], t, missing_codes, layout.columns))
                   for i in np.flatnonzero(~keep)]
        data = data[keep]
    if t is None:
        return data, None, (), dropped
    codes = data[:, t].astype(np.int64)
    _move_column_last(data, t)
    return data[:, :m - 1], codes, values, dropped


def _first_missing(row: np.ndarray, t: int | None, missing_codes: list[int], columns) -> str:
    """Which column of a row parsed by loadtxt holds the first missing value."""
    for j, value in enumerate(row):
        if (j == t and int(value) in missing_codes) or (j != t and math.isnan(value)):
            return _describe_missing("", j, columns)
    return "a missing value"


def _too_large(data: np.ndarray, t: int | None) -> bool:
    """Whether a feature value exceeds :data:`MAX_MAGNITUDE` (column ``t``, the target, aside)."""
    m = data.shape[1]
    spans = ((0, m),) if t is None else ((0, t), (t + 1, m))
    parts = [data[:, lo:hi] for lo, hi in spans if hi > lo and len(data)]
    return any(part.max() > MAX_MAGNITUDE or part.min() < -MAX_MAGNITUDE for part in parts)  # no temporaries


def _finite_except_column(data: np.ndarray, t: int) -> bool:
    """True when every value outside column ``t`` is finite; no full-size temporary."""
    m = data.shape[1]
    return bool(all(np.isfinite(data[:, lo:hi]).all() for lo, hi in ((0, t), (t + 1, m)) if hi > lo))


def _move_column_last(data: np.ndarray, t: int) -> None:
    """Shift columns t+1.. left by one in place, so ``data[:, :-1]`` is a view of the features."""
    for j in range(t, data.shape[1] - 1):
        data[:, j] = data[:, j + 1]


# -- the data set ------------------------------------------------------------------------

def load_csv(path: str | os.PathLike, target: int | str | None = None, drop_missing: bool = False,
             task: str = "auto") -> Dataset:
    """A :class:`Dataset` from a CSV file (see the module docstring for the rules)."""
    if task not in TASKS:
        raise DataError(f"csv: task {task!r} is not valid; choose one of {', '.join(TASKS)}")
    table = read_csv(path, target, drop_missing=drop_missing)
    numbers = _numeric_values(table.target_values)
    if task == "auto":
        task = CLASSIFICATION if numbers is None or _few_integers(numbers) else REGRESSION
    if task == REGRESSION:
        if numbers is None:
            bad = next(v for v in table.target_values if not _is_number(v))
            raise DataError(f"{table.path}, column {cell(table.target_name)}: {cell(bad)} is not a number; a "
                            "regression target must be numeric (use task 'classification' to predict labels)")
        _check_target_magnitudes(path, table, numbers)
        y = numbers[table.target_codes]
        labels: tuple = ()
    else:
        y, labels = _class_indices(table, numbers)
        if len(labels) < 2:
            raise DataError(f"{table.path}: the target column {cell(table.target_name)} has only one class "
                            f"({cell(str(labels[0]))}); a classifier needs at least two")
    y.setflags(write=False)
    return Dataset(table.path, table.X, y, task, labels, table.feature_names, table.target_name or "target")


def _check_target_magnitudes(path, table: CsvTable, numbers: np.ndarray) -> None:
    """Refuse a regression target that is not finite or too large, naming its line and column."""
    bad = ~np.isfinite(numbers) | (np.abs(numbers) > MAX_MAGNITUDE)
    if not bad.any():
        return
    text = table.target_values[int(np.flatnonzero(bad)[0])]
    line = _line_of_target(Path(path), text, table.target_name)
    where = f"{table.path}, line {line}" if line else table.path
    _check_magnitude(f"{where}, column {cell(table.target_name)} (the target)", text, float(text))


def _line_of_target(path: Path, text: str, target: str) -> int | None:
    """The line of the first row whose target cell reads ``text`` (an error path: reads the file again)."""
    layout = _read_layout(path)
    t = layout.columns.index(target)
    with _open_text(path) as fh:
        reader = csv.reader(fh, delimiter=layout.delimiter)
        for row in reader:
            if reader.line_num > layout.skip_lines and len(row) > t and row[t].strip() == text:
                return reader.line_num
    return None


def _numeric_values(values: tuple[str, ...]) -> np.ndarray | None:
    """The distinct target strings as float64, or None if any is not a number."""
    if not all(_is_number(v) for v in values):
        return None
    return np.array([float(v) for v in values], dtype=np.float64)


def _few_integers(numbers: np.ndarray) -> bool:
    return bool(np.all(numbers == np.round(numbers))) and len(np.unique(numbers)) <= MAX_AUTO_CLASSES


def _class_indices(table: CsvTable, numbers: np.ndarray | None) -> tuple[np.ndarray, tuple]:
    """Class indices (n,) and the sorted original labels (ints, floats or strings)."""
    if numbers is None:
        keys = np.array(table.target_values, dtype=str)
    else:
        keys = numbers  # "1" and "1.0" are one class
    labels, inverse = np.unique(keys, return_inverse=True)
    y = inverse.astype(np.int64)[table.target_codes]
    if numbers is not None and np.all(labels == np.round(labels)):
        return y, tuple(int(v) for v in labels)
    return y, tuple(labels.tolist())


# -- registry entry with a small cache ----------------------------------------------------
# The tuner and the compare view load the same file once per run; re-parsing a large CSV
# each time would dominate.  One entry, keyed on the file's identity and the options.

_cache: dict[tuple, Dataset] = {}


def _load_cached(params, rng) -> Dataset:
    path = params["path"]
    if not isinstance(path, (str, os.PathLike)) or not str(path).strip():
        raise DataError("csv: no file chosen; set data.params.path to a CSV file")
    path = Path(path)
    try:
        st = path.stat()
        key = (str(path.resolve()), st.st_mtime_ns, st.st_size, params["target"], params["drop_missing"],
               params["task"])
    except OSError:
        key = None  # let the reader produce its message
    if key is not None and key in _cache:
        return _cache[key]
    ds = load_csv(path, params["target"], bool(params["drop_missing"]), params["task"])
    if key is not None:
        _cache.clear()
        _cache[key] = ds
    return ds


DATASETS.register("csv", DatasetSpec(
    "csv",
    "Your own data from a CSV file: numeric feature columns and a target column (text labels, class "
    "numbers or a numeric value to regress).",
    "auto",
    _load_cached,
    (ParamSpec("path", "", help="The CSV file (a header line is expected)."),
     ParamSpec("target", None, help="Target column: a name or a 0-based index; empty means the last column."),
     ParamSpec("drop_missing", False, help="Drop rows with a missing value instead of stopping with an error."),
     ParamSpec("task", "auto", help="classification, regression, or auto: text or at most "
                                    f"{MAX_AUTO_CLASSES} distinct integers means classification.", choices=TASKS)),
    shape_hint="from the file",
))


def csv_params(path: str | os.PathLike, target: int | str | None = None, drop_missing: bool = False,
               task: str = "auto") -> dict[str, Any]:
    """``DataConfig.params`` for a CSV file; the path is stored as a string so configs stay JSON."""
    return {"path": str(path), "target": target, "drop_missing": bool(drop_missing), "task": task}
