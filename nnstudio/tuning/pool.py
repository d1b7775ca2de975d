"""Worker processes on this machine: ``python -m nnstudio.tuning trials|confirm ...`` children.

The launcher (the command line or the tuning tab) creates the study, then starts K children
that join it through its storage, exactly as a worker on another machine would.  The storage
URL reaches a child through the environment variable :data:`STORAGE_ENV`, never its command
line, which any local user can read (``ps``, ``/proc/PID/cmdline``) and which may hold a
database password.  Separate
processes keep the window responsive and use every core (NumPy-heavy Python code does not run
in parallel in threads).  Each child uses one BLAS thread, so K children use K cores.

Stopping: :meth:`WorkerPool.stop` sends SIGINT (SIGTERM-like ``terminate`` on Windows); a
child sets its stop flag, aborts its trial (which ends as FAIL) and exits.  Children also stop
on their own if the launcher dies.  :meth:`WorkerPool.release_trials` marks FAIL any trial
still RUNNING under a child that has exited (killed hard), so nothing is left RUNNING.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import optuna

from ..compute import child_env, cpu_count
from .worker import fail_trials_of_workers, host_pid

STORAGE_ENV = "NNSTUDIO_WORKER_STORAGE"   # the study's storage URL, for a child only


def default_workers() -> int:
    """One worker per CPU this process may use."""
    return cpu_count()


def worker_command(study_name: str, *, worker_index: int = 0, parent_pid: int | None = None,
                   timeout: float | None = None, max_trials: int | None = None, confirm: bool = False) -> list[str]:
    """The command line of one worker process (``confirm``: one that runs its share of the
    study's confirmation plan instead of trials, :mod:`~nnstudio.tuning.confirm`).  It holds no
    storage URL: see :func:`worker_env`."""
    cmd = [sys.executable, "-m", "nnstudio.tuning", "confirm" if confirm else "trials", "--study", study_name,
           "--index", str(worker_index)]
    if parent_pid is not None:
        cmd += ["--parent-pid", str(parent_pid)]
    if timeout is not None:
        cmd += ["--timeout", f"{timeout:g}"]
    if max_trials is not None:
        cmd += ["--trials", str(max_trials)]
    return cmd


def worker_env(storage_url: str | None = None) -> dict[str, str]:
    """The environment of a child: one BLAS thread, this copy of nnstudio importable, and the
    storage URL (when given) in :data:`STORAGE_ENV`."""
    env = child_env()
    root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    env.pop(STORAGE_ENV, None)
    if storage_url is not None:
        env[STORAGE_ENV] = storage_url
    return env


@dataclass
class _Child:
    index: int
    process: subprocess.Popen
    log: IO[bytes]

    @property
    def worker_id(self) -> str:
        return host_pid(self.process.pid)


class WorkerPool:
    """K joining worker processes for study ``study_name`` in ``storage_url``."""

    def __init__(self, storage_url: str, study_name: str, n_workers: int, *, timeout: float | None = None,
                 max_trials_each: int | None = None, first_index: int = 0, confirm: bool = False):
        self.storage_url = storage_url
        self.study_name = study_name
        self.n_workers = n_workers
        self.timeout = timeout
        self.max_trials_each = max_trials_each
        self.first_index = first_index
        self.confirm = confirm
        self.children: list[_Child] = []

    def start(self) -> None:
        env = worker_env(self.storage_url)
        for i in range(self.n_workers):
            index = self.first_index + i
            log = tempfile.TemporaryFile(prefix="nnstudio-worker-")
            cmd = worker_command(self.study_name, worker_index=index, parent_pid=os.getpid(), timeout=self.timeout,
                                 max_trials=self.max_trials_each, confirm=self.confirm)
            # A new session: Ctrl-C in the terminal reaches the launcher only, which then
            # stops the children itself, once.
            kwargs = {"start_new_session": True} if os.name == "posix" else {}
            process = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                       stderr=log, **kwargs)
            self.children.append(_Child(index, process, log))

    @property
    def pids(self) -> list[int]:
        return [c.process.pid for c in self.children]

    def alive(self) -> int:
        return sum(c.process.poll() is None for c in self.children)

    def stop(self) -> None:
        """Ask every child to abort its trial and exit."""
        for c in self.children:
            if c.process.poll() is None:
                try:
                    if os.name == "posix":
                        c.process.send_signal(signal.SIGINT)
                    else:
                        c.process.terminate()
                except ProcessLookupError:
                    pass

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for every child to exit; False if some are still running after ``timeout`` s."""
        for c in self.children:
            try:
                c.process.wait(timeout)
            except subprocess.TimeoutExpired:
                return False
        return True

    def kill(self) -> None:
        for c in self.children:
            if c.process.poll() is None:
                c.process.kill()
        for c in self.children:
            c.process.wait()

    def release_trials(self, study: optuna.Study) -> list[int]:
        """Mark FAIL the RUNNING trials of children that have exited; their numbers."""
        gone = [c.worker_id for c in self.children if c.process.poll() is not None]
        if not gone:
            return []
        return fail_trials_of_workers(study, gone, "The worker process ended during this trial.")

    def errors(self) -> list[str]:
        """One line per child that exited with an error: its exit status and last stderr line."""
        out = []
        for c in self.children:
            code = c.process.poll()
            if code in (None, 0, 130) or (os.name == "posix" and code == -signal.SIGINT):
                continue
            out.append(f"worker {c.index} (pid {c.process.pid}) exited with status {code}"
                       + (f": {tail}" if (tail := self._last_line(c)) else ""))
        return out

    @staticmethod
    def _last_line(child: _Child) -> str:
        try:
            child.log.seek(0)
            lines = [l for l in child.log.read().decode("utf-8", "replace").splitlines() if l.strip()]
        except (OSError, ValueError):
            return ""
        return lines[-1].strip() if lines else ""

    def close(self) -> None:
        for c in self.children:
            try:
                c.log.close()
            except OSError:
                pass
