"""Does the window slow training down, and does it stay responsive while training?

    .venv/bin/python benchmarks/bench_gui.py                  # digits, 64-64, 600 epochs, 7 rounds
    .venv/bin/python benchmarks/bench_gui.py --data iris --epochs 2000 --rounds 5
    .venv/bin/python benchmarks/bench_gui.py --first-train 8     # the first Train click, 8 processes

Each round trains the same config twice, in alternating order: headless (the engine's
``Trainer`` alone, histograms on, as the window runs it) and through the training panel in a
1280 x 800 window rendered offscreen, with every plot live.  Throughput is epochs per second of
training time (the trainer's own clock, which starts after the data are loaded); the table shows
the median over rounds and the median of each round's ratio panel / headless (target >= 0.9).
On a machine shared with other work, single rounds swing widely; use more ``--rounds``.

Responsiveness (separate panel runs after the throughput rounds, since the probe itself costs
the GUI thread a little): a 10 ms ``QTimer`` runs in the GUI thread during training; its lateness
(time between ticks minus 10 ms) is what a user feels as lag.  Reported: p50, p99 and max over
all rounds (target p99 < 50 ms), next to the same timer in the idle window, which shows the
floor set by the machine itself (other processes competing for the cores).

First Train (``--first-train N``): N fresh processes each open the studio window at 1280 x 800 on
its default design, wait until it has settled, then click Train and measure the time from the
click to the end of the first paint of the loss plot showing epoch 1, and the longest gap between
the ticks of a 10 ms ``QTimer`` in that time (the longest the window froze).  Each process then
stops the run and clicks Train a second time, as a warm reference.

Also reported: progress updates received per second (the worker sends at most ~30), plot
redraws, the GUI thread's CPU time, and how long Stop takes to end a run.  BLAS runs on
``--blas-threads`` threads for both modes (1 by default: the matrices are small, and spare
threads only compete with the GUI thread for the cores).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
from PySide6.QtCore import QEventLoop, QTimer, Qt  # noqa: E402
from PySide6.QtWidgets import QApplication, QMainWindow  # noqa: E402

from nnstudio.config import DataConfig, ExperimentConfig, LayerConfig  # noqa: E402
from nnstudio.data import load_split  # noqa: E402
from nnstudio.engine import Trainer  # noqa: E402
from nnstudio.gui.qt import refresh  # noqa: E402
from nnstudio.gui.train.panel import TrainingPanel  # noqa: E402

TICK_MS = 10


def make_config(data: str, epochs: int) -> ExperimentConfig:
    layers = (LayerConfig(64, "relu"), LayerConfig(64, "relu"))
    params = {"n_samples": 1000} if data in ("moons", "spiral", "circles") else {}
    return ExperimentConfig(name="bench", data=DataConfig(data, params), layers=layers, epochs=epochs,
                            batch_size=64, early_stopping=False, learning_rate=1e-3)


def headless(config: ExperimentConfig, split) -> float:
    trainer = Trainer(config, split, histograms=True)
    for _ in trainer.run():
        pass
    return trainer.summary.epochs_run / trainer.summary.seconds


class LatencyProbe:
    """A ``TICK_MS`` timer in the GUI thread recording how late each tick is (ms)."""

    def __init__(self):
        self.lateness: list[float] = []
        self.active = False
        self._last = None
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self._tick)
        self.enabled = False

    def enable(self, on: bool) -> None:
        """Run the timer (it costs the GUI thread a little, so throughput runs go without it)."""
        self.enabled = on
        self.timer.start() if on else self.timer.stop()
        self.measure(False)

    def measure(self, on: bool) -> None:
        """Start (from the next tick) or stop recording."""
        self.active = on and self.enabled
        self._last = None

    def _tick(self) -> None:
        now = time.perf_counter()
        if self.active and self._last is not None:
            self.lateness.append(max(0.0, (now - self._last) * 1000 - TICK_MS))
        self._last = now


def spin(ms: int) -> None:
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def run_until_idle(panel: TrainingPanel, start) -> None:
    """Call ``start()`` and process events until the panel's run has ended."""
    loop = QEventLoop()

    def on_running(running: bool) -> None:
        if not running:
            loop.quit()

    panel.runningChanged.connect(on_running)
    start()
    loop.exec()
    panel.runningChanged.disconnect(on_running)


