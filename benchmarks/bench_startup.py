"""What a user waits for: ``nnstudio --help``, ``nnstudio train --preset digits``, and the window's
first Train click until the first epoch is on the loss plot.

    .venv/bin/python benchmarks/bench_startup.py [--runs 5] [--skip-window]

* ``--help``: wall and CPU time of ``nnstudio --help`` next to ``python -c pass`` (the
  interpreter's own start-up), interleaved, ``--runs`` times each; target under 0.1 s.
* ``train --preset digits``: wall time of the whole command (start-up, data, training, files),
  on the machine as it is and with two CPU-bound processes running beside it (started and
  stopped by this script); targets 1.3 s on a quiet machine and at most twice that beside two
  busy processes.
* the window: ``bench_gui.py``'s first-Train probe, one fresh process per run (the window at
  1280 x 800 on its default design, settled, Train clicked through the real widget, timed until
  the loss plot's first paint with epoch 1); target 0.3 s.  The first click pays for everything
  it loads.

Medians over the runs are printed with the load average, since the wall times depend on what
else the machine is doing.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = Path(sys.executable).with_name("nnstudio")



def timed(cmd, env=None) -> tuple[float, float]:
    """(wall, CPU) seconds of one run of ``cmd``."""
    before = os.times()
    start = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True, env=env, cwd=ROOT)
    wall = time.perf_counter() - start
    after = os.times()
    return wall, (after.children_user - before.children_user) + (after.children_system - before.children_system)


def help_times(runs: int) -> None:
    pairs = {"python -c pass": [sys.executable, "-c", "pass"], "nnstudio --help": [str(SCRIPT), "--help"]}
    results = {name: [] for name in pairs}
    for _ in range(runs):
        for name, cmd in pairs.items():
            results[name].append(timed(cmd))
    for name, values in results.items():
        print(f"  {name:<18} wall {statistics.median(w for w, _ in values) * 1e3:6.0f} ms (min "
              f"{min(w for w, _ in values) * 1e3:4.0f}), CPU {statistics.median(c for _, c in values) * 1e3:5.0f} ms")


def busy_processes(n: int) -> list[subprocess.Popen]:
    return [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(n)]


def train_times(runs: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for label, n_busy in (("as the machine is", 0), ("beside 2 busy processes", 2)):
            busy = busy_processes(n_busy)
            try:
                times = [timed([str(SCRIPT), "-q", "train", "--preset", "digits", "--out", f"{tmp}/run{i}{n_busy}"])
                         for i in range(runs)]
                walls = [w for w, _ in times]
            finally:
                for p in busy:
                    p.kill()
                    p.wait()
            print(f"  train --preset digits, {label:<24} wall median {statistics.median(walls):5.2f} s "
                  f"(min {min(walls):.2f}, max {max(walls):.2f}), CPU {statistics.median(c for _, c in times):.2f} s; "
                  f"load {os.getloadavg()[0]:.1f}")


def window_times(runs: int) -> None:
    """The first Train click as ``bench_gui.py --first-train`` measures it (a fresh process per run)."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    seconds, stalls = [], []
    for _ in range(runs):
        out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench_gui.py"), "--first-train-child"],
                             capture_output=True, text=True, env=env, cwd=ROOT, check=True).stdout
        wall, stall = json.loads(out.strip().splitlines()[-1])["first"]
        seconds.append(wall)
        stalls.append(stall)
    print(f"  first Train click -> first epoch painted: wall median {statistics.median(seconds):.3f} s "
          f"(min {min(seconds):.3f}, max {max(seconds):.3f}); longest stall median {statistics.median(stalls):.3f} s")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--skip-window", action="store_true")
    args = parser.parse_args(argv)
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}; {os.cpu_count()} CPUs")
    help_times(args.runs)
    train_times(args.runs)
    if not args.skip_window:
        window_times(args.runs)
    print(f"load average at the end {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
