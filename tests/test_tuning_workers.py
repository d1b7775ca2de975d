"""Worker processes start through the tuning layer, with the storage URL out of their command line,
and one loop (:func:`nnstudio.tuning.run_pool`) stops them, killing any that hang."""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from nnstudio.tuning import StopFlag, WorkerPool, run_pool
from nnstudio.tuning.pool import STORAGE_ENV, _Child, worker_command, worker_env

SECRET = "s3cret-Pa55"


@pytest.fixture
def silent_server():
    """A TCP port that accepts connections and never answers: a database client waits on it."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    yield server.getsockname()[1]
    server.close()


def _command_line(pid: int, timeout: float = 10.0) -> list[bytes]:
    """The process's arguments once its exec has set them up.

    Popen returns when the close-on-exec pipe closes, which the kernel does before it places the
    new program's arguments, so for a moment /proc/PID/cmdline reads empty."""
    deadline = time.monotonic() + timeout
    while True:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
        if raw or time.monotonic() > deadline:
            return raw.split(b"\0")
        time.sleep(0.005)


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="needs /proc")
def test_a_real_worker_keeps_the_password_out_of_its_command_line(silent_server):
    url = f"postgresql+psycopg2://tuner:{SECRET}@127.0.0.1:{silent_server}/studies"
    pool = WorkerPool(url, "private", 1)
    pool.start()
    try:
        cmdline = _command_line(pool.pids[0])
        assert cmdline[1:5] == [b"-m", b"nnstudio.tuning", b"trials", b"--study"]
        assert not any(SECRET.encode() in arg or b"postgresql" in arg for arg in cmdline), cmdline
        assert pool.wait(60), "the worker did not give up on the silent server"
        errors = pool.errors()
    finally:
        pool.kill()
        pool.close()
    # It got the URL (from the environment) and says which server it could not reach, masked.
    assert len(errors) == 1 and "cannot connect to postgresql+psycopg2://tuner:***@127.0.0.1" in errors[0], errors
    assert SECRET not in errors[0]


def test_the_worker_command_and_environment():
    cmd = worker_command("s", worker_index=3, parent_pid=7, timeout=2.5, max_trials=4, confirm=True)
    assert cmd[1:] == ["-m", "nnstudio.tuning", "confirm", "--study", "s", "--index", "3", "--parent-pid", "7",
                       "--timeout", "2.5", "--trials", "4"]
    env = worker_env("sqlite:///x.db")
    assert env[STORAGE_ENV] == "sqlite:///x.db" and env["OPENBLAS_NUM_THREADS"] == "1"
    assert STORAGE_ENV not in worker_env()


def test_a_worker_without_a_storage_url_says_so():
    env = worker_env()
    result = subprocess.run(worker_command("s"), env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr.strip() == f"nnstudio worker: error: {STORAGE_ENV} holds no storage URL"


_STUBBORN = """
import signal, sys, time
signal.signal(signal.SIGINT, signal.SIG_IGN)
print("ready", flush=True)
while True:
    time.sleep(1)
"""


class _StubbornPool(WorkerPool):
    """Children that ignore the stop request (SIGINT), as a hung worker would."""

    def start(self) -> None:
        for index in range(self.n_workers):
            process = subprocess.Popen([sys.executable, "-c", _STUBBORN], stdout=subprocess.PIPE,
                                       stdin=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            assert process.stdout.readline() == b"ready\n"  # SIGINT is ignored from here on
            self.children.append(_Child(index, process, tempfile.TemporaryFile()))


def test_run_pool_kills_children_that_ignore_the_stop_request():
    pool = _StubbornPool("sqlite:///unused.db", "s", 2)
    stop = StopFlag()
    stop.set()
    polls, stopping = [], []
    started = time.monotonic()
    end = run_pool(pool, stop, on_poll=lambda: polls.append(1), on_stopping=lambda: stopping.append(1),
                   poll_s=0.05, grace=0.5)
    took = time.monotonic() - started
    assert end.killed and end.released == ()
    assert all(c.process.returncode is not None for c in pool.children)
    assert 0.5 <= took < 0.5 + 10 and stopping == [1] and polls  # polled while waiting out the grace


def test_the_storage_can_come_from_the_environment(tmp_path):
    url = f"sqlite:///{tmp_path / 'env.db'}"
    env = dict(worker_env(), NNSTUDIO_STORAGE=url)
    result = subprocess.run([sys.executable, "-m", "nnstudio", "tune", "--list"], env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"No studies in {url}"
