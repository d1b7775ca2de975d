"""``nnstudio predict MODEL.npz DATA.csv [--out FILE] [--target COL]``: predictions with the original labels.

Feature columns are matched to the model's by name when the file has all of them (in any
order), otherwise by position.  A column named like the model's target (or given with
``--target``) is left out of the features and used to report accuracy (or RMSE).
The output CSV has a ``prediction`` column and, for classifiers, one ``p(<label>)`` column
per class.
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
    p.add_argument("--drop-missing", action="store_true", help="skip rows with missing values (they get no prediction) instead of failing")


@command("predict", "predict a CSV file with a saved model (original labels, probabilities)", add_arguments)
def run(args: argparse.Namespace) -> int:
    model = load_model(args.model)
    table = _read(args, model)
    X = _features(table, model)
    text = predictions_csv(model, X)
    report = _score(model, table, X) if table.target_name is not None else ""
    if args.out:
        atomic_write_text(args.out, text)
        print(f"wrote {table.n_rows} predictions to {args.out}")
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


def predictions_csv(model: TrainedModel, X: np.ndarray) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    predictions = model.predict(X)
    if not model.classification:
        writer.writerow(["prediction"])
        writer.writerows([format(v, ".8g")] for v in predictions)
        return buffer.getvalue()
    proba = model.predict_proba(X)
    writer.writerow(["prediction", *(f"p({label})" for label in model.class_labels)])
    for label, row in zip(predictions.tolist(), proba):
        writer.writerow([label, *(format(p, ".6g") for p in row)])
    return buffer.getvalue()


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
