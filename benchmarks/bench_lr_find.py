"""Does the learning-rate finder's band hold up against a grid of fixed rates?

    .venv/bin/python benchmarks/bench_lr_find.py                    # digits (adam), digits (sgd), moons
    .venv/bin/python benchmarks/bench_lr_find.py --cases moons --epochs 10

For each case: the finder (3 range-test seeds, each candidate verified for 5 epochs x 2 seeds)
gives a band; then the band's geometric centre and 7 fixed rates (1e-4 ... 1e2) each train 30
epochs on 3 seeds (early stopping off) and the validation loss after the last epoch is compared.
A run that diverges counts as "diverged".  Prints a Markdown table and the load average.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from nnstudio.compare import Comparison, ComparisonResults, ComparisonRun  # noqa: E402
from nnstudio.compute import limit_blas_threads  # noqa: E402
from nnstudio.data import load_split  # noqa: E402
from nnstudio.lab import VerificationRun, find_rates  # noqa: E402
from nnstudio.presets import load_preset  # noqa: E402

GRID = (1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0, 100.0)
CASES = {"digits-adam": ("digits", "adam"), "digits-sgd": ("digits", "sgd"), "moons": ("moons", "adam")}


def final_losses(config, rates, seeds: int, epochs: int) -> list[list[float]]:
    """Per rate, the validation loss after ``epochs`` epochs on each seed (inf when diverged)."""
    base = config.replace(early_stopping=False)
    comparison = Comparison.build(base, "learning_rate", list(rates), n_seeds=seeds, epochs=epochs)
    results = ComparisonResults(comparison)
    for event in ComparisonRun(comparison).events():
        results.add(event)
    out = []
    for v in range(len(rates)):
        losses = []
        for run in results.variant_runs(v):
            h = run.history["val_loss"]
            ok = run.summary is not None and not run.summary.diverged and len(h) == epochs
            losses.append(h[-1] if ok else math.inf)
        out.append(losses)
    return out


def cell(losses: list[float]) -> str:
    if not all(math.isfinite(v) for v in losses):
        bad = sum(not math.isfinite(v) for v in losses)
        return f"diverged ({bad}/{len(losses)})"
    return f"{np.mean(losses):.4f} ± {np.std(losses):.4f}"


def one_case(name: str, epochs: int, seeds: int) -> tuple[str, list[str]]:
    dataset, optimizer = CASES[name]
    config = load_preset(dataset).replace(optimizer=optimizer)
    split = load_split(config.data)
    start = time.perf_counter()
    found = find_rates(config, split, 3)
    verdict = VerificationRun(config, found.candidates).run()
    finder_seconds = time.perf_counter() - start
    centre = verdict.centre
    losses = final_losses(config, (centre, *GRID), seeds, epochs)
    band = f"{verdict.band[0]:.3g} – {verdict.band[1]:.3g}"
    candidates = ", ".join(f"{c.method} {c.lr:.3g} (×{c.spread:.1f})" for c in found.candidates)
    print(f"{name}: candidates {candidates}; finder + verification {finder_seconds:.0f} s", file=sys.stderr)
    return f"| {name} | {band} | {centre:.3g}: {cell(losses[0])} |", [cell(l) for l in losses[1:]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default=",".join(CASES), help="comma-separated: " + ", ".join(CASES))
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    limit_blas_threads()
    print(f"load average before: {os.getloadavg()}", file=sys.stderr)
    rows = []
    for name in args.cases.split(","):
        head, grid = one_case(name, args.epochs, args.seeds)
        rows.append(head + " " + " | ".join(grid) + " |")
    print(f"| case | finder band | centre: val loss after {args.epochs} epochs | "
          + " | ".join(f"{r:g}" for r in GRID) + " |")
    print("|" + "---|" * (3 + len(GRID)))
    print("\n".join(rows))
    print(f"load average after: {os.getloadavg()}", file=sys.stderr)


if __name__ == "__main__":
    main()
