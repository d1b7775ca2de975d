"""The end of a tuning run follows the end of its work: the launcher's loop notices its workers'
exit at once, however seldom it reads the study, and rating importances (whose first call imports
scikit-learn, seconds of work) never holds up the loop that shows progress and ends the run."""

from __future__ import annotations

import threading
import time

import pytest

from nnstudio.tuning import StopFlag, TuneSettings, WorkerPool, create_study, param_importances, run_pool
from tuning_fixtures import add_scored_trials, iris_config, small_space

POLL_S = 60.0  # the study is read this seldom in the first test: longer than the whole run may take


def test_the_run_ends_when_its_workers_exit_not_at_the_next_read_of_the_study(tmp_path):
    url = f"sqlite:///{tmp_path / 's.db'}"
    tuning = create_study(url, "end", iris_config(), small_space(), TuneSettings(epochs=3, pruner="none"))
    tuning.set_target(2)
    reads = []
    started = time.monotonic()
    end = run_pool(WorkerPool(url, "end", 1), StopFlag(), study=tuning.study, on_poll=lambda: reads.append(1),
                   poll_s=POLL_S)
    took = time.monotonic() - started
    states = [t.state.name for t in tuning.trials()]
    assert states == ["COMPLETE", "COMPLETE"] and end.errors == () and not end.killed
    assert reads == []          # the study was never read: the run ended before the first read was due
    assert took < POLL_S / 2    # a worker's start-up and two 3-epoch trials, not a poll interval


@pytest.fixture
def scored(tmp_path):
    tuning = create_study(f"sqlite:///{tmp_path / 's.db'}", "rated", iris_config(), small_space(), TuneSettings())
    add_scored_trials(tuning, [(0.5 + 0.08 * i, 1.0 - 0.1 * i) for i in range(5)])
    return tuning


def test_importances_are_rated_beside_the_poll_and_the_last_snapshot_says_how_stale_they_are(scored, monkeypatch):
    pytest.importorskip("PySide6")
    from nnstudio.gui.tune import worker as tune_worker

    release, rating_threads = threading.Event(), []
    real = tune_worker.rate_importances

    def held_rating(trials, direction):  # the real rating, once the test lets it go on
        rating_threads.append(threading.current_thread())
        assert release.wait(30)
        return real(trials, direction)

    monkeypatch.setattr(tune_worker, "rate_importances", held_rating)
    snapshots = []
    watcher = tune_worker._Watcher(scored, snapshots.append)
    watcher.poll()                 # starts a rating and returns while it is held
    watcher.poll(final=True)       # the run's last snapshot does not wait for it either
    assert [s.importances for s in snapshots] == [{}, {}]
    assert snapshots[-1].rated_complete == 0 and snapshots[-1].count("COMPLETE") == 5
    assert rating_threads and threading.current_thread() not in rating_threads

    release.set()
    rating_threads[0].join(30)
    watcher.poll()                 # the next read takes the rating's result
    assert snapshots[-1].importances == param_importances(scored.study) != {}
    assert snapshots[-1].rated_complete == 5


def test_the_tabs_study_watch_rates_a_stale_snapshot_at_once(qtbot, scored):
    from dataclasses import replace

    from nnstudio.gui.tune.session import TuningSession
    from nnstudio.gui.tune.watch import StudyWatch
    from nnstudio.tuning import take_snapshot

    session = TuningSession()
    watch = StudyWatch(session.run_task, lambda: True)
    stale = replace(take_snapshot(scored), rated_complete=0)
    try:
        with qtbot.waitSignal(watch.changed, timeout=30_000) as blocker:
            watch.watch(scored.storage_url, stale)   # the read starts now, not at the timer's tick
        assert blocker.args[0].importances == param_importances(scored.study) != {}
    finally:
        watch.pause()
        session.shutdown()
