"""How the engine scales with width, depth and samples, next to PyTorch eager on the CPU.

    .venv/bin/python benchmarks/bench_scaling.py [--epochs 3] [--rounds 2] [--markdown]

Synthetic data (64 features, 10 Gaussian classes; 70% of the rows train), relu hidden layers,
softmax + cross-entropy, Adam (lr 1e-3), batch 64, float32.  The engine runs
:class:`~nnstudio.engine.Trainer` as ``nnstudio train`` does (no histograms; an evaluation of
the validation split after each epoch); PyTorch (``torch.set_num_threads(1)``) runs the same
network, loss and optimizer with the same evaluation.  Both use one BLAS thread; times are CPU
time of this thread, in ms per epoch, the median over ``--rounds`` rounds of the mean over
``--epochs`` epochs after one warm-up epoch, the two interleaved epoch by epoch.

Rows: widths 64-1024 at depth 2 (1,400 rows), depths 1-10 at width 128 (1,400 rows), and
1,400-100,000 rows at width 128, depth 2.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from nnstudio.config import ExperimentConfig, LayerConfig  # noqa: E402
from nnstudio.data.datasets import CLASSIFICATION, Dataset  # noqa: E402
from nnstudio.data.split import split_dataset  # noqa: E402
from nnstudio.engine import Trainer  # noqa: E402

FEATURES, CLASSES, BATCH, LR = 64, 10, 64, 1e-3
clock = time.thread_time


def synthetic_split(rows: int):
    rng = np.random.default_rng(rows)
    centres = rng.normal(0, 1.5, (CLASSES, FEATURES))
    y = rng.integers(0, CLASSES, rows)
    X = centres[y] + rng.normal(0, 1.0, (rows, FEATURES))
    ds = Dataset("synthetic", X, y, CLASSIFICATION, tuple(range(CLASSES)), tuple(f"x{i}" for i in range(FEATURES)))
    return split_dataset(ds, 0.15, 0.15, seed=0)


class Engine:
    def __init__(self, split, width, depth, epochs):
        cfg = ExperimentConfig(layers=tuple(LayerConfig(width, "relu") for _ in range(depth)), optimizer="adam",
                               learning_rate=LR, batch_size=BATCH, epochs=epochs + 1, early_stopping=False)
        self._run = Trainer(cfg, split, histograms=False).run()

    def epoch(self):
        next(self._run)


class Torch:
    def __init__(self, split, width, depth, epochs):
        import torch
        from torch import nn

        self.torch = torch
        torch.manual_seed(0)
        layers, fan_in = [], FEATURES
        for _ in range(depth):
            layers += [nn.Linear(fan_in, width), nn.ReLU()]
            fan_in = width
        self.model = nn.Sequential(*layers, nn.Linear(fan_in, CLASSES))
        self.opt = torch.optim.Adam(self.model.parameters(), lr=LR)
        self.X = torch.tensor(split.X_train, dtype=torch.float32)
        self.y = torch.tensor(split.y_train, dtype=torch.long)
        self.Xv = torch.tensor(split.X_val, dtype=torch.float32)
        self.yv = torch.tensor(split.y_val, dtype=torch.long)

    def epoch(self):
        torch, F = self.torch, self.torch.nn.functional
        order = torch.randperm(len(self.X))
        X, y = self.X[order], self.y[order]
        for lo in range(0, len(X), BATCH):
            loss = F.cross_entropy(self.model(X[lo:lo + BATCH]), y[lo:lo + BATCH])
            self.opt.zero_grad(set_to_none=True)
            loss.backward()
            self.opt.step()
        with torch.no_grad():
            out = self.model(self.Xv)
            float(F.cross_entropy(out, self.yv)), float((out.argmax(1) == self.yv).float().mean())


def measure(split, width, depth, epochs, rounds, kinds):
    """Median over rounds of the mean ms per epoch, per kind."""
    per_kind = {name: [] for name in kinds}
    for r in range(rounds):
        runs = {name: kind(split, width, depth, epochs) for name, kind in kinds.items()}
        names = list(runs)[r % 2:] + list(runs)[:r % 2]
        seconds = {name: [] for name in runs}
        for e in range(epochs + 1):
            for name in names:
                start = clock()
                runs[name].epoch()
                if e:  # the first epoch warms up
                    seconds[name].append(clock() - start)
        for name in runs:
            per_kind[name].append(1e3 * sum(seconds[name]) / epochs)
    return {name: statistics.median(v) for name, v in per_kind.items()}


def rows_to_run():
    for width in (64, 128, 256, 512, 1024):
        yield "width", width, 2, 2000
    for depth in (1, 2, 4, 6, 10):
        yield "depth", 128, depth, 2000
    for samples in (2000, 14_300, 143_000):
        yield "samples", 128, 2, samples


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table (for the README)")
    args = parser.parse_args(argv)
    from threadpoolctl import threadpool_limits

    kinds = {"engine": Engine}
    try:
        import torch

        torch.set_num_threads(1)
        kinds["torch"] = Torch
    except ImportError:
        print("(PyTorch is not installed: engine only)")
    splits = {}
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    sep = "|" if args.markdown else " "
    header = ["varied", "width", "depth", "train rows", "engine ms/epoch"] + (
        ["torch ms/epoch", "engine/torch"] if "torch" in kinds else [])
    print(sep.join(f" {h} " for h in header) if args.markdown else "  ".join(f"{h:>15}" for h in header))
    if args.markdown:
        print("|".join(" --- " for _ in header))
    with threadpool_limits(1):
        for varied, width, depth, samples in rows_to_run():
            split = splits.setdefault(samples, synthetic_split(samples))
            ms = measure(split, width, depth, args.epochs, args.rounds, kinds)
            cells = [varied, str(width), str(depth), f"{len(split.y_train):,}", f"{ms['engine']:.1f}"]
            if "torch" in ms:
                cells += [f"{ms['torch']:.1f}", f"{ms['engine'] / ms['torch']:.2f}"]
            print(sep.join(f" {c} " for c in cells) if args.markdown else "  ".join(f"{c:>15}" for c in cells),
                  flush=True)
    print(f"load average at the end {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
