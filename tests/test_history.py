"""One history CSV format for the command line and the window's export."""

from __future__ import annotations

import csv
import io
import math

import numpy as np

from nnstudio.data import load_split
from nnstudio.engine import Trainer
from nnstudio.history import History, history_csv
from nnstudio.presets import load_preset


def _records(preset: str):
    cfg = load_preset(preset).replace(epochs=5, seed=1)
    trainer = Trainer(cfg, load_split(cfg.data))
    return list(trainer.run()), [layer.name for layer in trainer.network.layers]


def test_the_command_line_and_the_window_write_the_same_text():
    records, names = _records("moons")
    window = History(names)
    window.append(records[:2])  # the window receives records in throttled batches
    window.append(records[2:])
    assert history_csv(records, names) == window.to_csv()


def test_columns_values_and_precision():
    records, names = _records("moons")
    rows = list(csv.DictReader(io.StringIO(history_csv(records, names))))
    assert list(rows[0]) == ["epoch", "train_loss", "val_loss", "train_accuracy", "val_accuracy", "learning_rate",
                             "elapsed", "is_best"] + [f"grad_norm_{n}" for n in names]
    for row, record in zip(rows, records, strict=True):
        assert int(row["epoch"]) == record.epoch and int(row["is_best"]) == int(record.is_best)
        assert row["val_loss"] == f"{record.val_loss:.9g}"
        assert float(row["train_loss"]) == np.float32(record.train_loss)  # float32 round-trips


def test_a_regression_runs_accuracy_is_empty():
    records, names = _records("diabetes")
    assert all(math.isnan(r.val_accuracy) for r in records)
    rows = list(csv.DictReader(io.StringIO(history_csv(records, names))))
    assert all(r["train_accuracy"] == "" and r["val_accuracy"] == "" and float(r["val_loss"]) > 0 for r in rows)
