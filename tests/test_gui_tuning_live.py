"""The Tune tab stays true while the layout and the study change: the history plot shows every
trial after the settings return, counts follow other workers, and nothing moves under the mouse."""

from __future__ import annotations

import random

import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import QPointF, QRectF, Qt  # noqa: E402

from nnstudio.tuning import TuneSettings, create_study  # noqa: E402
from test_gui_tuning import RUN_TIMEOUT_MS, make_tab, open_existing, start_and_wait  # noqa: E402,F401
from tuning_fixtures import add_scored_trials, iris_config, small_space  # noqa: E402


def scored_study(name: str, n: int, seed: int = 0):
    tuning = create_study(None, name, iris_config(), small_space(), TuneSettings(epochs=2, pruner="none"))
    rng = random.Random(seed)
    add_scored_trials(tuning, [(rng.uniform(0.3, 0.95), 0.5) for _ in range(n)])
    return tuning


def whole_plot_shown(qtbot, plot, numbers: list[int], best: int) -> None:
    """The plot's scene is the widget (nothing drawn past its edges), the view spans every trial,
    the best trial's point is inside the widget, and so is the legend."""
    item = plot.getPlotItem()
    box = item.getViewBox()
    widget = QRectF(plot.rect())
    qtbot.waitUntil(lambda: item.geometry().width() <= widget.width() + 0.5
                    and item.geometry().height() <= widget.height() + 0.5, timeout=3000)
    plot.grab()  # a paint: pyqtgraph brings an auto range up to date before painting
    (x0, x1), _ = box.viewRange()
    assert x0 <= min(numbers) and x1 >= max(numbers), (x0, x1, numbers)
    xs, ys = plot.values.getData()
    i = list(xs).index(best)
    point = plot.mapFromScene(box.mapViewToScene(QPointF(xs[i], ys[i])))
    assert widget.contains(QPointF(point)), (point, widget)
    assert box.sceneBoundingRect().right() <= widget.right() + 0.5
    legend = plot.legend.sceneBoundingRect()
    assert widget.contains(legend), (legend, widget)


def test_history_shows_every_trial_when_the_settings_return_after_a_run(qtbot, make_tab):
    scored_study("gui-history", 40)
    tab = make_tab(iris_config())
    tab.resize(1100, 700)  # side by side with and without the settings: the plots narrow when they return
    tab.show()
    qtbot.waitExposed(tab)
    open_existing(qtbot, tab, "gui-history", 40)
    tab.nTrialsSpin.setValue(1)
    start_and_wait(qtbot, tab)  # the settings hide while it runs and return after it
    assert not tab.settingsPanel.isHidden() and tab.trialsTable.rowCount() == 41
    snapshot = tab.snapshot()
    numbers = [r.number for r in snapshot.rows if r.state == "COMPLETE"]
    whole_plot_shown(qtbot, tab.historyPlot, numbers, snapshot.best().number)
    # a narrower plot still shows everything: the legend re-flows and the plot follows it
    for width in (330, 250, 180):
        tab.historyPlot.setFixedWidth(width)
        qtbot.waitUntil(lambda w=width: tab.historyPlot.width() == w)
        whole_plot_shown(qtbot, tab.historyPlot, numbers, snapshot.best().number)
