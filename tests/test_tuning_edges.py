"""Tuning at its edges: a killed worker's trial never stays RUNNING, a lost worker does not fail a
run whose trials completed, and a binary search-space file is a one-line error."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import threading
import time
from contextlib import closing

import optuna
import pytest
from optuna.trial import TrialState

from nnstudio.cli import main
from nnstudio.files import save_experiment
from nnstudio.tuning import TuneSettings, WorkerPool, create_study, open_study
from tuning_fixtures import iris_config, small_space

SLOW = TuneSettings(epochs=100000, pruner="none", early_stopping=False, heartbeat_interval=1, grace_period=2)


@pytest.fixture
def url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'studies.db'}"


def wait_for(predicate, timeout: float, what: str) -> None:
    """Poll ``predicate`` (a storage query) until it holds; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def stored_states(url: str, name: str) -> list[TrialState]:
    """Trial states as stored, read without heartbeats (reading changes nothing)."""
    return [t.state for t in optuna.load_study(study_name=name, storage=url).get_trials(deepcopy=False)]


def kill_the_only_worker(url: str, name: str) -> None:
    """Start one worker on a slow study and kill -9 it in the middle of its trial; nobody releases it."""
    tuning = create_study(url, name, iris_config(epochs=100000, early_stopping=False), small_space(), SLOW)
    tuning.set_target(5)
    pool = WorkerPool(tuning.storage_url, name, 1)
    pool.start()
    try:
        wait_for(lambda: any("worker" in t.user_attrs for t in tuning.study.get_trials(
            deepcopy=False, states=(TrialState.RUNNING,))), 60, "the worker to start a trial")
        victim = pool.children[0].process
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait(10)
    finally:
        pool.kill()
        pool.close()
    assert stored_states(url, name) == [TrialState.RUNNING]


def test_opening_a_study_fails_the_trial_of_a_killed_worker(url):
    kill_the_only_worker(url, "lost")
    # the grace period (2 s) must pass before the trial counts as stale; each poll opens the study
    wait_for(lambda: [t.state for t in open_study(url, "lost", heartbeat=False).trials()] == [TrialState.FAIL],
             30, "opening the study to fail the stale trial")


def test_listing_studies_fails_the_trial_of_a_killed_worker(url, capsys):
    kill_the_only_worker(url, "lost")

    def listed() -> bool:
        assert main(["tune", "--list", "--storage", url]) == 0
        return stored_states(url, "lost") == [TrialState.FAIL]

    wait_for(listed, 30, "listing the studies to fail the stale trial")
    assert "Marked trials 0 of 'lost' FAIL: their worker stopped sending heartbeats" in capsys.readouterr().err


def test_a_killed_worker_does_not_fail_a_run_whose_trials_completed(tmp_path, url, capsys):
    config = tmp_path / "iris.json"
    save_experiment(config, iris_config())
    killed = []

    def kill_one_worker() -> None:
        def worker_pids():
            # plain read-only SQL: opening the store through optuna before the command has made it
            # would race with the command creating the tables
            try:
                with closing(sqlite3.connect(f"file:{tmp_path / 'studies.db'}?mode=ro", uri=True)) as con:
                    rows = con.execute("SELECT a.value_json FROM trial_user_attributes a JOIN trials t "
                                       "ON a.trial_id = t.trial_id WHERE a.key = 'worker' "
                                       "AND t.state = 'RUNNING'").fetchall()
            except sqlite3.Error:
                return []
            return [int(json.loads(value).rsplit(":", 1)[1]) for (value,) in rows]

        wait_for(lambda: len(worker_pids()) >= 1, 120, "a worker to start a trial")
        pid = worker_pids()[0]
        os.kill(pid, signal.SIGKILL)
        killed.append(pid)

    killer = threading.Thread(target=kill_one_worker)
    killer.start()
    try:
        status = main(["tune", str(config), "--trials", "6", "--epochs", "150", "--workers", "2", "--storage", url,
                       "--study", "two", "--pruner", "none", "--no-test", "--confirm", "0",
                       "--output", str(tmp_path / "best.json")])
    finally:
        killer.join(150)
    err = capsys.readouterr().err
    assert killed and f"(pid {killed[0]}) exited with status -9" in err
    states = stored_states(url, "two")
    assert states.count(TrialState.COMPLETE) == 6 and TrialState.RUNNING not in states
    assert status == 0, err


def test_a_binary_space_file_is_a_one_line_error(tmp_path, capsys):
    config = tmp_path / "iris.json"
    save_experiment(config, iris_config())
    (tmp_path / "space.json").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe")
    assert main(["tune", str(config), "--space", str(tmp_path / "space.json"), "--trials", "1"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "space.json: is not a text file (undecodable byte at offset 0)" in err


def test_a_deeply_nested_space_file_is_a_one_line_error(tmp_path, capsys):
    config = tmp_path / "iris.json"
    save_experiment(config, iris_config())
    (tmp_path / "space.json").write_text("[" * 100_000 + "]" * 100_000)
    assert main(["tune", str(config), "--space", str(tmp_path / "space.json"), "--trials", "1"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "not a search space (RecursionError" in err
