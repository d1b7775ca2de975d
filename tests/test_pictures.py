"""Headless pictures: axes, line charts and heat maps drawn without a window, and nnstudio compare
finishing without Qt at all."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from nnstudio.pictures import HeatMap, LineChart, Mark, Series, render_png
from nnstudio.pictures.axes import Scale, data_range, log_ticks, nice_step
from nnstudio.pictures.render import HEAT_COLORS, MARGINS, heat_color

REPO_ROOT = Path(__file__).resolve().parents[1]


def test_nice_steps_and_log_ticks():
    assert [nice_step(x) for x in (0.013, 0.2, 0.31, 4.9, 7)] == pytest.approx([0.02, 0.2, 0.5, 5, 10])
    assert log_ticks(1e-4, 0.2) == pytest.approx([1e-4, 1e-3, 1e-2, 1e-1, 1.0])
    assert log_ticks(0.15, 0.9) == pytest.approx([0.1, 0.2, 0.5, 1, 2, 5])  # callers keep those inside


def test_scales_map_ends_and_decades_exactly():
    s = Scale(0.0, 10.0, False, 100.0, 300.0)
    assert s(0.0) == 100 and s(10.0) == 300 and s(2.5) == 150
    log = Scale(1e-3, 1e-1, True, 400.0, 0.0)  # a y axis: larger values higher up
    assert log(1e-3) == pytest.approx(400) and log(1e-2) == pytest.approx(200) and log(1e-1) == pytest.approx(0)
    assert math.isnan(log(0.0)) and np.isnan(log.many(np.array([-1.0, 1e-2])))[0]
    assert [t for t, _ in log.ticks()] == pytest.approx([1e-3, 1e-2, 1e-1])
    assert data_range([np.array([1e-3, np.nan, 1e-1, -5.0])], log=True, pad=0) == pytest.approx((1e-3, 1e-1))


def _rgb(image, x: float, y: float) -> tuple[int, int, int]:
    c = image.pixelColor(int(round(x)), int(round(y)))
    return c.red(), c.green(), c.blue()


def _near(color: tuple[int, int, int], expected: tuple[int, int, int], tolerance: int = 40) -> bool:
    """Equal up to antialiasing at a line's edge."""
    return all(abs(a - b) <= tolerance for a, b in zip(color, expected))


def test_a_line_chart_draws_each_series_where_its_axes_say(tmp_path):
    from PySide6.QtGui import QImage

    x = np.arange(1, 11, dtype=float)
    chart = LineChart("Loss", "epoch", "loss", [Series("a", x, 10.0 ** -x / 1e-5, color="#ff0000"),
                                                Series("b", x, np.full(10, 1.0), color="#0000ff")],
                      log_y=True, marks=(Mark(x=5.0, label="here"),), legend=False, x_range=(1.0, 10.0))
    path = tmp_path / "chart.png"
    render_png([chart], path, 600, 400)
    image = QImage(str(path))
    assert (image.width(), image.height()) == (600, 400)
    left, top, right, bottom = MARGINS
    sx = Scale(1.0, 10.0, False, left, 600 - right)
    lo, hi = data_range([np.asarray(chart.series[0].y), np.full(10, 1.0)], log=True)
    sy = Scale(lo, hi, True, 400 - bottom, top)
    # the blue line is flat at y = 1; the red one falls a decade per epoch: a straight line on a log axis
    assert _near(_rgb(image, sx(7.5), sy(1.0)), (0, 0, 255))
    assert _near(_rgb(image, sx(2.5), sy(10.0 ** -2.5 / 1e-5)), (255, 0, 0))
    column = [_rgb(image, sx(5.0), y) for y in range(top + 40, 400 - bottom - 20)]
    greenish = [g > r + 40 and g > b + 40 for r, g, b in column]  # the mark's green, blended at its edges
    assert sum(greenish) > len(column) / 3  # the dashed mark at epoch 5


def test_a_heat_map_colours_its_cells_and_draws_the_path(tmp_path):
    from PySide6.QtGui import QImage

    x, y = np.linspace(-1, 1, 5), np.linspace(-1, 1, 4)
    values = np.add.outer(y, x)  # lowest at the bottom left, highest at the top right
    chart = HeatMap("Surface", "w1", "w2", values, x, y, path=([-0.5, 0.0, 0.5], [-0.5, 0.0, 0.5]))
    path = tmp_path / "heat.png"
    render_png([chart], path, 500, 400)
    image = QImage(str(path))
    left, top, right, bottom = MARGINS
    sx = Scale(-1.25, 1.25, False, left, 500 - right - 70)
    sy = Scale(-4 / 3, 4 / 3, False, 400 - bottom, top)
    assert _rgb(image, sx(-1.0), sy(-1.0)) == heat_color(0.0) == tuple(int(HEAT_COLORS[0][k:k + 2], 16) for k in (1, 3, 5))
    assert _rgb(image, sx(1.0), sy(1.0)) == heat_color(1.0)
    assert _near(_rgb(image, sx(-0.5), sy(-0.5)), (214, 39, 40))  # the path's start point


_WITHOUT_QT = """
import json, sys
sys.modules["PySide6"] = None  # as if PySide6 were not installed
from nnstudio.cli import main
status = main(sys.argv[1:])
print(json.dumps({"status": status, "gui": sorted(m for m in sys.modules if m.startswith("nnstudio.gui")),
                  "qt": sorted(m for m in sys.modules if m.startswith(("PySide6.", "pyqtgraph")))}))
"""


def test_compare_without_qt_finishes_and_names_the_skipped_pictures(tmp_path):
    from nnstudio.files import save_experiment
    from nnstudio.presets import load_preset

    save_experiment(tmp_path / "exp.json", load_preset("xor").replace(epochs=3))
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
    env.pop("QT_QPA_PLATFORM", None)
    env.pop("DISPLAY", None)
    result = subprocess.run([sys.executable, "-c", _WITHOUT_QT, "compare", str(tmp_path / "exp.json"), "--vary",
                             "depth", "--max-depth", "2", "--seeds", "1", "--out", str(tmp_path / "out")],
                            capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report == {"status": 0, "gui": [], "qt": []}, result.stderr
    skipped = [line for line in result.stderr.splitlines() if "skipped" in line]
    assert skipped == ["nnstudio compare: skipped curves.png and depth.png: PySide6 cannot be imported "
                       "(import of PySide6 halted; None in sys.modules)"], result.stderr
    assert "Traceback" not in result.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["depth.csv", "depth.json", "summary.csv",
                                                                   "summary.json"]
