"""The run folder holds exactly one whole run, whatever happens: killed mid-save, SIGTERM, a used folder."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from nnstudio.files import load_experiment, load_model
from nnstudio.presets import load_preset
from test_cli import TIMEOUT_S, _env, _wait_for_line, nnstudio

PAUSE_ENV = "NNSTUDIO_PAUSE_AT"  # nnstudio.run_folder.PAUSE_ENV
RUN_FILES = ["config.json", "history.csv", "metrics.json", "model.npz"]
SAVE_STEPS = ["config.json", "history.csv", "metrics.json", "model.npz", "exchanged"]


def read_run(folder: Path) -> int:
    """Check ``folder`` holds one complete, consistent run; return its seed."""
    assert sorted(os.listdir(folder)) == RUN_FILES
    cfg = load_experiment(folder / "config.json")
    model = load_model(folder / "model.npz")
    metrics = json.loads((folder / "metrics.json").read_text())
    with open(folder / "history.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert model.config.seed == cfg.seed and model.info["metrics"] == metrics
    assert len(rows) == metrics["epochs_run"] == cfg.epochs
    return cfg.seed


def start_train(cwd: Path, *args: str, pause_at: str | None = None) -> subprocess.Popen:
    env = _env()
    if pause_at:
        env[PAUSE_ENV] = pause_at
    return subprocess.Popen([sys.executable, "-m", "nnstudio", "train", *args], cwd=cwd, env=env,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, bufsize=0)


def finish(proc: subprocess.Popen) -> tuple[bytes, bytes]:
    try:
        return proc.communicate(timeout=TIMEOUT_S)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def test_kill_9_during_save_leaves_exactly_one_run(tmp_path):
    """Kill ``train`` at each step of saving over a previous run: the folder is the old run until the
    new one is in place, then the new one; never a mix, never a temporary file inside."""
    assert nnstudio("train", "--preset", "moons", "--epochs", "3", "--seed", "1", "--out", "run",
                    cwd=tmp_path).returncode == 0
    assert read_run(tmp_path / "run") == 1
    for step in SAVE_STEPS:
        proc = start_train(tmp_path, "--preset", "moons", "--epochs", "4", "--seed", "2", "--out", "run",
                           pause_at=step)
        try:
            _wait_for_line(proc, f"paused at {step}".encode(), TIMEOUT_S)
            proc.send_signal(signal.SIGKILL)
        finally:
            finish(proc)
        assert proc.returncode == -signal.SIGKILL
        expected = 2 if step == "exchanged" else 1
        assert read_run(tmp_path / "run") == expected, step
        if step == "exchanged":
            break
        litter = [name for name in os.listdir(tmp_path) if name != "run"]
        assert litter and all(name.startswith(".run.nnstudio-new-") for name in litter)
    # the next run into the folder clears what the killed ones left beside it
    assert nnstudio("train", "--preset", "moons", "--epochs", "5", "--seed", "3", "--out", "run",
                    cwd=tmp_path).returncode == 0
    assert os.listdir(tmp_path) == ["run"] and read_run(tmp_path / "run") == 3


def test_sigterm_saves_like_ctrl_c(tmp_path):
    cfg = load_preset("moons").replace(epochs=1_000_000, early_stopping=False, log_every=1)
    (tmp_path / "long.json").write_text(cfg.to_json())
    proc = start_train(tmp_path, "long.json", "--out", "run")
    try:
        early = _wait_for_line(proc, b"epoch 3/", TIMEOUT_S)
        proc.send_signal(signal.SIGTERM)
        stdout, rest = proc.communicate(timeout=TIMEOUT_S)
    finally:
        finish(proc)
    stderr = (early + rest).decode()
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr and "interrupted at epoch" in stderr
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["stop_reason"] == "stopped" and metrics["epochs_run"] >= 3
    assert sorted(os.listdir(tmp_path / "run")) == RUN_FILES and os.listdir(tmp_path) == ["long.json", "run"]


def test_a_folder_with_other_files_needs_force(tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    result = nnstudio("train", "--preset", "moons", "--epochs", "2", "--out", "mine", cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert ("--out mine: holds files that are not an nnstudio run ('notes.txt'); choose a new or empty folder, "
            "or add --force") in result.stderr
    assert os.listdir(tmp_path / "mine") == ["notes.txt"] and sorted(os.listdir(tmp_path)) == ["mine"]
    result = nnstudio("train", "--preset", "moons", "--epochs", "2", "--out", "mine", "--force", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert read_run(tmp_path / "mine") == 0 and sorted(os.listdir(tmp_path)) == ["mine"]


def test_an_empty_folder_and_a_run_folder_are_used_without_force(tmp_path):
    from nnstudio.run_folder import RunFolder

    (tmp_path / "empty").mkdir()
    folder = RunFolder(tmp_path / "empty", tuple(RUN_FILES))
    (folder.path / "config.json").write_text("{}")
    folder.commit()
    assert sorted(os.listdir(tmp_path)) == ["empty"] and os.listdir(tmp_path / "empty") == ["config.json"]
    RunFolder(tmp_path / "empty", tuple(RUN_FILES)).discard()  # a run folder is accepted as it is
    assert sorted(os.listdir(tmp_path)) == ["empty"]


def test_a_run_left_aside_by_a_killed_two_rename_save_is_moved_back(tmp_path):
    """Where the atomic exchange is missing, the previous run is renamed aside first; if the process
    dies right then, the next run into the folder puts it back before anything else."""
    from nnstudio.run_folder import _clean_siblings

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    pid = int(dead.stdout)
    aside = tmp_path / f".run.nnstudio-old-{pid}-abc"
    aside.mkdir()
    (aside / "config.json").write_text("{}")
    new = tmp_path / f".run.nnstudio-new-{pid}-abc"
    new.mkdir()
    _clean_siblings(tmp_path / "run")
    assert sorted(os.listdir(tmp_path)) == ["run"] and os.listdir(tmp_path / "run") == ["config.json"]


def test_a_save_by_another_live_process_is_left_alone(tmp_path):
    from nnstudio.run_folder import _clean_siblings

    busy = tmp_path / f".run.nnstudio-new-{os.getppid()}-abc"
    busy.mkdir()
    _clean_siblings(tmp_path / "run")
    assert busy.exists()


@pytest.mark.parametrize("out", ["file.txt"])
def test_out_naming_a_file_is_refused(tmp_path, out):
    (tmp_path / out).write_text("x")
    result = nnstudio("train", "--preset", "moons", "--epochs", "2", "--out", out, cwd=tmp_path)
    assert result.returncode == 2 and f"--out {out}: is a file; give a folder" in result.stderr


def test_without_the_atomic_exchange_two_renames_replace_the_run(tmp_path, monkeypatch):
    import nnstudio.run_folder as run_folder

    monkeypatch.setattr(run_folder, "_exchange", lambda a, b: False)  # a system without renameat2
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "config.json").write_text("old")
    folder = run_folder.RunFolder(tmp_path / "run", tuple(RUN_FILES))
    (folder.path / "config.json").write_text("new")
    folder.commit()
    assert os.listdir(tmp_path) == ["run"] and (tmp_path / "run" / "config.json").read_text() == "new"
