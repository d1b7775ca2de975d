"""What the per-epoch health measures cost: training with and without them, interleaved.

Also times the monitor's own calls inside one training run: the share of training time they
take.  All times are the thread's CPU time, so that waiting for a core on a shared machine does
not count.

    python benchmarks/bench_diagnostics.py [--rounds 10] [--epochs 5] [--preset digits] [--batch 64]

Each round trains the same config (same seed) once with ``Trainer(diagnostics=True)`` and once
with ``diagnostics=False``, in alternating order, so that machine load hits both alike.  Prints
the median of the per-round time ratios (with / without) and its range; the target is ≤ 1.05.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from nnstudio.data import load_split
from nnstudio.engine import Trainer
from nnstudio.presets import load_preset

# CPU time of this thread (BLAS is limited to this one thread below): time spent waiting for a
# core on a loaded machine is not counted, on either side of a ratio
CLOCK = time.thread_time


def train_seconds(config, split, diagnostics: bool) -> float:
    trainer = Trainer(config, split, histograms=False, diagnostics=diagnostics)
    start = CLOCK()
    for _ in trainer.run():
        pass
    return CLOCK() - start


def measured_share(config, split, repeats: int = 3) -> float:
    """The share of training time spent inside the health monitor, timed call by call."""
    spent = [0.0]
    total = 0.0
    for _ in range(repeats):
        trainer = Trainer(config, split, histograms=False, diagnostics=True)
        monitor = trainer.monitor
        for name in ("before_step", "after_step", "end_epoch"):
            method = getattr(monitor, name)

            def timed(*args, _method=method):
                t0 = CLOCK()
                try:
                    return _method(*args)
                finally:
                    spent[0] += CLOCK() - t0
            setattr(monitor, name, timed)
        total += train_seconds_of(trainer)
    return spent[0] / total


def train_seconds_of(trainer) -> float:
    start = CLOCK()
    for _ in trainer.run():
        pass
    return CLOCK() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--preset", default="digits")
    parser.add_argument("--batch", type=int, default=64)
    args = parser.parse_args()
    config = load_preset(args.preset).replace(epochs=args.epochs, batch_size=args.batch, early_stopping=False)
    split = load_split(config.data)
    try:  # as in the worker processes: with shared cores, extra BLAS threads only fight
        from threadpoolctl import threadpool_limits
        threadpool_limits(limits=1, user_api="blas")
    except ImportError:
        pass
    train_seconds(config, split, True)  # warm-up: workspaces, BLAS, caches
    ratios, on_times, off_times = [], [], []
    for i in range(args.rounds):
        order = (True, False) if i % 2 == 0 else (False, True)
        times = {flag: train_seconds(config, split, flag) for flag in order}
        on_times.append(times[True])
        off_times.append(times[False])
        ratios.append(times[True] / times[False])
    per_epoch = statistics.median(off_times) / args.epochs
    print(f"{args.preset}, batch {args.batch}, {args.epochs} epochs x {args.rounds} interleaved rounds, "
          f"load average {os.getloadavg()[0]:.1f}")
    print(f"epoch without diagnostics: {per_epoch * 1e3:.1f} ms (median)")
    print(f"with / without: median {statistics.median(ratios):.3f}, range {min(ratios):.3f} - {max(ratios):.3f}")
    print(f"median of totals: {statistics.median(on_times) / statistics.median(off_times):.3f}")
    print(f"time inside the health monitor, timed per call: {measured_share(config, split):.2%} of training")


if __name__ == "__main__":
    main()
