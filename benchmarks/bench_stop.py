"""Stop latency of the Train tab's worker on a large network: seconds from Stop to the run's end.

    .venv/bin/python benchmarks/bench_stop.py                      # 5 rounds, digits, 64-2600-2600-10 (7.0M parameters)
    .venv/bin/python benchmarks/bench_stop.py --baseline /tmp/old  # interleave with another checkout's nnstudio

Each measurement is a fresh process: it starts a :class:`TrainingWorker` on its own thread, waits
``offset`` seconds after the run is prepared (offsets spread over an epoch, so some Stops land in
mini-batch steps and some in the evaluation pass), sets Stop and times until ``ended``.  With
``--baseline`` each round measures both code bases at the same offset, one after the other, so the
ratio of their medians is little affected by the machine's load; the load average is printed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OFFSETS = (1.0, 2.0, 3.0, 4.0, 5.0)


def measure_once(offset: float, units: int) -> float:
    import threading

    from PySide6.QtCore import Qt

    from nnstudio.config import DataConfig, ExperimentConfig, LayerConfig
    from nnstudio.gui.train.worker import RunControl, TrainingWorker

    cfg = ExperimentConfig(name="stop", data=DataConfig("digits"), layers=(LayerConfig(units, "relu"),) * 2,
                           epochs=1000, batch_size=32, early_stopping=False)
    control = RunControl()
    worker = TrainingWorker(cfg, control)
    prepared, ended = threading.Event(), threading.Event()
    direct = Qt.ConnectionType.DirectConnection  # no event loop here: call the handlers in the worker's thread
    worker.prepared.connect(lambda *_: prepared.set(), direct)
    worker.progress.connect(lambda *_: control.update_consumed(), direct)
    worker.ended.connect(lambda *_: ended.set(), direct)
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    prepared.wait(600)
    time.sleep(offset)
    t0 = time.perf_counter()
    control.request_stop()
    ended.wait(600)
    return time.perf_counter() - t0


def run_child(root: Path, offset: float, units: int) -> float:
    code = (f"import sys; sys.path.insert(0, {str(root)!r}); sys.path.insert(1, {str(ROOT)!r});"
            f"from benchmarks.bench_stop import measure_once; print(measure_once({offset}, {units}))")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=Path, help="a directory holding another version's nnstudio package")
    parser.add_argument("--units", type=int, default=2600, help="units in each of the two hidden layers")
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()}")
    roots = [("this", ROOT)] + ([("baseline", args.baseline)] if args.baseline else [])
    times: dict[str, list[float]] = {name: [] for name, _ in roots}
    for offset in OFFSETS:
        for name, root in roots:
            latency = run_child(root, offset, args.units)
            times[name].append(latency)
            print(f"offset {offset:4.1f} s  {name:8s} stop latency {latency:6.3f} s", flush=True)
    for name, values in times.items():
        print(f"{name}: median {statistics.median(values):.3f} s of {values}")
    if args.baseline:
        print(f"baseline / this (medians): {statistics.median(times['baseline']) / statistics.median(times['this']):.1f}")
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