def panel_run(panel: TrainingPanel, probe: LatencyProbe) -> dict:
    """Train through the panel, measuring the event loop while the state is "running"."""
    cpu0 = time.thread_time()
    redraws0 = panel._refresh.redraws
    probe.lateness.clear()
    run_until_idle(panel, panel.train)
    probe.measure(False)
    summary = panel.result.summary
    seconds = summary.seconds
    return {"throughput": summary.epochs_run / seconds, "lateness": list(probe.lateness),
            "updates_per_s": panel.updates_received / seconds, "redraws_per_s": (panel._refresh.redraws - redraws0)
            / seconds, "gui_cpu_share": (time.thread_time() - cpu0) / seconds}


def stop_latency(panel: TrainingPanel, config: ExperimentConfig) -> float:
    """Seconds from pressing Stop to the end of the run, on an endless run of ``config``."""
    panel._config_provider = lambda: config.replace(epochs=1_000_000)
    pressed = []

    def start() -> None:
        panel.train()
        while len(panel.history) < 2:
            spin(20)
        pressed.append(time.perf_counter())
        panel.stop()

    run_until_idle(panel, start)
    return time.perf_counter() - pressed[0]


def percentile(values, q) -> float:
    return float(np.percentile(values, q)) if len(values) else float("nan")


class FirstPaint:
    """Time from a Train click to the end of the loss plot's first paint showing epoch 1, and the
    longest gap between the ticks of a ``TICK_MS`` timer meanwhile (seconds)."""

    def __init__(self, panel: TrainingPanel):
        self.panel = panel
        self.gaps: list[float] = []
        self._last = self.start = self.painted = None
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self._tick)
        panel.lossPlot.viewport().installEventFilter(self._filter_object())

    def _filter_object(self):
        from PySide6.QtCore import QEvent, QObject

        probe = self

        class Filter(QObject):
            def eventFilter(self, obj, event):  # noqa: N802
                if event.type() == QEvent.Type.Paint and probe.start is not None and probe.painted is None \
                        and probe._shows_epoch():
                    QTimer.singleShot(0, probe._mark)  # after this paint pass has finished
                return False

        self._filter = Filter()
        return self._filter

    def _shows_epoch(self) -> bool:
        x, _y = self.panel.lossPlot.series["train"].getData()
        return x is not None and len(x) > 0 and x[-1] >= 1

    def _mark(self) -> None:
        if self.painted is None:
            self.painted = time.perf_counter()

    def _tick(self) -> None:
        now = time.perf_counter()
        if self._last is not None and self.painted is None:
            self.gaps.append(now - self._last)
        self._last = now

    def click(self) -> tuple[float, float]:
        from PySide6.QtTest import QTest

        self.gaps.clear()
        self.painted = None
        self.timer.start()
        self.start = self._last = time.perf_counter()
        QTest.mouseClick(self.panel.trainButton, Qt.MouseButton.LeftButton)
        while self.painted is None:
            QApplication.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents, 5)
        self.timer.stop()
        self._tick()
        return self.painted - self.start, max(self.gaps + [self.painted - self._last])


def first_train_child() -> None:
    """One process: open the window, click Train twice (stopping in between), print JSON."""
    import json

    from PySide6.QtCore import QSettings

    from nnstudio.gui.app import configure_application
    from nnstudio.gui.main_window import MainWindow
    app = QApplication.instance() or QApplication([])
    configure_application(app)  # as run_app does: the cycle collector runs on the GUI thread's timer
    app.setOrganizationName("nnstudio-bench")
    QSettings().clear()
    window = MainWindow()
    window.resize(1280, 800)
    window.show()
    while window.editor.info.pending:
        spin(20)
    spin(1500)  # the window has settled
    panel = window.training_panel
    probe = FirstPaint(panel)
    result = {}
    for name in ("first", "second"):
        result[name] = probe.click()
        panel.stop()
        while panel.is_running():
            spin(20)
        spin(500)
    result["load"] = os.getloadavg()[0]
    window.editor.undo_stack.setClean()
    window.close()
    print(json.dumps(result))


def first_train(rounds: int) -> None:
    """``rounds`` fresh processes; report each one and the medians."""
    import json
    import subprocess

    rows = []
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    for r in range(rounds):
        out = subprocess.run([sys.executable, __file__, "--first-train-child"],
                             capture_output=True, text=True, check=True).stdout
        rows.append(json.loads(out.strip().splitlines()[-1]))
        row = rows[-1]
        print(f"round {r + 1}: first Train {1000 * row['first'][0]:4.0f} ms (longest stall "
              f"{1000 * row['first'][1]:3.0f} ms), second {1000 * row['second'][0]:4.0f} ms "
              f"({1000 * row['second'][1]:3.0f} ms), load {row['load']:.2f}", flush=True)
    first = statistics.median(x["first"][0] for x in rows)
    stall = statistics.median(x["first"][1] for x in rows)
    ratio = statistics.median(x["first"][0] / x["second"][0] for x in rows)
    print(f"  click -> first epoch painted: median {1000 * first:.0f} ms (target <= 300 ms), "
          f"longest stall median {1000 * stall:.0f} ms, first / second click {ratio:.2f}")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


