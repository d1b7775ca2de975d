"""Workers in separate processes sharing one study over PostgreSQL, as on several machines.

Needs a PostgreSQL database: set ``NNSTUDIO_TEST_POSTGRES_URL`` to a SQLAlchemy URL such as
``postgresql+psycopg2://user:password@127.0.0.1:5432/nnstudio_test`` (``.ci/run`` does).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import replace

import pytest
from optuna.trial import TrialState
from sqlalchemy.engine import make_url

from nnstudio.cli import main
from nnstudio.tuning import (StorageError, StudyNotFoundError, TuneSettings, create_study,
                             delete_study, open_storage, open_study)
from nnstudio.tuning.pool import worker_env
from nnstudio.tuning.worker import host_pid
from tuning_fixtures import iris_config, small_space

POSTGRES_URL = os.environ.get("NNSTUDIO_TEST_POSTGRES_URL", "")

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not POSTGRES_URL, reason="NNSTUDIO_TEST_POSTGRES_URL is not set (a SQLAlchemy URL of a "
                                                "PostgreSQL database, e.g. postgresql+psycopg2://user:pw@host/db)"),
]

PROCESS_TIMEOUT_S = 120
# Short heartbeats so a killed worker's trial is failed within seconds.
SETTINGS = TuneSettings(epochs=30, sampler="tpe", pruner="none", heartbeat_interval=1, grace_period=3)


@pytest.fixture
def study_name():
    name = f"dist-{uuid.uuid4().hex[:10]}"
    yield name
    try:
        delete_study(open_storage(POSTGRES_URL), name)
    except StudyNotFoundError:
        pass


def join(name: str) -> subprocess.Popen:
    """``nnstudio tune --join`` in a new process, as a user on another machine would start it."""
    cmd = [sys.executable, "-m", "nnstudio", "tune", "--join", "--storage", POSTGRES_URL, "--study", name]
    return subprocess.Popen(cmd, env=worker_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def finish(processes: list[subprocess.Popen]) -> list[str]:
    """Wait for the processes (killing them on timeout); their outputs."""
    outputs = []
    try:
        for p in processes:
            out, _ = p.communicate(timeout=PROCESS_TIMEOUT_S)
            outputs.append(out)
    finally:
        for p in processes:
            if p.poll() is None:
                p.kill()
                p.wait()
    return outputs


def wait_for(predicate, timeout: float, what: str) -> None:
    """Poll ``predicate`` (a database query) until it holds; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_two_workers_share_one_study_without_duplicates(study_name):
    # Trials of about half a second, so that both workers are busy at the same time.
    settings = replace(SETTINGS, epochs=150, early_stopping=False)
    tuning = create_study(POSTGRES_URL, study_name, iris_config(), small_space(), settings)
    tuning.set_target(8)
    workers = [join(study_name), join(study_name)]
    outputs = finish(workers)
    assert [w.returncode for w in workers] == [0, 0], outputs

    trials = open_study(POSTGRES_URL, study_name, heartbeat=False).trials()
    assert sorted(t.number for t in trials) == list(range(8))
    assert all(t.state in (TrialState.COMPLETE, TrialState.PRUNED) for t in trials)
    assert {t.user_attrs["worker"] for t in trials} == {host_pid(w.pid) for w in workers}
    assert len({tuple(sorted(t.params.items())) for t in trials}) == 8


def test_a_killed_worker_does_not_stall_the_study(study_name):
    # Trials of about a second: long enough to kill a worker in the middle of one.
    settings = replace(SETTINGS, epochs=400, early_stopping=False)
    tuning = create_study(POSTGRES_URL, study_name, iris_config(), small_space(), settings)
    tuning.set_target(3)
    victim, survivor = join(study_name), join(study_name)
    try:
        victim_id = host_pid(victim.pid)
        wait_for(lambda: any(t.user_attrs.get("worker") == victim_id for t in tuning.trials(
            states=(TrialState.RUNNING,))), 60, "the victim to start a trial")
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait(10)
    finally:
        outputs = finish([victim, survivor])
    assert survivor.returncode == 0, outputs[1]

    trials = open_study(POSTGRES_URL, study_name, heartbeat=False).trials()
    assert not [t for t in trials if t.state == TrialState.RUNNING]
    killed = [t for t in trials if t.user_attrs.get("worker") == victim_id and t.state == TrialState.FAIL]
    assert killed, "the killed worker's trial was not failed"
    finished = [t for t in trials if t.state in (TrialState.COMPLETE, TrialState.PRUNED)]
    assert len(finished) == 3
    assert len({t.number for t in trials}) == len(trials)


def test_bad_credentials_and_unknown_studies_get_one_line_messages(study_name, capsys):
    url = make_url(POSTGRES_URL).set(password="definitely-wrong").render_as_string(hide_password=False)
    with pytest.raises(StorageError, match="cannot connect") as info:
        open_storage(url)
    assert "definitely-wrong" not in str(info.value) and "\n" not in str(info.value)
    assert main(["tune", "--join", "--storage", POSTGRES_URL, "--study", study_name]) == 2
    err = capsys.readouterr().err.strip()
    assert f"no study named {study_name!r}" in err and len(err.splitlines()) == 1
