"""Adam's step over one flat parameter vector: whole-vector passes, block by block, and PyTorch's
fused Adam, interleaved.

    .venv/bin/python benchmarks/bench_optimizers.py [--sizes 26634 300000 1160000 4000000] [--rounds 7]

The engine's Adam makes ten NumPy passes over the vector per step.  Above
``optimizers.BLOCKED_MIN_BYTES`` it runs them block by block (``optimizers.blocks``), so that a
block's arrays stay in the L2 cache.  Each round times ``unblocked`` (one block: every size
updated as small vectors are), ``blocked`` (blocks forced at every size) and, when installed,
``torch.optim.Adam(fused=True)``, one after the other in a rotating order; CPU time of this
thread, one thread each.  Printed: ms per step (median over rounds) and the median of the
rounds' ratios to ``unblocked``; ``shipped`` says which of the two the engine uses at that size.
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

from nnstudio.engine import optimizers  # noqa: E402
from nnstudio.engine.optimizers import make_optimizer  # noqa: E402


def engine_step(size: int, blocked: bool):
    """A step function of the engine's Adam with blocks forced on or off."""
    opt = make_optimizer("adam", size, np.float32)
    step = optimizers.BLOCK_BYTES // 4
    opt._slices = (tuple(slice(lo, min(lo + step, size)) for lo in range(0, size, step)) if blocked
                   else (slice(0, size),))
    opt._buf = np.zeros(min(step, size) if blocked else size, np.float32)
    rng = np.random.default_rng(0)
    params, grads = rng.normal(size=size).astype(np.float32), rng.normal(size=size).astype(np.float32)
    return lambda: opt.step(params, grads, 1e-3)


def torch_step(size: int):
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
    p = torch.nn.Parameter(torch.randn(size))
    p.grad = torch.randn(size)
    opt = torch.optim.Adam([p], lr=1e-3, fused=True)
    return opt.step


def measure(size: int, rounds: int) -> dict[str, list[float]]:
    steps = {"unblocked": engine_step(size, False), "blocked": engine_step(size, True)}
    fused = torch_step(size)
    if fused is not None:
        steps["torch fused"] = fused
    reps = max(3, int(2e7 // size))
    times: dict[str, list[float]] = {name: [] for name in steps}
    names = list(steps)
    for r in range(rounds):
        for name in names[r % len(names):] + names[:r % len(names)]:
            fn = steps[name]
            fn()  # warm
            start = time.thread_time()
            for _ in range(reps):
                fn()
            times[name].append((time.thread_time() - start) / reps)
    return times


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[26_634, 300_000, 1_160_000, 4_000_000])
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args(argv)
    from threadpoolctl import threadpool_limits

    load = os.getloadavg()
    print(f"Adam step, float32, CPU time, {args.rounds} interleaved rounds; load average {load[0]:.2f} {load[1]:.2f}")
    print(f"{'parameters':>11} {'unblocked':>10} {'blocked':>9} {'torch fused':>12}  {'blocked/unbl':>12} "
          f"{'torch/unbl':>10}  shipped")
    with threadpool_limits(1):
        for size in args.sizes:
            t = measure(size, args.rounds)
            ms = {k: statistics.median(v) * 1e3 for k, v in t.items()}
            ratio = {k: statistics.median(a / b for a, b in zip(v, t["unblocked"])) for k, v in t.items()}
            shipped = "blocked" if len(optimizers.blocks(size, 4)) > 1 else "unblocked"
            torch_ms = f"{ms['torch fused']:12.3f}" if "torch fused" in ms else f"{'-':>12}"
            torch_ratio = f"{ratio['torch fused']:10.2f}" if "torch fused" in ratio else f"{'-':>10}"
            print(f"{size:11d} {ms['unblocked']:10.3f} {ms['blocked']:9.3f} {torch_ms}  {ratio['blocked']:12.2f} "
                  f"{torch_ratio}  {shipped}")
    load = os.getloadavg()
    print(f"load average at the end: {load[0]:.2f} {load[1]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
