"""The article's five failure cases: what the doctor names, what it suggests, and whether it helped.

    python benchmarks/doctor_cases.py [--seeds 3]

Trains each case once (seed 0) to diagnose it, then verifies the top finding's suggestion over
``--seeds`` seeds in worker processes.  Prints a Markdown table (the one in the README).
"""

from __future__ import annotations

import argparse
import math
import os
import time

from nnstudio.data import load_split
from nnstudio.doctor import FixTrial
from nnstudio.doctor.cases import article_failures
from nnstudio.engine import Trainer
from nnstudio.engine.doctor import Doctor


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    start = time.perf_counter()
    print("| case | cause found | suggestion | verdict | best val loss, baseline → fixed (per seed) | "
          "factor (95% interval) |")
    print("|---|---|---|---|---|---|")
    for case in article_failures().values():
        split = load_split(case.config.data)
        trainer = Trainer(case.config, split, histograms=False)
        doctor = Doctor(case.config, split)
        for record in trainer.run():
            doctor.observe(record)
        doctor.finish(trainer.summary)
        top = doctor.top()
        trial = FixTrial(case.config, [top.suggestion], seeds=args.seeds)
        for _ in trial.run():
            pass
        v = trial.verdicts[0]
        pairs = ", ".join(f"{b:.3f} → {f:.3f}" for b, f in zip(v.baseline, v.fixed))
        lo, hi = (math.exp(x) for x in v.interval)
        print(f"| {case.name} | `{top.code}` | `{top.suggestion.text}` | {v.verdict} | {pairs} | "
              f"×{v.ratio:.2f} ({lo:.2f}–{hi:.2f}) |")
    print(f"\n{time.perf_counter() - start:.0f} s, load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
