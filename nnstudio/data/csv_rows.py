"""The careful, row-by-row CSV reader and what it shares with the fast one.

``_read_slowly`` reads a file field by field: it names the file, line and column of the first
problem (a ragged row, text in a feature, a number that is not finite or too large, a quote left
open), or drops rows with missing values when asked to, noting which value was missing.
"""

from __future__ import annotations

import csv
import math
import operator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import unreadable
from ..json_input import shown
from .split import DataError

MISSING_MARKERS = frozenset({"", "na", "n/a", "nan", "null", "none", "?"})


MAX_MAGNITUDE = 1e100  # |x| beyond this overflows when squared (x² > 1e200 summed over rows) or is no measurement
CELL_CHARS = 40  # a message shows at most this much of a cell or column name
_ENCODING = "utf-8-sig"  # plain UTF-8, with or without the byte-order mark spreadsheets add


@dataclass(frozen=True)
class _Layout:
    """Where the data are: delimiter, lines before the first data row, column names."""

    delimiter: str
    skip_lines: int
    columns: tuple[str, ...]
    has_header: bool


def _open_text(path: Path):
    try:
        return open(path, encoding=_ENCODING, newline="")
    except OSError as exc:
        raise DataError(unreadable(path, exc, "; choose a CSV file")) from None


def cell(text: str) -> str:
    """A cell or column name for a message: quoted, cut to :data:`CELL_CHARS` characters."""
    return shown(text, CELL_CHARS)


class _TargetCodes:
    """A loadtxt converter: each distinct target string gets a code, in order of appearance."""

    def __init__(self):
        self.codes: dict[str, int] = {}

    def __call__(self, text: str) -> float:
        if "\n" in text or "\r" in text:
            raise ValueError("a quoted field spans lines")  # the careful reader names where it opened
        text = text.strip()
        code = self.codes.get(text)
        if code is None:
            code = self.codes[text] = len(self.codes)
        return code

    def values(self) -> tuple[str, ...]:
        return tuple(self.codes)


def _count_lines(path: Path) -> int:
    """Lines in the file, ended by ``\\n``, ``\\r\\n`` or a lone ``\\r``; a last line without an end counts."""
    count, last = 0, b"\n"
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            count += chunk.count(b"\n") + chunk.count(b"\r") - chunk.count(b"\r\n")
            if last == b"\r" and chunk[:1] == b"\n":
                count -= 1  # a \r\n split between two chunks
            last = chunk[-1:]
    return count + (last not in (b"\n", b"\r"))


def _read_slowly(path: Path, layout: _Layout, t: int | None, feature_cols: list[int], drop_missing: bool):
    """Row-by-row reading that names the first problem (file, line, column) or drops missing rows."""
    X = np.empty((max(_count_lines(path) - layout.skip_lines, 0), len(feature_cols)))
    row_parser = _RowParser(path, layout, feature_cols)
    target = _TargetCodes()
    codes: list[int] = []
    n = 0
    dropped: list[tuple[int, str]] = []
    with _open_text(path) as fh:
        reader = csv.reader(fh, delimiter=layout.delimiter)
        try:
            for _ in range(layout.skip_lines):
                next(reader)
            end = reader.line_num
            for row in reader:
                start, end = end + 1, reader.line_num
                if end > start:
                    _refuse_open_quote(path, row, start, end, layout.columns)
                if not row or (len(row) == 1 and not row[0].strip()):
                    continue  # blank line
                missing = row_parser.fill(X, n, row, reader.line_num)
                if not missing and t is not None and row[t].strip().lower() in MISSING_MARKERS:
                    missing = _describe_missing(row[t], t, layout.columns)
                if missing:
                    if not drop_missing:
                        raise DataError(f"{path}, line {reader.line_num}: {missing}; fill it in or drop rows "
                                        "with missing values (drop_missing, --drop-missing)")
                    dropped.append((n + len(dropped), missing))
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


def _refuse_open_quote(path: Path, row: list[str], start: int, end: int, columns) -> None:
    """A row read from lines start..end holds a field with a line break: an unclosed quote, most likely."""
    j = next((j for j, f in enumerate(row) if "\n" in f or "\r" in f), None)
    if j is None:
        return
    name = f"column {cell(columns[j])} (column {j + 1})" if j < len(columns) else f"field {j + 1}"
    raise DataError(f"{path}, line {start}, {name}: a quote opened here is not closed on that line (the field "
                    f"runs on to line {end}); close the quote or remove it — fields may not span lines")


def _describe_missing(text: str, j: int, columns) -> str:
    value = f" ({cell(text.strip())})" if text.strip() else ""
    return f"column {cell(columns[j])} (column {j + 1}) has a missing value{value}"


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
            if sum(map(abs, values)) <= MAX_MAGNITUDE:
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
            where = f"{self.path}, line {line}, column {cell(columns[j])} (column {j + 1})"
            try:
                value = float(text)
            except ValueError:
                raise DataError(f"{where}: {cell(text)} is not a number; feature columns must be numeric") from None
            _check_magnitude(where, text, value)
            X[i, k] = value
        return ""


def _check_magnitude(where: str, text: str, value: float) -> None:
    if not math.isfinite(value):
        raise DataError(f"{where}: {cell(text)} is not a finite number")
    if abs(value) > MAX_MAGNITUDE:
        raise DataError(f"{where}: {cell(text)} is too large (the limit is ±{MAX_MAGNITUDE:g}: larger values "
                        "overflow when the column is standardized); rescale the column")
