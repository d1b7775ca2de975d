"""The command line, end to end in subprocesses: train, predict, export, datasets, presets.

User errors end with exit status 2 and one line on stderr, never a traceback; Ctrl-C during
training still writes every run file.
"""

from __future__ import annotations

import csv
import json
import os
import selectors
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx.reference import ReferenceEvaluator

from nnstudio.cli import main
from nnstudio.data import DATASETS, load_dataset
from nnstudio.files import load_experiment, load_model
from nnstudio.presets import load_preset, preset_names

REPO_ROOT = Path(__file__).resolve().parents[1]
TIMEOUT_S = 120


def nnstudio(*args: str, cwd: Path, **popen) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "nnstudio", *args], cwd=cwd, env=_env(), capture_output=True,
                          text=True, timeout=TIMEOUT_S, **popen)


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    env.pop("COLUMNS", None)
    return env


def assert_user_error(result: subprocess.CompletedProcess, *fragments: str) -> None:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("nnstudio ") and ": error: " in last
    for fragment in fragments:
        assert fragment in last


def moons_csv(path: Path, columns=("x1", "x2", "target"), n: int = 60) -> Path:
    ds = load_dataset("moons", {"n_samples": n}, seed=11)
    table = {"x1": ds.X[:, 0], "x2": ds.X[:, 1], "target": ds.y}
    with open(path, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(columns)
        for i in range(n):
            writer.writerow([repr(float(table[c][i])) if c != "target" else int(table[c][i]) for c in columns])
    return path


@pytest.fixture(scope="module")
def moons_run(tmp_path_factory) -> Path:
    """A short moons training run, shared by the predict and export tests."""
    cwd = tmp_path_factory.mktemp("moons")
    result = nnstudio("train", "--preset", "moons", "--epochs", "30", "--log-every", "10", "--seed", "3",
                      "--out", "run", cwd=cwd)
    assert result.returncode == 0, result.stderr
    (cwd / "stderr.txt").write_text(result.stderr)
    (cwd / "stdout.txt").write_text(result.stdout)
    return cwd


# -- train ------------------------------------------------------------------------------------

def test_train_writes_the_run_folder(moons_run):
    run = moons_run / "run"
    assert sorted(p.name for p in run.iterdir()) == ["config.json", "history.csv", "metrics.json", "model.npz"]
    cfg = load_experiment(run / "config.json")
    assert cfg == load_preset("moons").replace(epochs=30, log_every=10, seed=3)
    metrics = json.loads((run / "metrics.json").read_text())
    for key in ("test_accuracy", "test_loss", "best_val_loss", "best_epoch", "epochs_run", "stop_reason", "seconds"):
        assert key in metrics
    assert "test_rmse" not in metrics
    with open(run / "history.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == metrics["epochs_run"]
    assert list(rows[0]) == ["epoch", "train_loss", "val_loss", "train_accuracy", "val_accuracy", "learning_rate",
                             "elapsed", "is_best", "grad_norm_layer1", "grad_norm_layer2", "grad_norm_output"]
    assert [int(r["epoch"]) for r in rows] == list(range(1, len(rows) + 1))
    best = min(rows, key=lambda r: float(r["val_loss"]))
    assert int(best["epoch"]) == metrics["best_epoch"]
    assert float(best["val_loss"]) == pytest.approx(metrics["best_val_loss"], rel=1e-6)
    model = load_model(run / "model.npz")
    assert model.info["metrics"]["test_accuracy"] == metrics["test_accuracy"]


def test_train_logs_every_n_epochs_and_reports(moons_run):
    stderr = (moons_run / "stderr.txt").read_text()
    epochs_logged = [int(line.split()[1].split("/")[0]) for line in stderr.splitlines() if line.startswith("epoch ")]
    metrics = json.loads((moons_run / "run" / "metrics.json").read_text())
    assert epochs_logged == [e for e in range(1, metrics["epochs_run"] + 1) if e == 1 or e % 10 == 0]
    bar_lines = [line for line in stderr.splitlines() if line.startswith("moons [")]  # the progress bar
    assert bar_lines[-1] == f"moons [{'#' * 30}] 30/30 Trained all 30 epochs."  # all of them, no ETA left
    assert len(set(bar_lines)) == len(bar_lines)
    stdout = (moons_run / "stdout.txt").read_text()
    assert f"test accuracy {metrics['test_accuracy']:.4f}" in stdout


def test_train_regression_from_an_edited_preset(tmp_path):
    assert nnstudio("presets", "--write", "diabetes", "exp.json", cwd=tmp_path).returncode == 0
    result = nnstudio("train", "exp.json", "--epochs", "4", "--out", "reg", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    metrics = json.loads((tmp_path / "reg" / "metrics.json").read_text())
    assert metrics["test_rmse"] > 0 and "test_accuracy" not in metrics
    with open(tmp_path / "reg" / "history.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert all(r["val_accuracy"] == "" and float(r["val_loss"]) > 0 for r in rows)


def test_train_default_folder_is_under_runs(tmp_path):
    result = nnstudio("train", "--preset", "xor", "--epochs", "2", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    (folder,) = (tmp_path / "runs").iterdir()
    assert folder.name.startswith("xor-") and (folder / "model.npz").is_file()


def test_progress_in_a_log_never_repeats_a_line():
    """Piped, the bar writes a line per change; updates at the end (runs finishing after their
    last epoch, the final close) do not repeat the same line."""
    import io

    from nnstudio.progress import ProgressBar

    stream = io.StringIO()  # not a terminal
    bar = ProgressBar(4, "compare", stream=stream)
    for done, info in [(0, "0/2 runs"), (4, "1/2 runs"), (4, "2/2 runs"), (4, "2/2 runs")]:
        bar.update(done, info)
    bar.close("2/2 runs")
    assert stream.getvalue().splitlines() == [
        "compare [..............................] 0/4 0/2 runs",
        f"compare [{'#' * 30}] 4/4 1/2 runs",
        f"compare [{'#' * 30}] 4/4 2/2 runs",
    ]


def _wait_for_line(proc: subprocess.Popen, prefix: bytes, timeout: float) -> bytes:
    """Read the child's stderr until a line starts with ``prefix``; return everything read."""
    seen = b""
    deadline = time.monotonic() + timeout
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stderr, selectors.EVENT_READ)
        while time.monotonic() < deadline:
            if not sel.select(deadline - time.monotonic()):
                continue
            chunk = os.read(proc.stderr.fileno(), 65536)
            if not chunk:
                break  # the child exited
            seen += chunk
            if any(line.startswith(prefix) for line in seen.splitlines()):
                return seen
    raise AssertionError(f"no line starting with {prefix!r} from the child; it wrote:\n{seen.decode()}")


def test_ctrl_c_stops_cleanly_and_keeps_the_best_model(tmp_path):
    cfg = load_preset("moons").replace(epochs=1_000_000, early_stopping=False, log_every=1)
    (tmp_path / "long.json").write_text(cfg.to_json())
    proc = subprocess.Popen([sys.executable, "-m", "nnstudio", "train", "long.json", "--out", "run"], cwd=tmp_path,
                            env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, bufsize=0)
    try:
        early = _wait_for_line(proc, b"epoch 3/", TIMEOUT_S)  # training is under way
        proc.send_signal(signal.SIGINT)
        stdout, rest = proc.communicate(timeout=TIMEOUT_S)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    stderr = (early + rest).decode()
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert "interrupted at epoch" in stderr and "best model so far" in stderr
    run = tmp_path / "run"
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["stop_reason"] == "stopped" and metrics["epochs_run"] >= 3
    with open(run / "history.csv", newline="") as fh:
        assert len(list(csv.DictReader(fh))) == metrics["epochs_run"]
    model = load_model(run / "model.npz")
    assert model.info["metrics"]["best_epoch"] == metrics["best_epoch"]
    assert "wrote config.json, history.csv, metrics.json, model.npz" in stdout.decode()


# -- predict and export -------------------------------------------------------------------------

def test_predict_matches_columns_by_name_and_scores(moons_run, tmp_path):
    data = moons_csv(tmp_path / "new.csv", columns=("target", "x2", "x1"))  # another column order
    result = nnstudio("predict", str(moons_run / "run" / "model.npz"), str(data), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(result.stdout.splitlines()))
    assert list(rows[0]) == ["prediction", "p(0)", "p(1)"]
    model = load_model(moons_run / "run" / "model.npz")
    ds = load_dataset("moons", {"n_samples": 60}, seed=11)
    expected = model.predict(ds.X)
    assert [int(r["prediction"]) for r in rows] == expected.tolist()
    np.testing.assert_allclose([float(r["p(1)"]) for r in rows], model.predict_proba(ds.X)[:, 1], rtol=1e-5)
    accuracy = float(np.mean(expected == ds.y))
    assert f"accuracy {accuracy:.4f} on 60 rows (target column 'target')" in result.stderr


def test_predict_writes_a_file_with_text_labels(tmp_path):
    rng = np.random.default_rng(2)
    X = rng.normal(size=(90, 2))
    labels = np.where(X[:, 0] > 0, "right", "left")
    lines = ["u,v,side"] + [f"{a:.5f},{b:.5f},{c}" for (a, b), c in zip(X, labels)]
    (tmp_path / "train.csv").write_text("\n".join(lines) + "\n")
    cfg = load_preset("moons").replace(name="sides", epochs=40,
                                      data={"name": "csv", "params": {"path": "train.csv", "target": "side"}})
    (tmp_path / "sides.json").write_text(cfg.to_json())
    assert nnstudio("train", "sides.json", "--out", "run", cwd=tmp_path).returncode == 0
    assert load_experiment(tmp_path / "run" / "config.json").data.params["path"] == str(tmp_path / "train.csv")
    (tmp_path / "ask.csv").write_text("u,v\n2.0,0.1\n-2.0,0.3\n")
    result = nnstudio("predict", "run/model.npz", "ask.csv", "--out", "answers.csv", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "wrote 2 predictions to answers.csv" in result.stdout
    rows = list(csv.DictReader((tmp_path / "answers.csv").read_text().splitlines()))
    assert [r["prediction"] for r in rows] == ["right", "left"]
    assert list(rows[0]) == ["prediction", "p(left)", "p(right)"]


def test_export_onnx_runs_like_the_model(moons_run, tmp_path):
    result = nnstudio("export", str(moons_run / "run" / "model.npz"), "--onnx", "m.onnx", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "input features [N, 2]" in result.stdout and "class_index [N]" in result.stdout
    proto = onnx.load(str(tmp_path / "m.onnx"))
    ds = load_dataset("moons", {"n_samples": 60}, seed=11)
    proba, index = ReferenceEvaluator(proto).run(None, {"features": ds.X.astype(np.float32)})
    model = load_model(moons_run / "run" / "model.npz")
    np.testing.assert_allclose(proba, model.predict_proba(ds.X), rtol=1e-4, atol=1e-6)
    assert index.tolist() == model.predict_indices(ds.X).tolist()


# -- listings -------------------------------------------------------------------------------------

def test_datasets_lists_every_data_set(tmp_path):
    result = nnstudio("datasets", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["NAME", "TASK", "SIZE", "DESCRIPTION"]
    listed = {line.split()[0]: line for line in lines[1:] if line and not line.startswith(" ")}
    assert set(listed) == set(DATASETS.names())
    assert "1797 x 64, 10 classes" in listed["digits"] and "regression" in listed["diabetes"]


def test_presets_lists_and_writes(tmp_path):
    listing = nnstudio("presets", cwd=tmp_path)
    assert listing.returncode == 0, listing.stderr
    names = [line.split()[0] for line in listing.stdout.splitlines()[1:] if line and not line.startswith(" ")]
    assert names[:len(preset_names())] == preset_names()
    written = nnstudio("presets", "--write", "article", "mine.json", cwd=tmp_path)
    assert written.returncode == 0, written.stderr
    assert load_experiment(tmp_path / "mine.json") == load_preset("article")
    again = nnstudio("presets", "--write", "article", "mine.json", cwd=tmp_path)
    assert_user_error(again, "mine.json: already exists", "--force")


# -- bad input: exit status 2, one line, no traceback ----------------------------------------------

BAD_INPUT = {
    "no experiment": (["train"], "give an experiment file (CONFIG.json) or --preset NAME"),
    "missing file": (["train", "nope.json"], "nope.json: no such file"),
    "unknown preset": (["train", "--preset", "nope"], "unknown preset 'nope'; choose one of: article"),
    "bad epochs": (["train", "--preset", "xor", "--epochs", "0"], "epochs: 0 is not valid"),
    "not a model": (["predict", "data.csv", "data.csv"], "data.csv: is not an nnstudio model file"),
    "option of the wrong type": (["train", "text_option.json"], "moons.n_samples: 'many' is not valid; expected a "
                                                               "whole number"),
    "csv path not text": (["train", "number_path.json"], "csv.path: 5 is not valid; expected text"),
    "missing model": (["export", "nope.npz", "--onnx", "m.onnx"], "nope.npz: no such file"),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUT))
def test_bad_input_exits_2_with_one_line(tmp_path, case):
    args, message = BAD_INPUT[case]
    moons_csv(tmp_path / "data.csv")
    moons = load_preset("moons")
    (tmp_path / "text_option.json").write_text(
        moons.replace(data={"params": {"n_samples": "many"}}).to_json())
    (tmp_path / "number_path.json").write_text(
        moons.replace(data={"name": "csv", "params": {"path": 5}}).to_json())
    assert_user_error(nnstudio(*args, cwd=tmp_path), message)


def test_predict_with_the_wrong_columns_says_which(moons_run, tmp_path):
    (tmp_path / "wide.csv").write_text("a,b,c\n1,2,3\n")
    result = nnstudio("predict", str(moons_run / "run" / "model.npz"), "wide.csv", cwd=tmp_path)
    assert_user_error(result, "wide.csv: has 3 feature columns but the model expects 2 (x1, x2)")


# -- the same paths in process (fast checks of the remaining messages) -----------------------------

def test_in_process_errors(tmp_path, monkeypatch, capsys, moons_run):
    monkeypatch.chdir(tmp_path)
    moons_csv(tmp_path / "data.csv")
    (tmp_path / "afile").write_text("")
    model = str(moons_run / "run" / "model.npz")
    cases = [
        (["train", "--preset", "xor", "--out", "afile"], "--out afile: is a file; give a folder"),
        (["train", "data.csv"], "data.csv: is not valid JSON"),
        (["predict", model, "data.csv", "--target", "zzz"], "there is no column 'zzz' for the target"),
        (["export", model, "--onnx", str(tmp_path / "no" / "m.onnx")], "does not exist"),
        (["presets", "--show", "nope"], "unknown preset 'nope'"),
    ]
    for argv, message in cases:
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err, (argv, err)


def test_a_folder_that_cannot_be_written_is_one_line(tmp_path, monkeypatch, capsys, moons_run):
    """A read-only folder (simulated: tests may run as root, who can write anywhere) ends with
    exit status 2 and a line naming the file, not a traceback, for every command that writes."""
    import errno
    import tempfile

    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.chdir(tmp_path)
    moons_csv(tmp_path / "data.csv")
    model = str(moons_run / "run" / "model.npz")
    (tmp_path / "ro").mkdir()
    monkeypatch.setattr(tempfile, "mkstemp", read_only)
    cases = [
        ["predict", model, "data.csv", "--out", "ro/p.csv"],
        ["export", model, "--onnx", "ro/m.onnx"],
        ["presets", "--write", "moons", "ro/m.json"],
        ["tune", "--write-space", "ro/space.json"],
        ["train", "--preset", "xor", "--epochs", "2", "--out", "ro"],
    ]
    for argv in cases:
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert "Traceback" not in err and len(err.strip().splitlines()) == 1, (argv, err)
        assert f"error: ro/{'config.json' if argv[0] == 'train' else argv[-1][3:]}: cannot be written in ro " \
               "(Read-only file system)" in err, (argv, err)
    assert list((tmp_path / "ro").iterdir()) == []


def test_presets_show_prints_the_experiment(capsys):
    assert main(["presets", "--show", "spiral"]) == 0
    shown = capsys.readouterr().out
    assert json.loads(shown)["data"]["name"] == "spiral"


def test_the_commands_and_presets_are_packaged():
    tomllib = pytest.importorskip("tomllib")
    setuptools = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert "nnstudio.commands" in setuptools["packages"]  # a wheel holds only the packages listed
    assert setuptools["package-dir"]["nnstudio.resources"] == "resources"
    assert "presets/*.json" in setuptools["package-data"]["nnstudio.resources"]


def test_help_lists_every_subcommand_without_importing_numpy():
    code = ("import sys\nfrom nnstudio.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
            "print('NUMPY' if 'numpy' in sys.modules else 'NO NUMPY')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.rstrip().endswith("NO NUMPY")
    for name in ("compare", "datasets", "export", "predict", "presets", "train", "tune"):
        assert f"\n    {name} " in out


def test_summaries_read_from_source_match_the_registered_commands():
    from nnstudio import cli

    cli._load_commands()
    summaries = cli.command_summaries()
    assert set(summaries) == set(cli.COMMANDS.names())
    for name, (module, help_text) in summaries.items():
        command = cli.COMMANDS[name]
        assert help_text == command.help and command.run.__module__ == f"nnstudio.commands.{module}"
