"""``nnstudio predict MODEL.npz DATA.csv [--out FILE] [--target COL]``: predictions with the original labels.

Feature columns are matched to the model's by name when the file has all of them (in any
order), otherwise by position.  A column named like the model's target (or given with
``--target``) is left out of the features and used to report accuracy (or RMSE).
The output CSV has a ``prediction`` column and, for classifiers, one ``p(<label>)`` column
per class.  With ``--drop-missing`` it keeps one output row per input row, in order: a row
with a missing value gets empty prediction cells and a ``note`` column saying which value is
missing, so the output still lines up with the input.
"""

from __future__ import annotations

import argparse
import csv
import io
import logging
import sys

import numpy as np

from ..cli import EXIT_OK, command
from ..errors import UserError
from ..data.csv import CsvTable, csv_columns, is_number, read_csv
from ..files import atomic_write_text, load_model
from ..model import TrainedModel

log = logging.getLogger("nnstudio.predict")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", metavar="MODEL.npz", help="a model saved by nnstudio train")
    p.add_argument("data", metavar="DATA.csv", help="rows to predict, with the model's feature columns")
    p.add_argument("--out", metavar="FILE", help="write the predictions here (default: standard output)")
    p.add_argument("--target", metavar="COL", help="the column holding the true values, to score the predictions "
                                                   "(default: the model's target column, if present)")
    p.add_argument("--drop-missing", action="store_true", help="rows with missing values get an empty prediction and a note saying why "
                        "(one output row per input row) instead of stopping the command")


@command("predict", "predict a CSV file with a saved model (original labels, probabilities)", add_arguments)
def run(args: argparse.Namespace) -> int:
    model = load_model(args.model)
    table = _read(args, model)
    X = _features(table, model)
    text = predictions_csv(model, X, table.dropped if args.drop_missing else None)
    report = _score(model, table, X) if table.target_name is not None else ""
    if args.out:
        atomic_write_text(args.out, text)
        skipped = f" ({table.dropped_rows} rows with missing values left empty)" if table.dropped_rows else ""
        print(f"wrote {table.n_rows} predictions to {args.out}{skipped}")
        if report:
            print(report)
    else:
        sys.stdout.write(text)
        if report:
            print(report, file=sys.stderr)
    return EXIT_OK


def _read(args: argparse.Namespace, model: TrainedModel) -> CsvTable:
    if args.target is not None:
        return read_csv(args.data, args.target, drop_missing=args.drop_missing)
    header = csv_columns(args.data)
    has_target = model.target_name in header and model.target_name not in model.feature_names
    return read_csv(args.data, model.target_name if has_target else None, has_target=has_target,
                    drop_missing=args.drop_missing)


def _features(table: CsvTable, model: TrainedModel) -> np.ndarray:
    """The table's features in the model's column order."""
    names, wanted = table.feature_names, model.feature_names
    if names == wanted:
        return table.X
    if wanted and set(wanted) <= set(names):
        return table.X[:, [names.index(n) for n in wanted]]
    if len(names) == len(wanted):
        if any(not n.startswith("column ") for n in names):
            log.warning("%s: column names differ from the model's; using the columns by position", table.path)
        return table.X
    expected = ", ".join(wanted[:8]) + (", ..." if len(wanted) > 8 else "")
    raise UserError(f"{table.path}: has {len(names)} feature columns but the model expects {len(wanted)} "
                    f"({expected}); give those columns, plus optionally the target")


def predictions_csv(model: TrainedModel, X: np.ndarray, dropped: tuple[tuple[int, str], ...] | None = None) -> str:
    """The predictions as CSV text.  ``dropped`` (row, reason) pairs, when given, add a ``note``
    column and put an empty row at each dropped row's place, so output rows match input rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    predictions = model.predict(X)
    if not model.classification:
        header = ["prediction"]
        rows = [[format(v, ".8g")] for v in predictions]
    else:
        header = ["prediction", *(f"p({label})" for label in model.class_labels)]
        rows = [[label, *(format(p, ".6g") for p in row)]
                for label, row in zip(predictions.tolist(), model.predict_proba(X))]
    if dropped is not None:
        header.append("note")
        rows = _with_notes(rows, dropped, len(header) - 1)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def _with_notes(rows: list[list], dropped: tuple[tuple[int, str], ...], width: int) -> list[list]:
    """``rows`` with an empty note, and an empty row noting the reason at each dropped row's place."""
    out: list[list] = []
    kept = iter(rows)
    for index, reason in dropped:
        while len(out) < index:
            out.append([*next(kept), ""])
        out.append([""] * width + [f"no prediction: {reason}"])
    out.extend([*row, ""] for row in kept)
    return out


def _score(model: TrainedModel, table: CsvTable, X: np.ndarray) -> str:
    raw = np.asarray(table.target_values, dtype=object)[table.target_codes]
    where = f"{table.n_rows} rows (target column {table.target_name!r})"
    if not model.classification:
        if not all(is_number(v) for v in table.target_values):
            raise UserError(f"{table.path}: the target column {table.target_name!r} holds text; "
                            "a regression model needs numbers to score against")
        truth = np.array([float(v) for v in raw])
        rmse = float(np.sqrt(np.mean((model.predict(X) - truth) ** 2)))
        return f"RMSE {rmse:.4g} on {where}"
    truth = [_as_label(v, model.class_labels) for v in raw]
    unknown = sorted({str(v) for v, t in zip(raw, truth) if t is None})
    correct = np.array([t is not None and t == p for t, p in zip(truth, model.predict(X).tolist())])
    line = f"accuracy {correct.mean():.4f} on {where}"
    if unknown:
        line += f"; labels the model never saw count as wrong: {', '.join(unknown[:5])}"
    return line


def _as_label(text: str, labels: tuple):
    """``text`` as one of the model's labels (compared as numbers when the labels are numbers), or None."""
    if text in labels:
        return text
    if labels and not isinstance(labels[0], str) and is_number(text):
        value = float(text)
        for label in labels:
            if float(label) == value:
                return label
    return None
