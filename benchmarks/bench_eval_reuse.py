"""Does starting a full-batch step from the end-of-epoch evaluation pass pay?

    .venv/bin/python benchmarks/bench_eval_reuse.py --rounds 5

The engine may skip a step's forward pass when the previous epoch's evaluation of the training
split already computed it (``Trainer._reuse_evaluation``: full batch, ``train_metrics`` giving an
evaluation pass, no dropout, no batch norm).  This prints (1) for every preset and the default
config, whether training takes that path at all, and (2) for full-batch configs that do take it,
the time per epoch with the reuse on and off, in interleaved rounds, and their ratio.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from threadpoolctl import threadpool_limits  # noqa: E402

from nnstudio.config import ExperimentConfig  # noqa: E402
from nnstudio.data import load_split  # noqa: E402
from nnstudio.engine import Trainer  # noqa: E402
from nnstudio.presets import list_presets, load_preset  # noqa: E402


def shipped_paths() -> list[tuple[str, bool]]:
    configs = [("default", ExperimentConfig())] + [(p.name, p.config()) for p in list_presets()]
    return [(name, Trainer(cfg, load_split(cfg.data), histograms=False)._reuse_evaluation) for name, cfg in configs]


def seconds_per_epoch(cfg: ExperimentConfig, split, reuse: bool) -> float:
    trainer = Trainer(cfg, split, histograms=False)
    trainer._reuse_evaluation = reuse and trainer._reuse_evaluation
    started = time.perf_counter()
    for _ in trainer.run():
        pass
    return (time.perf_counter() - started) / trainer.summary.epochs_run


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--epochs", type=int, default=300)
    args = p.parse_args()
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    paths = shipped_paths()
    print("takes the reuse path: " + ", ".join(f"{n} {'yes' if r else 'no'}" for n, r in paths))
    print(f"{sum(r for _, r in paths)} of {len(paths)} shipped configs take it")
    cases = [(name, load_preset(name).replace(batch_size=0, train_metrics="evaluation", epochs=args.epochs,
                                              early_stopping=False))
             for name in ("moons", "spiral", "diabetes")]
    cases.append(("digits [64,64] plain", ExperimentConfig(batch_size=0, train_metrics="evaluation",
                                                           epochs=args.epochs, early_stopping=False)))
    with threadpool_limits(limits=1, user_api="blas"):
        for name, cfg in cases:
            split = load_split(cfg.data)
            ratios, on_times, off_times = [], [], []
            for _ in range(args.rounds):  # interleaved: both see the same machine load
                off = seconds_per_epoch(cfg, split, reuse=False)
                on = seconds_per_epoch(cfg, split, reuse=True)
                ratios.append(off / on)
                on_times.append(on)
                off_times.append(off)
            print(f"{name:22s} full batch, train_metrics=evaluation: off {statistics.median(off_times) * 1e3:.3f} ms/epoch, "
                  f"on {statistics.median(on_times) * 1e3:.3f} ms/epoch, speed-up off/on median "
                  f"{statistics.median(ratios):.3f} (min {min(ratios):.3f}, max {max(ratios):.3f})")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
