"""Command-line edges: predictions that stay aligned, what model files store, tune and compare endings."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest

from nnstudio.cli import main
from nnstudio.data import csv_params, load_split
from nnstudio.engine import Trainer
from nnstudio.files import load_model, save_model
from nnstudio.model import TrainedModel
from nnstudio.presets import load_preset
from test_cli import moons_csv


@pytest.fixture(scope="module")
def csv_model(tmp_path_factory):
    folder = tmp_path_factory.mktemp("csvmodel")
    data = moons_csv(folder / "train.csv", n=90)
    cfg = load_preset("moons").replace(epochs=3, data={"name": "csv", "params": csv_params(str(data), "target")})
    split = load_split(cfg.data)
    trainer = Trainer(cfg, split, histograms=False)
    for _ in trainer.run():
        pass
    path = folder / "model.npz"
    save_model(path, TrainedModel.from_network(cfg, trainer.network, split))
    return path


def test_predict_drop_missing_keeps_one_output_row_per_input_row(csv_model, tmp_path, capsys):
    lines = ["x1,x2", "0.5,0.25", ",0.1", "1.5,-0.3", "2.0,NA", "-1.0,0.5"]
    (tmp_path / "ask.csv").write_text("\n".join(lines) + "\n")
    assert main(["predict", str(csv_model), str(tmp_path / "ask.csv"), "--drop-missing"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert len(rows) == len(lines) - 1
    assert list(rows[0]) == ["prediction", "p(0)", "p(1)", "note"]
    model = load_model(csv_model)
    kept = np.array([[0.5, 0.25], [1.5, -0.3], [-1.0, 0.5]])
    expected = model.predict(kept).tolist()
    assert [int(r["prediction"]) for r in (rows[0], rows[2], rows[4])] == expected
    assert [r["note"] for r in rows] == ["", "no prediction: column 'x1' (column 1) has a missing value", "",
                                         "no prediction: column 'x2' (column 2) has a missing value ('NA')", ""]
    assert rows[1]["prediction"] == rows[1]["p(0)"] == rows[3]["p(1)"] == ""


def test_predict_without_drop_missing_keeps_its_columns(csv_model, tmp_path, capsys):
    (tmp_path / "ask.csv").write_text("x1,x2\n0.5,0.25\n")
    assert main(["predict", str(csv_model), str(tmp_path / "ask.csv")]) == 0
    assert capsys.readouterr().out.splitlines()[0] == "prediction,p(0),p(1)"


def test_model_and_onnx_store_the_csv_file_name_only(csv_model, tmp_path):
    model = load_model(csv_model)
    assert model.config.data.params["path"] == "train.csv"
    onnx = pytest.importorskip("onnx")
    assert main(["export", str(csv_model), "--onnx", str(tmp_path / "m.onnx")]) == 0
    props = {p.key: p.value for p in onnx.load(str(tmp_path / "m.onnx")).metadata_props}
    assert json.loads(props["nnstudio_config"])["data"]["params"]["path"] == "train.csv"
    assert str(csv_model.parent) not in onnx.load(str(tmp_path / "m.onnx")).SerializeToString().decode("latin-1")


# -- compare: Ctrl-C keeps what finished ---------------------------------------------------------------

def test_ctrl_c_on_compare_keeps_finished_runs_and_marks_the_summary_incomplete(tmp_path):
    import signal
    import subprocess
    import sys

    from nnstudio.config import ExperimentConfig, LayerConfig
    from test_cli import TIMEOUT_S, _env, _wait_for_line

    cfg = ExperimentConfig(name="cmp", layers=(LayerConfig(32, "relu"),), epochs=300, early_stopping=False)
    (tmp_path / "cmp.json").write_text(cfg.to_json())
    # one worker: the full-batch run ends in about a second, the batch-size-1 one takes minutes
    proc = subprocess.Popen([sys.executable, "-m", "nnstudio", "compare", "cmp.json", "--vary", "batch_size",
                             "--values", "full,1", "--seeds", "1", "--workers", "1", "--out", "out"],
                            cwd=tmp_path, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, bufsize=0)
    try:
        early = _wait_for_line(proc, b"compare [", TIMEOUT_S)
        while b" 1/2 runs" not in early:
            early += _wait_for_line(proc, b"compare [", TIMEOUT_S)
        proc.send_signal(signal.SIGINT)
        stdout, rest = proc.communicate(timeout=TIMEOUT_S)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    stderr = (early + rest).decode()
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert "Stopped by request: the summary covers the 1 of 2 runs that finished" in stderr
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["complete"] is False
    statuses = {r["variant"]: r["status"] for r in summary["runs"]}
    assert statuses == {"full batch": "completed", "batch 1": "stopped"}
    assert (tmp_path / "out" / "summary.csv").exists() and (tmp_path / "out" / "curves.png").exists()
