"""How close is the engine to the NumPy floor, and how does it compare with its peers?

    .venv/bin/python benchmarks/bench_engine.py [--epochs 30] [--rounds 5] [--quick]

Workload (digits, float32): 64 - 64 relu, dropout 0.2 - 64 relu, dropout 0.2 - 10 softmax,
cross-entropy, SGD (lr 0.05), global-norm clipping at 5; batch 64 and full batch.  Every
implementation trains on the same standardized split:

* **engine**: :class:`~nnstudio.engine.Trainer` exactly as the window runs it (records with
  histograms at the window's cadence, the end-of-epoch evaluation of both splits that a network
  with dropout gets, gradient norms, early-stopping bookkeeping);
* **matmul**: the same matrix products and nothing else, into preallocated arrays: per step the
  three forward products, three weight-gradient and two input-gradient products; per epoch the
  evaluation's three products over the training and validation rows.  No NumPy engine can do
  this work in less time;
* **numpy**: the same training written out by hand in plain NumPy for this one network
  (``numpy_reference.py``): every array allocated once, the dropout mask carrying relu's
  derivative, no records.  The engine's time over it is what being general and what it records
  cost; its time over **matmul** is what NumPy itself costs beyond the products;
* **torch**: PyTorch eager on the CPU (when installed): ``nn.Sequential`` with ``Dropout``,
  ``cross_entropy``, ``clip_grad_norm_``, ``optim.SGD``, and the same end-of-epoch evaluation
  under ``no_grad``;
* **sklearn**: ``MLPClassifier.partial_fit`` (one epoch per call; SGD without momentum, no
  dropout, no clipping and no evaluation: it does less work than the others).

Each round runs ``--epochs`` epochs of every implementation, interleaved epoch by epoch in an
order that rotates each round, so that they share the machine's load alike.  Times are the CPU
time of this thread with one BLAS thread (torch: one intra-op thread), so that other processes'
load counts as little as possible.  A round's figure is the mean seconds per epoch; each ratio is
the median over rounds of that round's ratio.

The second table is the record's share of an epoch (histograms at the window's cadence,
early-stopping bookkeeping and the record itself; the evaluation is not part of it) over whole
runs of the shipped lengths: the workload above for 200 epochs (the digits preset's length) and
the moons preset (500 epochs), at batch 64 / 32 (moons' own) and at full batch.  The timing
wrappers' own cost (a few microseconds, measured at start) is taken off each record's time.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from nnstudio.config import DataConfig, ExperimentConfig, LayerConfig  # noqa: E402
from nnstudio.data import load_split  # noqa: E402
from nnstudio.engine import Trainer  # noqa: E402
from nnstudio.gui.train.worker import HISTOGRAM_CADENCE  # noqa: E402  (Qt-free constant of the window's worker)
from nnstudio.presets import load_preset  # noqa: E402

from numpy_reference import NumpyRun  # noqa: E402  (beside this file)

HIDDEN, DROPOUT, LR, CLIP = (64, 64), 0.2, 0.05, 5.0
TARGETS = {"matmul": 2.4, "torch batch": 0.18, "torch full": 0.45, "record digits": 0.05, "record moons": 0.10}
clock = time.thread_time


def engine_config(batch_size: int, epochs: int) -> ExperimentConfig:
    layers = tuple(LayerConfig(u, "relu", dropout_rate=DROPOUT) for u in HIDDEN)
    return ExperimentConfig(layers=layers, optimizer="sgd", learning_rate=LR, batch_size=batch_size,
                            clip_type="global_norm", grad_clip=CLIP, epochs=epochs, early_stopping=False,
                            dtype="float32", data=DataConfig(name="digits"))


class EngineRun:
    """The trainer as the window runs it, timed epoch by epoch, with the record's own time."""

    def __init__(self, config: ExperimentConfig, split):
        self.trainer = trainer = Trainer(config, split, histograms=HISTOGRAM_CADENCE)
        self.seconds, self.records = [], []
        evaluate, end_epoch = trainer._evaluate_splits, trainer._end_epoch
        spent = {"evaluation": 0.0}

        def timed_evaluate(*args):
            start = clock()
            result = evaluate(*args)
            spent["evaluation"] = clock() - start
            return result

        def timed_end_epoch(*args):
            start = clock()
            result = end_epoch(*args)
            self.records.append(clock() - start - spent["evaluation"])
            return result

        trainer._evaluate_splits, trainer._end_epoch = timed_evaluate, timed_end_epoch
        self._epochs = trainer.run()
        if EngineRun.timing_cost is None:
            EngineRun.timing_cost = _timing_cost()

    timing_cost: float | None = None  # seconds the timing wrappers add to one record's figure

    def step(self) -> None:
        start = clock()
        next(self._epochs)
        self.seconds.append(clock() - start)


