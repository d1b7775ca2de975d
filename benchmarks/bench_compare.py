"""Wall time of a comparison run sequentially, on a process pool and on a thread pool.

    .venv/bin/python benchmarks/bench_compare.py                 # 7 initializers x 3 seeds x 100 epochs, digits
    .venv/bin/python benchmarks/bench_compare.py --epochs 20 --modes sequential,process

Every mode trains exactly the same runs (early stopping off, so each run does all its epochs)
and must produce the same table; the speed-up is sequential time / parallel time.  "sequential"
limits BLAS to one thread, as each pool worker does, so the results match bit for bit;
"sequential-blas" leaves BLAS at its default thread count (as the thread pool does).  The CPU
seconds the runs' threads used, over the wall seconds, gives the cores a mode kept busy; the load
average, printed before and after, shows how much other work competed for the cores.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from nnstudio.compare import Comparison, ComparisonResults, ComparisonRun, run_job  # noqa: E402
from nnstudio.compare.runner import cached_split  # noqa: E402
from nnstudio.config import ExperimentConfig  # noqa: E402


def comparison(epochs: int, seeds: int) -> Comparison:
    base = ExperimentConfig(name="bench", epochs=epochs, early_stopping=False)  # digits, [64, 64] relu, adam
    return Comparison.build(base, "init_method", n_seeds=seeds)


def run_sequential(c: Comparison, blas_threads: int | None = 1) -> ComparisonResults:
    """Every job in this process, one after the other: the work a single worker would do."""
    from threadpoolctl import threadpool_limits

    results = ComparisonResults(c)
    cached_split(c.base.data)  # loaded once, as each pool worker does
    with threadpool_limits(limits=blas_threads, user_api="blas"):
        for job in c.jobs():
            run_job(job, results.add, lambda: False)
    return results


def run_pool(c: Comparison, backend: str, workers: int) -> ComparisonResults:
    results = ComparisonResults(c)
    for event in ComparisonRun(c, backend=backend, workers=workers).events():
        results.add(event)
    return results


def run_threads_one_blas(c: Comparison) -> ComparisonResults:
    """The thread pool with BLAS limited to one thread, as in the process workers: what is left
    is the cost of the GIL."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        return run_pool(c, "thread", 2)


MODES = {
    "sequential": run_sequential,
    "sequential-blas": lambda c: run_sequential(c, None),
    "process": lambda c: run_pool(c, "process", 2),
    "thread": lambda c: run_pool(c, "thread", 2),
    "thread-1blas": run_threads_one_blas,
    "process1": lambda c: run_pool(c, "process", 1),
}


def table(results: ComparisonResults) -> list[tuple]:
    return [(r.label, r.best_val_loss.mean, r.final_val_loss.mean, r.test_accuracy.mean) for r in results.rows()]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--modes", default="sequential,process,thread-1blas,thread",
                        help=f"comma-separated, from: {', '.join(MODES)}")
    parser.add_argument("--repeat", type=int, default=1, help="runs per mode; the best time is kept")
    args = parser.parse_args()
    c = comparison(args.epochs, args.seeds)
    print(f"{len(c.variants)} variants x {c.n_seeds} seeds x {args.epochs} epochs on {c.base.data.name}; "
          f"{os.cpu_count()} CPUs; load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    times, tables = {}, {}
    for mode in args.modes.split(","):
        best, cpu = float("inf"), 0.0
        for _ in range(args.repeat):
            start = time.perf_counter()
            results = MODES[mode](c)
            wall = time.perf_counter() - start
            if wall < best:
                best, cpu = wall, sum(run.cpu_seconds for run in results.runs.values())
        times[mode], tables[mode] = best, table(results)
        print(f"  {mode:<16} {best:7.2f} s wall {cpu:7.2f} s CPU  ({cpu / best:.2f} cores busy)")
    # one BLAS thread (sequential, process pool) and default BLAS threads (sequential-blas, thread
    # pool) may differ in the last bits of a sum; within each group results must be identical
    groups = [[tables[m] for m in ("sequential", "process", "process1", "thread-1blas") if m in tables],
              [tables[m] for m in ("sequential-blas", "thread") if m in tables]]
    same = all(t == group[0] for group in groups for t in group)
    if "sequential" in times:
        for mode, seconds in times.items():
            if mode != "sequential":
                print(f"  speed-up {mode} vs sequential: {times['sequential'] / seconds:.2f}x")
    print(f"  identical tables (one-BLAS-thread modes, and default-BLAS modes): {same}")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
