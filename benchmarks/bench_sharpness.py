"""What the sharpness monitor costs, and the edge of stability on digits.

    .venv/bin/python benchmarks/bench_sharpness.py                # cost on the digits preset + EoS run
    .venv/bin/python benchmarks/bench_sharpness.py --skip-eos

Cost: rounds alternate one training epoch and one sharpness measurement on the same trainer, so
machine load hits both alike; the ratio (measurement / epoch) is reported per round and as a
median.  Edge of stability: full-batch gradient descent with MSE at lr 2.5 on digits (Cohen et
al., 2021), sharpness measured every 20 epochs against 2/lr = 0.8.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from nnstudio.compute import limit_blas_threads  # noqa: E402
from nnstudio.data import load_split  # noqa: E402
from nnstudio.engine import Trainer  # noqa: E402
from nnstudio.lab import SharpnessMonitor  # noqa: E402
from nnstudio.presets import load_preset  # noqa: E402


def cost(rounds: int) -> None:
    config = load_preset("digits").replace(epochs=rounds, early_stopping=False)
    trainer = Trainer(config, load_split(config.data), histograms=False)
    monitor = SharpnessMonitor(trainer, every=1)
    records = trainer.run()
    ratios = []
    for r in range(rounds):
        start = time.perf_counter()
        record = next(records)
        epoch = time.perf_counter() - start
        point = monitor.measure(record.epoch, record.learning_rate)
        ratios.append(point.seconds / epoch)
        print(f"round {r + 1}: epoch {epoch * 1000:.0f} ms, measurement {point.seconds * 1000:.0f} ms "
              f"(ratio {ratios[-1]:.2f}), sharpness {point.sharpness:.3g}")
    print(f"median measurement / epoch: {np.median(ratios):.2f} (digits preset, batch 32, "
          f"{len(trainer.X_train)} rows)")


def edge_of_stability(epochs: int, every: int) -> None:
    config = load_preset("digits").replace(batch_size=0, optimizer="sgd", learning_rate=2.5, loss_func="mse",
                                           epochs=epochs, early_stopping=False)
    monitor = SharpnessMonitor(Trainer(config, load_split(config.data), histograms=False), every=every)
    losses = [r.train_loss for r in monitor.run()]
    for p in monitor.points:
        print(f"epoch {p.epoch:4d}: sharpness {p.sharpness:.3f}  2/lr {p.threshold:.3f}  "
              f"train loss {losses[p.epoch - 1]:.4f}")
    rises = int(np.sum(np.diff(losses) > 0))
    print(f"the training loss rose in {rises} of {len(losses) - 1} epochs")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--eos-epochs", type=int, default=400)
    parser.add_argument("--skip-eos", action="store_true")
    args = parser.parse_args()
    limit_blas_threads()
    print(f"load average before: {os.getloadavg()}")
    cost(args.rounds)
    if not args.skip_eos:
        edge_of_stability(args.eos_epochs, 20)
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