def _timing_cost(calls: int = 2000) -> float:
    """What the wrappers above add to a record's time by themselves: an end-of-epoch wrapper
    around an evaluation wrapper around functions that do nothing, timed as a record is (median)."""
    spent = {"evaluation": 0.0}

    def evaluate():
        start = clock()
        spent["evaluation"] = clock() - start

    def end_epoch():
        start = clock()
        evaluate()
        return clock() - start - spent["evaluation"]

    return statistics.median(end_epoch() for _ in range(calls))


class MatmulRun:
    """Only the engine's matrix products, into preallocated arrays: the floor."""

    def __init__(self, config: ExperimentConfig, split):
        rng = np.random.default_rng(0)
        dt = np.float32
        self.X = np.asarray(split.X_train, dt)
        self.X_eval = np.concatenate([self.X, np.asarray(split.X_val, dt)])
        sizes = (self.X.shape[1],) + HIDDEN + (10,)
        self.W = [rng.normal(0, 0.1, (a, b)).astype(dt) for a, b in zip(sizes[:-1], sizes[1:])]
        n = len(self.X)
        self.batch = n if config.full_batch else config.batch_size
        self.seconds: list[float] = []
        self._buffers: dict[int, tuple] = {}

    def _scratch(self, rows: int):
        if rows not in self._buffers:
            dt = np.float32
            self._buffers[rows] = ([np.empty((rows, w.shape[1]), dt) for w in self.W],
                                   [np.empty((rows, w.shape[0]), dt) for w in self.W], [np.empty_like(w) for w in self.W])
        return self._buffers[rows]

    def _forward(self, x):
        acts, _, _ = self._scratch(len(x))
        for w, out in zip(self.W, acts):
            x = np.matmul(x, w, out=out)
        return acts

    def step(self) -> None:
        start = clock()
        X, batch = self.X, self.batch
        for lo in range(0, len(X), batch):
            x = X[lo:lo + batch]
            acts, deltas, grads = self._scratch(len(x))
            self._forward(x)
            inputs = [x] + acts[:-1]
            d = acts[-1]
            for i in range(len(self.W) - 1, -1, -1):
                np.matmul(inputs[i].T, d, out=grads[i])
                if i:
                    d = np.matmul(d, self.W[i].T, out=deltas[i][:, :])
        self._forward(self.X_eval)
        self.seconds.append(clock() - start)


def numpy_run(config: ExperimentConfig, split) -> NumpyRun:
    return NumpyRun(split, 0 if config.full_batch else config.batch_size, HIDDEN, DROPOUT, LR, CLIP)