def main() -> None:
    if len(sys.argv) == 2 and sys.argv[1] == "--first-train-child":
        first_train_child()
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default="digits")
    parser.add_argument("--epochs", type=int, default=600)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--blas-threads", type=int, default=1)
    parser.add_argument("--duty", type=float, default=None,
                        help=f"share of time the GUI may spend redrawing (default {refresh.DUTY})")
    parser.add_argument("--first-train", type=int, default=0, metavar="N",
                        help="measure the first Train click instead, in N pairs of fresh processes")
    args = parser.parse_args()
    if args.first_train:
        first_train(args.first_train)
        return
    if args.duty is not None:
        refresh.DUTY = args.duty

    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=args.blas_threads, user_api="blas")
    app = QApplication.instance() or QApplication([])
    config = make_config(args.data, args.epochs)
    split = load_split(config.data)
    window = QMainWindow()
    panel = TrainingPanel(lambda: config)
    window.setCentralWidget(panel)
    window.resize(1280, 800)
    window.show()
    probe = LatencyProbe()
    panel.stateChanged.connect(lambda state: probe.measure(state == "running"))
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    probe.enable(True)
    probe.measure(True)
    spin(2000)
    idle = list(probe.lateness)
    probe.enable(False)

    heads, runs = [], []
    for r in range(args.rounds):
        order = ("headless", "panel") if r % 2 == 0 else ("panel", "headless")
        for mode in order:
            if mode == "headless":
                heads.append(headless(config, split))
            else:
                runs.append(panel_run(panel, probe))
        print(f"round {r + 1}: headless {heads[-1]:8.1f} epochs/s   panel {runs[-1]['throughput']:8.1f} epochs/s"
              f"   ratio {runs[-1]['throughput'] / heads[-1]:.2f}", flush=True)
    probe.enable(True)  # responsiveness: separate runs, so the probe's own cost is not in the throughput
    lateness = [x for _ in range(max(2, args.rounds // 2)) for x in panel_run(panel, probe)["lateness"]]
    probe.enable(False)
    stops = [stop_latency(panel, config) for _ in range(3)]
    panel.shutdown()

    head, with_panel = statistics.median(heads), statistics.median(r["throughput"] for r in runs)
    ratios = [run["throughput"] / h for run, h in zip(runs, heads)]
    print(f"\n{config.data.name}, {'-'.join(map(str, config.layer_sizes))} hidden, batch {config.batch_size}, "
          f"{config.epochs} epochs, {args.rounds} rounds, BLAS threads {args.blas_threads}, "
          f"redraw duty {refresh.DUTY:g}")
    print(f"  throughput headless        {head:10.1f} epochs/s (median)")
    print(f"  throughput with the panel  {with_panel:10.1f} epochs/s (median)")
    print(f"  ratio panel / headless     {statistics.median(ratios):10.2f}   (median of the rounds' ratios: "
          f"{', '.join(f'{x:.2f}' for x in ratios)}; target >= 0.9)")
    print(f"  event-loop lateness while training: p50 {percentile(lateness, 50):.1f} ms, "
          f"p99 {percentile(lateness, 99):.1f} ms, max {max(lateness, default=float('nan')):.1f} ms "
          f"({len(lateness)} ticks; target p99 < 50 ms)")
    print(f"  event-loop lateness idle window:    p50 {percentile(idle, 50):.1f} ms, "
          f"p99 {percentile(idle, 99):.1f} ms, max {max(idle, default=float('nan')):.1f} ms")
    print(f"  progress updates {statistics.median(r['updates_per_s'] for r in runs):.1f}/s, plot redraws "
          f"{statistics.median(r['redraws_per_s'] for r in runs):.1f}/s, GUI thread CPU "
          f"{100 * statistics.median(r['gui_cpu_share'] for r in runs):.0f}% of training time")
    print(f"  Stop -> run ended: {', '.join(f'{1000 * s:.0f} ms' for s in stops)} (target < 500 ms)")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
