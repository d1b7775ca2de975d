"""Your own data from a CSV file: numeric features and a target column.

The first line is a header unless every field on it is a number (then columns are named
``column 1``, ``column 2``...).  The delimiter is whichever of ``,`` ``;`` or tab occurs most
on the first line.  Fields may be quoted with ``"``.

Reading has two paths.  A clean file goes through :func:`numpy.loadtxt` (C speed, one array
of the final size; the target column is read by a converter that records its distinct
strings, so text labels cost no second pass).  Anything unusual — a ragged row, text in a
feature, a missing value — falls back to a row-by-row reader that finds the first problem
and names the file, line and column, or drops rows with missing values when asked to.

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
import operator
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import unreadable
from .datasets import CLASSIFICATION, DATASETS, REGRESSION, Dataset, DatasetSpec, ParamSpec
from .split import DataError

log = logging.getLogger(__name__)

MISSING_MARKERS = frozenset({"", "na", "n/a", "nan", "null", "none", "?"})
DELIMITERS = (",", ";", "\t")
MAX_AUTO_CLASSES = 20
MAX_LISTED_COLUMNS = 20  # error messages list at most this many column names
TASKS = ("auto", CLASSIFICATION, REGRESSION)
_ENCODING = "utf-8-sig"  # plain UTF-8, with or without the byte-order mark spreadsheets add


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
    dropped_rows: int = 0

    @property
    def n_rows(self) -> int:
        return int(self.X.shape[0])


@dataclass(frozen=True)
class _Layout:
    """Where the data are: delimiter, lines before the first data row, column names."""

    delimiter: str
    skip_lines: int
    columns: tuple[str, ...]
    has_header: bool


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
        raise DataError(f"{path}: has only the column {layout.columns[0]!r}; "
                        "it needs at least one feature column besides the target")
    feature_cols = [j for j in range(m) if j != t]
    parsed = _read_fast(path, layout, t, drop_missing)
    if parsed is None:
        parsed = _read_slowly(path, layout, t, feature_cols, drop_missing)
    X, codes, values, dropped = parsed
    if X.shape[0] == 0:
        if dropped:
            raise DataError(f"{path}: all {dropped} data rows have missing values; nothing is left to train on")
        raise DataError(f"{path}: has a header but no data rows" if layout.has_header else f"{path}: has no data rows")
    if dropped:
        log.info("%s: dropped %d row(s) with missing values", path, dropped)
    X.setflags(write=False)
    names = tuple(layout.columns[j] for j in feature_cols)
    return CsvTable(str(path), layout.columns, X, names, None if t is None else layout.columns[t],
                    codes, values, dropped)


def resolve_target(path: Path, columns: tuple[str, ...], target: int | str | None) -> int:
    """The 0-based index of the target column given as a name, an index or None (the last)."""
    m = len(columns)
    if target is None or (isinstance(target, str) and not target.strip()):
        return m - 1
    if isinstance(target, str) and target in columns:
        if columns.count(target) > 1:
            raise DataError(f"{path}: the column name {target!r} appears {columns.count(target)} times; "
                            "give the target as a 0-based index instead")
        return columns.index(target)
    index = _as_index(target)
    if index is not None and -m <= index < m:
        return index % m
    shown = ", ".join(f"{j}: {c!r}" for j, c in enumerate(columns[:MAX_LISTED_COLUMNS]))
    if m > MAX_LISTED_COLUMNS:
        shown += f", ... ({m} columns)"
    what = f"index {index} is out of range" if index is not None else f"there is no column {target!r}"
    raise DataError(f"{path}: {what} for the target; the columns are {shown}")


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


def _open_text(path: Path):
    try:
        return open(path, encoding=_ENCODING, newline="")
    except OSError as exc:
        raise DataError(unreadable(path, exc, "; choose a CSV file")) from None


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
                raise DataError(f"{path}: is empty")
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
    return _Layout(delimiter, skip, names, True)


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


class _TargetCodes:
    """A loadtxt converter: each distinct target string gets a code, in order of appearance."""

    def __init__(self):
        self.codes: dict[str, int] = {}

    def __call__(self, text: str) -> float:
        text = text.strip()
        code = self.codes.get(text)
        if code is None:
            code = self.codes[text] = len(self.codes)
        return code

    def values(self) -> tuple[str, ...]:
        return tuple(self.codes)


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
        return np.empty((0, m - (t is not None))), None, (), 0
    if data.shape[1] != m:
        return None
    values = target.values()
    missing_codes = [c for c, v in enumerate(values) if v.lower() in MISSING_MARKERS]
    if t is not None:
        features_ok = _finite_except_column(data, t)
    else:
        features_ok = bool(np.isfinite(data).all())
    dropped = 0
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
        dropped = int(len(keep) - keep.sum())
        data = data[keep]
    if t is None:
        return data, None, (), dropped
    codes = data[:, t].astype(np.int64)
    _move_column_last(data, t)
    return data[:, :m - 1], codes, values, dropped


def _finite_except_column(data: np.ndarray, t: int) -> bool:
    """True when every value outside column ``t`` is finite; no full-size temporary."""
    m = data.shape[1]
    return bool(all(np.isfinite(data[:, lo:hi]).all() for lo, hi in ((0, t), (t + 1, m)) if hi > lo))


def _move_column_last(data: np.ndarray, t: int) -> None:
    """Shift columns t+1.. left by one in place, so ``data[:, :-1]`` is a view of the features."""
    for j in range(t, data.shape[1] - 1):
        data[:, j] = data[:, j + 1]


def _count_lines(path: Path) -> int:
    count, last = 0, b"\n"
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            count += chunk.count(b"\n")
            last = chunk[-1:]
    return count + (last != b"\n")


def _read_slowly(path: Path, layout: _Layout, t: int | None, feature_cols: list[int], drop_missing: bool):
    """Row-by-row reading that names the first problem (file, line, column) or drops missing rows."""
    X = np.empty((max(_count_lines(path) - layout.skip_lines, 0), len(feature_cols)))
    row_parser = _RowParser(path, layout, feature_cols)
    target = _TargetCodes()
    codes: list[int] = []
    n = dropped = 0
    with _open_text(path) as fh:
        reader = csv.reader(fh, delimiter=layout.delimiter)
        try:
            for _ in range(layout.skip_lines):
                next(reader)
            for row in reader:
                if not row or (len(row) == 1 and not row[0].strip()):
                    continue  # blank line
                missing = row_parser.fill(X, n, row, reader.line_num)
                if not missing and t is not None and row[t].strip().lower() in MISSING_MARKERS:
                    missing = _describe_missing(row[t], t, layout.columns)
                if missing:
                    if not drop_missing:
                        raise DataError(f"{path}, line {reader.line_num}: {missing}; fill it in or drop rows "
                                        "with missing values (drop_missing, --drop-missing)")
                    dropped += 1
                    continue
                if t is not None:
                    codes.append(int(target(row[t])))
                n += 1
        except UnicodeDecodeError as exc:
            raise DataError(f"{path}: is not a UTF-8 text file (undecodable byte at offset {exc.start}); "
                            "save it as CSV (UTF-8)") from None
        except csv.Error as exc:
            raise DataError(f"{path}, line {reader.line_num}: cannot be parsed as CSV ({exc})") from None
    X = X[:n]
    if t is None:
        return X, None, (), dropped
    return X, np.asarray(codes, dtype=np.int64), target.values(), dropped


def _describe_missing(text: str, j: int, columns) -> str:
    shown = f" ({text.strip()!r})" if text.strip() else ""
    return f"column {columns[j]!r} (column {j + 1}) has a missing value{shown}"


class _RowParser:
    """Writes the feature fields of one CSV row into a row of X, checking each field."""

    def __init__(self, path: Path, layout: _Layout, feature_cols: list[int]):
        self.path, self.layout, self.cols = path, layout, feature_cols
        getter = operator.itemgetter(*feature_cols) if feature_cols else (lambda row: ())
        self.get = getter if len(feature_cols) != 1 else (lambda row: (row[feature_cols[0]],))

    def fill(self, X: np.ndarray, i: int, row: list[str], line: int) -> str:
        """Write row ``i`` of X; return a description of the row's first missing value ('' if none).

        Raises DataError for a ragged row or a field that is not a finite number.
        """
        m = len(self.layout.columns)
        if len(row) != m:
            first = "header" if self.layout.has_header else "first line"
            raise DataError(f"{self.path}, line {line}: has {len(row)} fields but the {first} has {m}; "
                            "every row needs one value per column")
        try:  # the common case in one step; the field-by-field pass below explains failures
            values = list(map(float, self.get(row)))
            if math.isfinite(sum(values)):
                X[i] = values
                return ""
        except ValueError:
            pass
        return self._fill_checked(X, i, row, line)

    def _fill_checked(self, X: np.ndarray, i: int, row: list[str], line: int) -> str:
        columns = self.layout.columns
        for k, j in enumerate(self.cols):
            text = row[j].strip()
            if text.lower() in MISSING_MARKERS:
                return _describe_missing(row[j], j, columns)
            where = f"{self.path}, line {line}, column {columns[j]!r} (column {j + 1})"
            try:
                value = float(text)
            except ValueError:
                raise DataError(f"{where}: {text!r} is not a number; feature columns must be numeric") from None
            if not math.isfinite(value):
                raise DataError(f"{where}: {text!r} is not a finite number")
            X[i, k] = value
        return ""


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
            raise DataError(f"{table.path}, column {table.target_name!r}: {bad!r} is not a number; a regression "
                            "target must be numeric (use task 'classification' to predict labels)")
        y = numbers[table.target_codes]
        labels: tuple = ()
    else:
        y, labels = _class_indices(table, numbers)
        if len(labels) < 2:
            raise DataError(f"{table.path}: the target column {table.target_name!r} has only one class "
                            f"({labels[0]!r}); a classifier needs at least two")
    y.setflags(write=False)
    return Dataset(table.path, table.X, y, task, labels, table.feature_names, table.target_name or "target")


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
