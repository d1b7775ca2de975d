"""Where does a training epoch go?  cProfile of the trainer on a few shipped workloads.

    .venv/bin/python benchmarks/profile_epoch.py [--epochs 30] [--top 14] [--case NAME ...]

Each case trains one config through ``Trainer`` (histograms on, as the window runs it) with one
BLAS thread, under cProfile, and prints the functions with the most own time (``tottime``) and
their share of the run.  Compare two checkouts by running this script in each: the names that
move are the functions a change made cheaper.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from nnstudio.config import DataConfig, ExperimentConfig, LayerConfig  # noqa: E402
from nnstudio.data import load_split  # noqa: E402
from nnstudio.engine import Trainer  # noqa: E402
from nnstudio.presets import load_preset  # noqa: E402


def _dropout_sgd() -> ExperimentConfig:
    """Digits 64-64-64-10 (two hidden layers), relu, dropout 0.2, SGD, global-norm clip, batch 64."""
    return ExperimentConfig(layers=tuple(LayerConfig(64, "relu", dropout_rate=0.2) for _ in range(2)),
                            optimizer="sgd", learning_rate=0.05, batch_size=64, clip_type="global_norm",
                            grad_clip=5.0, early_stopping=False)


CASES = {
    "dropout-sgd-b64": _dropout_sgd,
    "dropout-sgd-full": lambda: _dropout_sgd().replace(batch_size=0),
    "digits-preset": lambda: load_preset("digits").replace(early_stopping=False),
    "moons-preset": lambda: load_preset("moons").replace(early_stopping=False),
    "moons-full": lambda: load_preset("moons").replace(batch_size=0, early_stopping=False),
}


def profile_case(name: str, epochs: int, top: int) -> None:
    cfg = CASES[name]().replace(epochs=epochs)
    split = load_split(cfg.data if not name.startswith("dropout") else DataConfig(name="digits"))
    trainer = Trainer(cfg, split, histograms=True)
    profiler = cProfile.Profile(time.thread_time)  # CPU time: other processes' load is not counted
    profiler.enable()
    for _ in trainer.run():
        pass
    profiler.disable()
    stats = pstats.Stats(profiler)
    total = sum(row[2] for row in stats.stats.values())
    rows = sorted(stats.stats.items(), key=lambda item: -item[1][2])[:top]
    print(f"\n{name}: {epochs} epochs, {total * 1e3 / epochs:.2f} ms/epoch of CPU time under the profiler")
    print(f"{'own ms/epoch':>12} {'share':>6} {'calls/epoch':>11}  function")
    for (file, line, func), (_, ncalls, tottime, _, _) in rows:
        where = f"{Path(file).name}:{line}" if line else file
        print(f"{tottime * 1e3 / epochs:12.3f} {tottime / total:6.1%} {ncalls / epochs:11.1f}  {func} ({where})")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--top", type=int, default=14)
    parser.add_argument("--case", action="append", choices=sorted(CASES), help="case to run (default: all)")
    args = parser.parse_args(argv)
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        for name in args.case or list(CASES):
            profile_case(name, args.epochs, args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
