"""Where does a second BLAS thread start to pay?  Training steps with 1 and 2 threads, per width.

    .venv/bin/python benchmarks/bench_threads.py [--widths 128 256 512 1024 2048] [--rounds 5] [--batch 32]

Workload: the digits preset's network with both hidden layers ``width`` wide (relu, batch norm,
Adam, float32), mini-batch steps as the trainer takes them (forward, backward, optimizer step) on
the digits training rows.  Each round times, for every width, a block of steps with one BLAS thread
and the same block with two, in an order that alternates between rounds, so that both counts share
the machine's load alike.  Times are wall-clock (a second thread's work is the point); a width's
figure is the median over rounds of the two-thread / one-thread ratio.  Below 1 a second thread
shortens the step.  The largest product of a step is ``batch × width × width`` multiply-adds,
the quantity :func:`nnstudio.compute.blas_threads_for` compares with
:data:`~nnstudio.compute.PARALLEL_BLAS_MACS`.  The load average is printed before and after: on a
busy machine a second thread waits for a core and the ratios say so.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from nnstudio.compute import PARALLEL_BLAS_MACS  # noqa: E402
from nnstudio.config import DataConfig, LayerConfig  # noqa: E402
from nnstudio.data import load_split  # noqa: E402
from nnstudio.engine import Trainer  # noqa: E402
from nnstudio.presets import load_preset  # noqa: E402

TARGET_SECONDS = 0.25  # length of one timed block of steps (one thread)


class Steps:
    """Mini-batch steps of one network, cycling through the training rows."""

    def __init__(self, width: int, batch: int, split):
        cfg = load_preset("digits").replace(layers=(LayerConfig(width, "relu", batch_norm=True),) * 2,
                                            batch_size=batch)
        trainer = Trainer(cfg, split, histograms=False, diagnostics=False)
        self.net, self.opt = trainer.network, trainer.optimizer
        self.X, self.Y, self.batch = trainer.X_train, trainer.Y_train, batch
        self.lo = 0

    def run(self, count: int) -> float:
        net, X, Y, b = self.net, self.X, self.Y, self.batch
        start = time.perf_counter()
        for _ in range(count):
            lo = self.lo
            net._forward(X[lo:lo + b], True, None)
            net.backward(Y[lo:lo + b])
            self.opt.step(net.flat, net.flat_grad, 1e-3, True)
            self.lo = lo + b if lo + 2 * b <= len(X) else 0
        return time.perf_counter() - start


def measure(widths, rounds: int, batch: int) -> dict[int, list[tuple[float, float]]]:
    from threadpoolctl import threadpool_limits

    split = load_split(DataConfig(name="digits"))
    steps = {w: Steps(w, batch, split) for w in widths}
    counts = {}
    with threadpool_limits(1):
        for w, s in steps.items():  # warm up, and size each block to about TARGET_SECONDS
            s.run(2)
            counts[w] = max(3, int(TARGET_SECONDS / (s.run(3) / 3)))
    results: dict[int, list[tuple[float, float]]] = {w: [] for w in widths}
    for r in range(rounds):
        for w, s in steps.items():
            per = {}
            for threads in ((1, 2) if r % 2 == 0 else (2, 1)):
                with threadpool_limits(threads):
                    per[threads] = s.run(counts[w]) / counts[w]
            results[w].append((per[1], per[2]))
        print(f"  round {r + 1}/{rounds} done (load {os.getloadavg()[0]:.2f})", file=sys.stderr, flush=True)
    return results


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--widths", type=int, nargs="+", default=[128, 256, 384, 512, 768, 1024, 1536, 2048])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--batch", type=int, default=32)
    args = parser.parse_args(argv)
    load = os.getloadavg()
    print(f"{os.cpu_count()} CPUs; batch {args.batch}; {args.rounds} rounds; load average {load[0]:.2f} {load[1]:.2f}")
    results = measure(args.widths, args.rounds, args.batch)
    print(f"\n{'width':>6} {'largest product':>16} {'1 thread ms':>12} {'2 threads ms':>13} {'2/1 (median)':>13}  policy")
    for w, pairs in results.items():
        macs = args.batch * w * w
        ratio = statistics.median(two / one for one, two in pairs)
        one = statistics.median(p[0] for p in pairs) * 1e3
        two = statistics.median(p[1] for p in pairs) * 1e3
        policy = "2 threads" if macs >= PARALLEL_BLAS_MACS else "1 thread"
        print(f"{w:>6} {macs / 1e6:>14.1f}M {one:>12.2f} {two:>13.2f} {ratio:>13.2f}  {policy}")
    load = os.getloadavg()
    print(f"\nload average at the end: {load[0]:.2f} {load[1]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
