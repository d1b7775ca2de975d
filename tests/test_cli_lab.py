"""``nnstudio lr-find`` and ``nnstudio landscape`` end to end, in subprocesses."""

from __future__ import annotations

import json

import pytest
from test_cli import nnstudio

from nnstudio.cli import main


def test_lr_find_writes_the_documented_json(tmp_path):
    out = tmp_path / "lr.json"
    result = nnstudio("lr-find", "--preset", "moons", "--seeds", "2", "--verify-epochs", "1", "--workers", "1",
                      "--json", str(out), "--png", "lr.png", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    doc = json.loads(out.read_text())
    assert set(doc) == {"suggestion", "band", "curves", "candidates", "verified"}
    assert len(doc["curves"]) == 2 and {c["method"] for c in doc["candidates"]} == {"minimum", "steep", "valley"}
    lo, hi = doc["band"]
    assert lo <= doc["suggestion"] <= hi
    assert doc["suggestion"] in [v["lr"] for v in doc["verified"]]
    assert "Recommended band" in result.stdout
    assert (tmp_path / "lr.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_landscape_writes_the_grid_and_lines(tmp_path):
    result = nnstudio("landscape", "--preset", "moons", "--epochs", "3", "--grid", "5", "--out", "maps",
                      cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    doc = json.loads((tmp_path / "maps" / "landscape.json").read_text())
    assert len(doc["loss"]) == 5 and all(len(row) == 5 for row in doc["loss"])
    assert doc["x"][0] == -1.0 and doc["x"][-1] == 1.0
    assert doc["loss"][2][2] == doc["loss_at_trained"]
    assert len(doc["path"]) == 4 and set(doc["lines"]) == {"init_to_trained", "between_seeds"}
    assert (tmp_path / "maps" / "landscape.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("argv, fragment", [
    (["lr-find", "--preset", "moons", "--seeds", "0"], "--seeds"),
    (["lr-find", "--preset", "moons", "--start", "1", "--end", "0.1"], "--start"),
    (["lr-find"], "CONFIG.json"),
    (["landscape", "--preset", "moons", "--grid", "1"], "--grid"),
    (["landscape", "--preset", "nope"], "nope"),
    (["landscape", "--preset", "moons", "--model", "m.npz", "--directions", "pca"], "--directions pca"),
    (["landscape", "--preset", "moons", "--model", "missing.npz", "--out", "o"], "missing.npz"),
])
def test_bad_input_is_one_line_and_status_2(argv, fragment, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"nnstudio {argv[0]}: error: ") and fragment in err[0]
