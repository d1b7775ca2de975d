"""``nnstudio train``: train one experiment and keep everything about the run.

    nnstudio train CONFIG.json [--out DIR] [--epochs N] [--seed S] [--log-every N]
    nnstudio train --preset NAME ...

The run folder (default ``runs/<name>-<date>-<time>``) receives ``config.json`` (the config as
run), ``history.csv`` (one row per epoch), ``metrics.json`` and ``model.npz``.  They are written
into a new hidden folder beside it, which then replaces the run folder in one step
(:mod:`nnstudio.run_folder`): the folder always holds one whole run, the previous or the new.
A folder holding anything but run files is refused unless ``--force``.  Ctrl-C or SIGTERM stops
after the current mini-batch, writes all four files with the best parameters so far, and exits
with status 130; a second one aborts at once.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import re
import threading
from datetime import datetime
from pathlib import Path

from ..cli import EXIT_ERROR, EXIT_INTERRUPTED, EXIT_OK, command
from ..compute import blas_threads, blas_threads_for
from ..config import ExperimentConfig
from ..data import CLASSIFICATION, load_split
from ..engine import STOP_DIVERGED, STOP_USER, EpochRecord, Trainer
from ..files import atomic_write_text, save_experiment, save_model
from ..history import history_csv
from ..model import TrainedModel
from ..presets import preset_names
from . import experiment_of
from ..progress import ProgressBar, format_seconds
from ..run_folder import RunFolder, pause_point
from ..signals import stop_on_signals

log = logging.getLogger("nnstudio.train")

RUN_FILES = ("config.json", "history.csv", "metrics.json", "model.npz")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.epilog = ("Writes config.json, history.csv, metrics.json and model.npz to the run folder, replacing a previous "
                "run there only once the new one is complete. Ctrl-C or SIGTERM stops after the current "
                "mini-batch and still writes them, with the best model so far (exit status 130).")
    p.add_argument("config", nargs="?", metavar="CONFIG.json", help="experiment file to train")
    p.add_argument("--preset", metavar="NAME", help=f"train a built-in preset instead ({', '.join(preset_names())})")
    p.add_argument("--out", metavar="DIR", help="run folder (default: runs/NAME-DATE-TIME); a previous run in it "
                                                "is replaced once the new one is complete")
    p.add_argument("--force", action="store_true", help="replace --out even if it holds files that are not an "
                                                        "nnstudio run (they are deleted)")
    p.add_argument("--epochs", type=int, metavar="N", help="override the config's epochs")
    p.add_argument("--seed", type=int, metavar="S", help="override the seed of weights, shuffling and dropout")
    p.add_argument("--log-every", type=int, metavar="N", help="log a line every N epochs (default: the config's "
                                                             "log_every, 50)")


@command("train", "train an experiment file or a preset; save config, history, metrics and model", add_arguments)
def run(args: argparse.Namespace) -> int:
    cfg = _experiment(args)
    split = load_split(cfg.data)
    trainer = Trainer(cfg, split, histograms=False, diagnostics=False)  # validates the config against the data
    folder = RunFolder(_run_folder(args.out, cfg.name), RUN_FILES, force=args.force)
    out = folder.target
    log.info("%s: %s on %s (train %d, validation %d, test %d rows) -> %s", cfg.name, trainer.network.describe(),
             split.dataset.name, len(split.y_train), len(split.y_val), len(split.y_test), out)
    try:
        stop = threading.Event()
        with stop_on_signals(stop), blas_threads(blas_threads_for(trainer.largest_product)):
            history = _train(trainer, stop)
            _save(folder.path, trainer, history)
            folder.commit()
    except BaseException:
        folder.discard()
        raise
    summary = trainer.summary
    print(_result_line(trainer))
    print(f"wrote {', '.join(RUN_FILES)} to {out}")
    if summary.stop_reason == STOP_USER:
        log.warning("interrupted at epoch %d: the files above hold the best model so far (epoch %d); exit status %d",
                    summary.epochs_run, summary.best_epoch, EXIT_INTERRUPTED)
        return EXIT_INTERRUPTED
    if summary.stop_reason == STOP_DIVERGED:
        log.error(summary.message)
        return EXIT_ERROR
    return EXIT_OK


def _experiment(args: argparse.Namespace) -> ExperimentConfig:
    cfg = experiment_of(args)
    changes = {key: value for key, value in (("epochs", args.epochs), ("seed", args.seed),
                                             ("log_every", args.log_every)) if value is not None}
    if cfg.data.name == "csv" and isinstance(cfg.data.params.get("path"), str) and cfg.data.params["path"]:
        # an absolute path keeps the saved config.json usable from any folder
        changes["data"] = {"params": dict(cfg.data.params, path=str(Path(cfg.data.params["path"]).absolute()))}
    return cfg.replace(**changes).validate() if changes else cfg


def _run_folder(out: str | None, name: str) -> Path:
    if out is not None:
        return Path(out)
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-.") or "run"
    base = Path("runs") / f"{stem}-{datetime.now():%Y%m%d-%H%M%S}"
    path, n = base, 1
    while path.exists():  # two runs in the same second
        n += 1
        path = base.with_name(f"{base.name}-{n}")
    return path


def _save(folder: Path, trainer: Trainer, history: list[EpochRecord]) -> None:
    """The four run files, into the new (still hidden) run folder."""
    cfg = trainer.config
    metrics = _metrics(trainer)
    save_experiment(folder / "config.json", cfg)
    pause_point("config.json")
    atomic_write_text(folder / "history.csv", history_csv(history, [layer.name for layer in trainer.network.layers]))
    pause_point("history.csv")
    atomic_write_text(folder / "metrics.json", json.dumps(metrics, indent=2) + "\n")
    pause_point("metrics.json")
    model = TrainedModel.from_network(cfg, trainer.network, trainer.split, _model_info(cfg, metrics))
    save_model(folder / "model.npz", model)
    pause_point("model.npz")





def _train(trainer: Trainer, stop: threading.Event) -> list[EpochRecord]:
    """Run to the end, with a progress bar and a log line every ``log_every`` epochs."""
    cfg = trainer.config
    bar = ProgressBar(cfg.epochs, label=cfg.name)
    history: list[EpochRecord] = []
    for record in trainer.run(stop=stop.is_set):
        history.append(record)
        logged = record.epoch % cfg.log_every == 0 or record.epoch == 1
        if logged:
            _log_above(bar, epoch_line(record, cfg.epochs))
        if record.epoch < cfg.epochs:  # the last line is the one close() writes
            bar.update(record.epoch, f"val_loss {record.val_loss:.4f}", force=logged and bar.tty)
    if stop.is_set():
        _log_above(bar, f"stopped at epoch {trainer.epoch}; saving the best model so far")
    bar.close(trainer.summary.message, done=trainer.summary.epochs_run)
    return history


def _log_above(bar: ProgressBar, message: str) -> None:
    """Log a line without it landing in the middle of a terminal progress bar."""
    if bar.tty:
        bar.stream.write("\r\x1b[2K")
    log.info(message)


def epoch_line(record: EpochRecord, epochs: int) -> str:
    """``epoch 50/200: train_loss 0.1234, val_loss 0.1456, val_accuracy 0.9630, lr 0.001``"""
    parts = [f"train_loss {record.train_loss:.4f}", f"val_loss {record.val_loss:.4f}"]
    if not math.isnan(record.val_accuracy):
        parts.append(f"val_accuracy {record.val_accuracy:.4f}")
    parts.append(f"lr {record.learning_rate:.3g}")
    return f"epoch {record.epoch}/{epochs}: " + ", ".join(parts)


def _json_number(value: float) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def _metrics(trainer: Trainer) -> dict:
    s, split = trainer.summary, trainer.split
    metrics: dict = {}
    if split.task == CLASSIFICATION:
        metrics["test_accuracy"] = _json_number(s.test_accuracy)
    else:
        metrics["test_rmse"] = _json_number(s.test_rmse)
    metrics.update(
        test_loss=_json_number(s.test_loss), best_val_loss=_json_number(s.best_val_loss), best_epoch=s.best_epoch,
        epochs_run=s.epochs_run, stop_reason=s.stop_reason, seconds=round(s.seconds, 3),
        restored_best=s.restored_best, message=s.message, task=split.task, data=trainer.config.data.name,
        sizes=split.sizes(), n_params=trainer.network.n_params)
    return metrics


def _model_info(cfg: ExperimentConfig, metrics: dict) -> dict:
    return {"trained": datetime.now().isoformat(timespec="seconds"), "metrics": metrics, "name": cfg.name}


def _result_line(trainer: Trainer) -> str:
    s = trainer.summary
    score = (f"test accuracy {s.test_accuracy:.4f}" if trainer.split.task == CLASSIFICATION
             else f"test RMSE {s.test_rmse:.4g}")
    return (f"{score}, test loss {s.test_loss:.4f} (best epoch {s.best_epoch} of {s.epochs_run}, "
            f"{s.stop_reason}, {format_seconds(s.seconds)})")