class TorchRun:
    """PyTorch eager on the CPU: the same network, loss, clipping, optimizer and evaluation."""

    def __init__(self, config: ExperimentConfig, split):
        import torch
        from torch import nn

        self.torch = torch
        torch.manual_seed(0)
        layers, width = [], split.X_train.shape[1]
        for units in HIDDEN:
            layers += [nn.Linear(width, units), nn.ReLU(), nn.Dropout(DROPOUT)]
            width = units
        self.model = nn.Sequential(*layers, nn.Linear(width, 10))
        self.opt = torch.optim.SGD(self.model.parameters(), lr=LR)
        self.X = torch.tensor(split.X_train, dtype=torch.float32)
        self.y = torch.tensor(split.y_train, dtype=torch.long)
        self.X_eval = torch.cat([self.X, torch.tensor(split.X_val, dtype=torch.float32)])
        self.y_eval = torch.cat([self.y, torch.tensor(split.y_val, dtype=torch.long)])
        self.batch = len(self.X) if config.full_batch else config.batch_size
        self.seconds: list[float] = []

    def step(self) -> None:
        torch, F = self.torch, self.torch.nn.functional
        start = clock()
        self.model.train()
        order = torch.randperm(len(self.X))
        X, y = self.X[order], self.y[order]
        for lo in range(0, len(X), self.batch):
            loss = F.cross_entropy(self.model(X[lo:lo + self.batch]), y[lo:lo + self.batch])
            self.opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), CLIP)
            self.opt.step()
        self.model.eval()
        with torch.no_grad():
            out = self.model(self.X_eval)
            float(F.cross_entropy(out, self.y_eval)), float((out.argmax(1) == self.y_eval).float().mean())
        self.seconds.append(clock() - start)


class SklearnRun:
    """MLPClassifier, one partial_fit (one epoch) per step."""

    def __init__(self, config: ExperimentConfig, split):
        from sklearn.neural_network import MLPClassifier

        self.clf = MLPClassifier(HIDDEN, activation="relu", solver="sgd", momentum=0.0, nesterovs_momentum=False,
                                 learning_rate_init=LR, alpha=0.0, shuffle=True, random_state=0,
                                 batch_size=len(split.y_train) if config.full_batch else config.batch_size)
        self.X, self.y = np.asarray(split.X_train, np.float32), split.y_train
        self.classes = np.unique(split.y_train)
        self.seconds: list[float] = []

    def step(self) -> None:
        start = clock()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.clf.partial_fit(self.X, self.y, classes=self.classes)
        self.seconds.append(clock() - start)


def torch_available() -> bool:
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def run_round(kinds, config, split, epochs: int, order: int) -> dict:
    """Build one run of each kind and step them ``epochs`` times, interleaved; their runs by name."""
    runs = {name: kind(config, split) for name, kind in kinds.items()}
    names = list(runs)
    names = names[order % len(names):] + names[:order % len(names)]
    for _ in range(epochs):
        for name in names:
            runs[name].step()
    return runs


def _mean(values) -> float:
    return sum(values) / len(values)


def benchmark(split, epochs: int, rounds: int, quiet: bool) -> dict:
    kinds = {"engine": EngineRun, "matmul": MatmulRun, "numpy": numpy_run, "sklearn": SklearnRun}
    if torch_available():
        kinds["torch"] = TorchRun
    cases = {"batch 64": engine_config(64, epochs), "full batch": engine_config(0, epochs)}
    results = {label: {name: [] for name in kinds} for label in cases}
    for r in range(rounds):
        for label, config in cases.items():
            runs = run_round(kinds, config, split, epochs, r)
            for name, run in runs.items():
                results[label][name].append(_mean(run.seconds[1:] or run.seconds))  # the first epoch warms caches
            if not quiet:
                print(f"  round {r + 1}/{rounds}: {label} done", file=sys.stderr, flush=True)
    return results


def record_shares(rounds: int) -> dict:
    """The record's share of an epoch, per case: median over rounds of sum(record) / sum(epoch)."""
    digits = load_split(DataConfig(name="digits"))
    moons_config = load_preset("moons").replace(early_stopping=False)
    moons = load_split(moons_config.data)
    cases = {"digits, batch 64": (engine_config(64, 200), digits),
             "digits, full batch": (engine_config(0, 200), digits),
             "moons, batch 32": (moons_config, moons),
             "moons, full batch": (moons_config.replace(batch_size=0), moons)}
    shares = {label: [] for label in cases}
    for _ in range(rounds):
        for label, (config, split) in cases.items():
            # whole runs of the lengths the presets ship (digits 200 epochs, moons 500), so that
            # the cadence spreads its snapshots as the window's would
            run = EngineRun(config.replace(epochs=max(config.epochs, 200)), split)
            for _ in range(run.trainer.config.epochs):
                run.step()
            records = sum(run.records[1:]) - EngineRun.timing_cost * len(run.records[1:])
            shares[label].append(records / sum(run.seconds[1:]))  # the first epoch warms up
    return {label: statistics.median(values) for label, values in shares.items()}


def print_tables(results: dict, shares: dict) -> bool:
    ok = True
    peers = [name for name in ("matmul", "numpy", "torch", "sklearn") if name in next(iter(results.values()))]
    print(f"\nms per epoch (mean over an interleaved round; median over rounds), CPU time, 1 BLAS thread")
    header = f"{'case':<12} {'engine':>8} " + " ".join(f"{p:>8}" for p in peers) + "  " + \
             " ".join(f"{'eng/' + p:>12}" for p in peers) + "  targets"
    print(header)
    print("-" * len(header))
    for label, by_kind in results.items():
        med = {k: statistics.median(v) for k, v in by_kind.items()}
        ratios = {p: statistics.median(e / o for e, o in zip(by_kind["engine"], by_kind[p])) for p in peers}
        verdicts = [f"matmul <= {TARGETS['matmul']} {'ok' if ratios['matmul'] <= TARGETS['matmul'] else 'MISSED'}"]
        ok &= ratios["matmul"] <= TARGETS["matmul"]
        if "torch" in ratios:
            limit = TARGETS["torch full" if label == "full batch" else "torch batch"]
            verdicts.append(f"torch <= {limit} {'ok' if ratios['torch'] <= limit else 'MISSED'}")
            ok &= ratios["torch"] <= limit
        print(f"{label:<12} {med['engine'] * 1e3:8.2f} " + " ".join(f"{med[p] * 1e3:8.2f}" for p in peers) + "  "
              + " ".join(f"{ratios[p]:12.2f}" for p in peers) + "  " + "; ".join(verdicts))
    if "torch" not in peers:
        print("(PyTorch is not installed: no torch column)")
    for label, by_kind in results.items():
        floor = statistics.median(h / m for h, m in zip(by_kind["numpy"], by_kind["matmul"]))
        print(f"hand-written numpy / matmul, {label}: {floor:.2f} (what plain NumPy costs beyond the products)")
    print("\nThe record's share of an epoch (histograms at the window's cadence, early-stopping bookkeeping, the record)")
    for label, share in shares.items():
        limit = TARGETS["record moons" if label.startswith("moons") else "record digits"]
        ok &= share <= limit
        print(f"  {label:<20} {share:6.1%}   target <= {limit:.0%} {'ok' if share <= limit else 'MISSED'}")
    return ok


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=30, help="epochs per implementation per round (default 30)")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (default 5)")
    parser.add_argument("--quick", action="store_true", help="5 epochs, 1 round: a smoke run")
    args = parser.parse_args(argv)
    if args.quick:
        args.epochs, args.rounds = 5, 1
    from threadpoolctl import threadpool_limits

    if torch_available():
        import torch

        torch.set_num_threads(1)
    split = load_split(DataConfig(name="digits"))
    load_before = os.getloadavg()
    with threadpool_limits(1):
        print(f"digits {split.sizes()}; {args.epochs} epochs x {args.rounds} rounds; numpy {np.__version__}; "
              f"load average {load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f}")
        results = benchmark(split, args.epochs, args.rounds, quiet=False)
        shares = record_shares(args.rounds)
        ok = print_tables(results, shares)
    load_after = os.getloadavg()
    print(f"\nload average at the end: {load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
