"""The Qt-free compare core: factors, variants, shared seeds and split, parallel runs, results, depth study."""

from __future__ import annotations

import csv
import json
import math
import multiprocessing
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from nnstudio.compare import (FACTORS, ClipSetting, Comparison, ComparisonResults, ComparisonRun, FactorValueError,
                              RunEvent, Stat, Target, depth_layers, depth_rows, recommend_depth,
                              recommend_from_rows, write_depth, write_summary)
from nnstudio.config import DataConfig, ExperimentConfig, LayerConfig
from nnstudio.engine import ARTICLE_INITS, EpochRecord
from nnstudio.files import save_experiment
from nnstudio.registry import UnknownNameError

REPO_ROOT = Path(__file__).resolve().parents[1]
SMALL_DATA = DataConfig("gaussians", {"n_samples": 150})


def small_config(**changes) -> ExperimentConfig:
    base = ExperimentConfig(name="small", data=SMALL_DATA, layers=(LayerConfig(8, "relu"), LayerConfig(8, "relu")),
                            epochs=4, batch_size=32, learning_rate=0.01, seed=5)
    return base.replace(**changes)


def run_all(comparison: Comparison, **kwargs) -> ComparisonResults:
    results = ComparisonResults(comparison)
    for event in ComparisonRun(comparison, **kwargs).events():
        results.add(event)
    return results


# -- factors and variants ------------------------------------------------------------------

# factor -> what a config shows for a value (to check each variant really got its value)
OBSERVED = {
    "init_method": lambda c: c.init_method,
    "activation": lambda c: {layer.activation for layer in c.layers},
    "optimizer": lambda c: c.optimizer,
    "learning_rate": lambda c: c.learning_rate,
    "dropout_rate": lambda c: {layer.dropout_rate for layer in c.layers},
    "clip": lambda c: (c.clip_type, c.grad_clip),
    "batch_size": lambda c: c.batch_size,
    "depth": lambda c: len(c.layers),
}
EXPECTED = {
    "activation": lambda v: {v},
    "dropout_rate": lambda v: {v},
    "clip": lambda v: (v.clip_type, 1.0 if v.threshold is None else v.threshold),
}


def test_every_registered_factor_is_covered_here():
    assert set(FACTORS.names()) == set(OBSERVED)


@pytest.mark.parametrize("factor", sorted(OBSERVED))
def test_default_variants_apply_each_value_and_change_nothing_else(factor):
    base = small_config(grad_clip=1.0)
    comparison = Comparison.build(base, factor)
    values = FACTORS[factor].defaults(comparison.base)
    assert len(comparison.variants) == len(values) >= 2
    assert len(set(comparison.labels)) == len(values)
    for variant, value in zip(comparison.variants, values):
        assert OBSERVED[factor](variant.config) == EXPECTED.get(factor, lambda v: v)(value)
        unchanged = {k: v for k, v in variant.config.to_dict().items() if k not in ("layers", "init_method",
                     "optimizer", "learning_rate", "clip_type", "grad_clip", "batch_size")}
        assert unchanged == {k: v for k, v in base.to_dict().items() if k in unchanged}


def test_init_method_defaults_are_the_articles_six_and_lecun_normal():
    comparison = Comparison.build(small_config(), "init_method")
    assert comparison.labels == [*ARTICLE_INITS, "lecun_normal"]


def test_values_parse_from_text_with_ranges():
    assert FACTORS["learning_rate"].parse_values("1e-4..1e-1") == [1e-4, 1e-3, 1e-2, 1e-1]
    assert len(FACTORS["learning_rate"].parse_values("1e-3..1e-1:5")) == 5
    assert FACTORS["depth"].parse_values("1..3, 5") == [1, 2, 3, 5]
    assert FACTORS["batch_size"].parse_values("32, full") == [32, 0]
    assert FACTORS["clip"].parse_values("none, value:0.5, global_norm:1") == [
        ClipSetting("none"), ClipSetting("value", 0.5), ClipSetting("global_norm", 1.0)]
    assert FACTORS["init_method"].parse_values("zeros, he_normal, zeros") == ["zeros", "he_normal"]


@pytest.mark.parametrize("factor, text, fragment", [
    ("init_method", "he_normal, nope", "choose from: zeros, random"),
    ("learning_rate", "0", "greater than 0"),
    ("learning_rate", "0.1..0.01", "from low to high"),
    ("dropout_rate", "1.0", "below 1"),
    ("clip", "value", "needs a threshold"),
    ("clip", "value:0", "greater than 0"),
    ("clip", "sideways:1", "none, value, norm, global_norm"),
    ("batch_size", "-3", "at least 1"),
    ("depth", "0", "from 1 to"),
    ("activation", " , ", "no values given"),
])
def test_bad_values_are_refused_with_a_clear_message(factor, text, fragment):
    with pytest.raises(FactorValueError, match=None) as info:
        Comparison.build(small_config(), factor, text)
    assert fragment in str(info.value)


def test_unknown_factor_lists_the_valid_ones():
    with pytest.raises(UnknownNameError) as info:
        Comparison.build(small_config(), "colour")
    assert "init_method" in str(info.value) and "depth" in str(info.value)


def test_depth_takes_the_base_layers_then_repeats_the_last():
    layers = (LayerConfig(32, "tanh"), LayerConfig(16, "relu"))
    assert depth_layers(layers, 1) == (layers[0],)
    assert depth_layers(layers, 4) == (layers[0], layers[1], layers[1], layers[1])
    assert depth_layers((), 2) == (LayerConfig(64, "relu"),) * 2


def test_epochs_override_and_seeds_apply_to_every_variant():
    comparison = Comparison.build(small_config(epochs=50), "optimizer", "sgd, adam", n_seeds=3, epochs=7)
    assert comparison.seeds == (5, 6, 7)
    jobs = comparison.jobs()
    assert len(jobs) == 6
    for job in jobs:
        config = ExperimentConfig.from_json(job.config_json)
        assert config.epochs == 7
        assert config.seed == comparison.seeds[job.seed_index] == job.seed
        assert config.data == comparison.base.data


def test_variants_from_files_take_the_comparisons_data_and_seeds(tmp_path):
    other = small_config(name="wide", data=DataConfig("moons"), seed=99,
                         layers=(LayerConfig(32, "tanh"),), epochs=100)
    save_experiment(tmp_path / "wide.json", other)
    comparison = Comparison.build(small_config(), "init_method", "he_normal", n_seeds=2).with_files(
        [tmp_path / "wide.json"])
    added = comparison.variants[-1]
    assert added.label == "wide" and added.source.endswith("wide.json")
    assert added.config.layers == other.layers
    assert added.config.data == SMALL_DATA and added.config.seed == 5 and added.config.epochs == 4
    assert any("moons" in note for note in comparison.notes)


# -- running -------------------------------------------------------------------------------

def test_same_seeds_and_split_make_identical_configs_train_identically(tmp_path):
    """A file variant equal to a built variant must give the very same curves, seed by seed."""
    base = small_config()
    save_experiment(tmp_path / "same.json", base.replace(init_method="glorot_uniform", name="copy"))
    comparison = Comparison.build(base, "init_method", "glorot_uniform, zeros", n_seeds=2).with_files(
        [tmp_path / "same.json"])
    results = run_all(comparison, backend="thread", workers=2)
    for s in range(2):
        original, copy = results.runs[(0, s)], results.runs[(2, s)]
        assert original.n_epochs == 4
        assert original.history == copy.history
    assert results.runs[(0, 0)].history["val_loss"] != results.runs[(0, 1)].history["val_loss"]


@pytest.fixture(scope="module")
def process_results_twice():
    comparison = Comparison.build(small_config(), "init_method", "zeros, random, he_normal", n_seeds=2)
    return comparison, [run_all(comparison, backend="process", workers=2) for _ in range(2)]


def _table_without_time(results):
    rows = []
    for row in results.rows():
        d = row.to_dict()
        d.pop("seconds")
        rows.append(d)
    return rows


def test_the_same_comparison_twice_gives_the_same_table(process_results_twice):
    comparison, (first, second) = process_results_twice
    table = _table_without_time(first)
    assert table == _table_without_time(second)
    assert [row["variant"] for row in table] == ["zeros", "random", "he_normal"]
    assert all(row["runs_done"] == 2 and row["stop_reason"] == "completed" for row in table)
    assert all(math.isfinite(row["best_val_loss"]["mean"]) for row in table)
    assert multiprocessing.active_children() == []


def test_processes_and_threads_agree(process_results_twice):
    comparison, (by_processes, _) = process_results_twice
    assert _table_without_time(run_all(comparison, backend="thread", workers=2)) == _table_without_time(by_processes)


def test_runs_stream_records_and_bounded_histograms(process_results_twice):
    comparison, (results, _) = process_results_twice
    run = results.runs[(2, 1)]
    assert run.n_epochs == 4 and run.summary is not None
    assert sorted(run.snapshots) == [0, 1, 2, 3, 4]
    layers = run.snapshots[0]
    assert [snap.name for snap in layers] == [layer.name for layer in run.snapshots[4]]
    assert len(layers) == 3  # two hidden layers and the output layer
    zeros_first_layer = results.runs[(0, 0)].snapshots[0][0]
    assert np.ptp(zeros_first_layer.weights.edges) == pytest.approx(1.0)  # all weights equal: one value


def test_snapshots_are_thinned_for_long_runs():
    comparison = Comparison.build(small_config(epochs=60), "init_method", "he_normal", n_seeds=1)
    results = run_all(comparison, backend="thread", max_snapshots=10)
    epochs = sorted(results.runs[(0, 0)].snapshots)
    assert epochs[:3] == [0, 1, 6] and epochs[-1] == 60
    assert len(epochs) <= 10 + 2


def test_an_early_stopped_run_keeps_histograms_of_the_epoch_it_stopped_at():
    # a rate too small to improve the loss by min_delta: early stopping ends the run after patience epochs
    config = small_config(epochs=60, early_stopping=True, patience=4, min_delta=0.01)
    results = run_all(Comparison.build(config, "learning_rate", "1e-7", n_seeds=1), backend="thread")
    run = results.runs[(0, 0)]
    assert run.status == "early_stopping" and run.n_epochs == 4
    assert sorted(run.snapshots) == [0, 1, 3, 4]  # every 3rd of 60 epochs, and the last one it trained


def test_stop_ends_every_run_promptly_without_orphans():
    comparison = Comparison.build(small_config(epochs=100_000, early_stopping=False), "init_method",
                                  "he_normal, glorot_uniform, lecun_normal", n_seeds=3)
    run = ComparisonRun(comparison, backend="process", workers=2)
    results = ComparisonResults(comparison)
    stopped_at = None
    for event in run.events():
        results.add(event)
        if stopped_at is None and event.record is not None and event.record.epoch >= 2:
            stopped_at = time.monotonic()
            run.stop()
    took = time.monotonic() - stopped_at
    assert took < 5.0, f"stopping took {took:.1f}s"
    assert multiprocessing.active_children() == []
    statuses = [r.status for r in results.runs.values()]
    assert "stopped" in statuses
    assert set(statuses) <= {"stopped", "not run"}
    assert all(r.ended for r in results.runs.values())
    assert results.finished
    done, total = results.progress()
    assert done == sum(r.n_epochs for r in results.runs.values()) < total  # stopped runs left work undone


def test_leaving_the_event_loop_early_stops_and_joins_the_workers():
    comparison = Comparison.build(small_config(epochs=100_000, early_stopping=False), "init_method",
                                  "he_normal, zeros", n_seeds=1)
    events = ComparisonRun(comparison, backend="process", workers=2).events()
    for event in events:
        if event.record is not None:
            break
    events.close()
    assert multiprocessing.active_children() == []


def test_a_diverging_variant_is_marked_and_the_others_finish():
    # linear hidden units cannot saturate, so a huge step blows the weights up
    linear = small_config(optimizer="sgd", early_stopping=False, layers=(LayerConfig(8, "linear"),) * 2)
    comparison = Comparison.build(linear, "learning_rate", "0.01, 1000", n_seeds=2)
    results = run_all(comparison, backend="thread", workers=2)
    fine, wild = results.rows()
    assert fine.status == "completed" and fine.diverged == 0
    assert wild.status == "diverged" and wild.diverged == 2
    assert results.runs[(1, 0)].summary.diverged


def test_an_exception_in_one_run_is_an_error_for_that_run_only(tmp_path):
    # log loss needs two classes; the data set has three, so this variant cannot train
    save_experiment(tmp_path / "binary.json", small_config(name="binary", output_activation="sigmoid",
                                                           loss_func="log_loss"))
    comparison = Comparison.build(small_config(), "init_method", "he_normal", n_seeds=2).with_files(
        [tmp_path / "binary.json"])
    results = run_all(comparison, backend="process", workers=2)
    good, bad = results.rows()
    assert good.status == "completed" and good.runs_done == 2
    assert bad.status == "error" and len(bad.errors) == 1 and "log_loss" in bad.errors[0]


# -- results -------------------------------------------------------------------------------

def _record(epoch, val_loss, val_acc, train_acc=1.0):
    return EpochRecord(epoch, val_loss / 2, val_loss, train_acc, val_acc, 0.01, (1.0,), (), float(epoch), False,
                       epoch, val_loss)


def test_bands_average_the_seeds_that_reached_each_epoch():
    comparison = Comparison.build(small_config(), "init_method", "he_normal", n_seeds=3)
    results = ComparisonResults(comparison)
    curves = {0: [1.0, 0.5, 0.4], 1: [2.0, 1.0], 2: [3.0, 1.5, 0.2]}
    for s, losses in curves.items():
        for e, loss in enumerate(losses, 1):
            results.add(RunEvent(0, s, record=_record(e, loss, 0.5)))
    band = results.band(0, "val_loss")
    assert band.epochs.tolist() == [1, 2, 3]
    assert band.count.tolist() == [3, 3, 2]
    assert np.allclose(band.mean, [2.0, 1.0, 0.3])
    assert np.allclose(band.std, [1.0, 0.5, np.std([0.4, 0.2], ddof=1)])
    assert band.lo.tolist() == [1.0, 0.5, 0.2] and band.hi.tolist() == [3.0, 1.5, 0.4]


def test_summary_row_figures_from_records():
    comparison = Comparison.build(small_config(), "init_method", "he_normal", n_seeds=2)
    results = ComparisonResults(comparison, Target("val_accuracy", 0.9))
    for e, (loss, acc) in enumerate([(1.0, 0.5), (0.5, 0.92), (0.7, 0.95)], 1):
        results.add(RunEvent(0, 0, record=_record(e, loss, acc)))
    for e, (loss, acc) in enumerate([(0.9, 0.6), (0.3, 0.8)], 1):
        results.add(RunEvent(0, 1, record=_record(e, loss, acc)))
    row = results.row(0)
    assert row.best_val_loss.mean == pytest.approx(0.4)
    assert row.final_val_loss.mean == pytest.approx(0.5)
    assert row.val_accuracy.mean == pytest.approx(0.86)  # at each run's best epoch: 0.92 and 0.8
    assert row.epochs_to_target.mean == 2.0 and row.reached == 1
    assert row.status == "running"


def test_stat_and_status_text():
    assert Stat.of([1.0, 3.0, math.nan]).text(".1f") == "2.0 ± 1.4"
    assert Stat.of([]).text() == "—"
    from nnstudio.compare.results import status_text, status_words
    assert status_text(["completed"] * 3) == "completed"
    assert status_text(["early_stopping", "diverged", "early_stopping"]) == "early_stopping 2/3, diverged 1/3"
    # the table's words (the CSV keeps the codes)
    assert status_words("completed 2/3, early_stopping 1/3") == "all epochs 2/3, early stop 1/3"
    assert status_words("early_stopping") == "early stop" and status_words("not run 1/3, error 2/3") == \
        "not run 1/3, error 2/3"


def test_summary_files(tmp_path, process_results_twice):
    comparison, (results, _) = process_results_twice
    write_summary(tmp_path, results)
    rows = list(csv.DictReader((tmp_path / "summary.csv").open()))
    assert [r["variant"] for r in rows] == comparison.labels
    assert all(float(r["best_val_loss_mean"]) > 0 for r in rows)
    doc = json.loads((tmp_path / "summary.json").read_text())
    assert doc["comparison"]["factor"] == "init_method" and doc["comparison"]["seeds"] == [5, 6]
    assert len(doc["curves"]["he_normal"]["val_loss_mean"]) == 4
    assert [(r["variant"], r["seed"]) for r in doc["runs"]] == [(v, s) for v in comparison.labels for s in (5, 6)]
    assert all(r["status"] == "completed" and r["epochs"] == 4 for r in doc["runs"])


# -- depth study ---------------------------------------------------------------------------

def test_depth_recommendation_picks_the_smallest_depth_within_tolerance():
    rec = recommend_depth([1, 2, 3, 4, 5], [0.950, 0.970, 0.977, 0.979, 0.981], [0.01, 0.011, 0.012, 0.02, 0.03],
                          higher_is_better=True)
    assert (rec.depth, rec.best_depth) == (3, 5)
    assert rec.sentence == ("3 hidden layers: within 0.4 points of the best (5 layers, 0.981) with a "
                            "train/validation gap of 0.012; deeper nets add parameters without improving "
                            "validation accuracy.")
    assert recommend_depth([1, 2, 3, 4, 5], [0.950, 0.970, 0.977, 0.979, 0.981], [0] * 5,
                           higher_is_better=True, tolerance=0.001).depth == 5


def test_depth_recommendation_for_loss_is_relative():
    rec = recommend_depth([1, 2, 3], [0.2, 0.1005, 0.1], [0.0, 0.01, 0.02], higher_is_better=False)
    assert rec.depth == 2 and "within 0.5% of the best (3 layers, 0.100)" in rec.sentence
    assert recommend_depth([1, 2, 3], [0.2, 0.102, 0.1], [0, 0, 0], higher_is_better=False).depth == 3


def test_depth_recommendation_edge_cases():
    best_inside = recommend_depth([1, 2, 3], [0.9, 0.95, 0.93], [0.0, 0.02, 0.03], higher_is_better=True)
    assert best_inside.depth == 2 and best_inside.sentence.startswith("2 hidden layers: the best validation accuracy")
    deepest = recommend_depth([1, 2], [0.8, 0.9], [0.0, 0.0], higher_is_better=True)
    assert "deepest net tried" in deepest.sentence
    skips_nan = recommend_depth([1, 2, 3], [math.nan, 0.9, 0.9], [0, 0, 0], higher_is_better=True)
    assert skips_nan.depth == 2
    assert recommend_depth([1], [math.nan], [0.0], higher_is_better=True) is None


def test_depth_study_end_to_end(tmp_path):
    comparison = Comparison.build(small_config(epochs=3), "depth", "1..3", n_seeds=1)
    results = run_all(comparison, backend="thread", workers=2)
    rows = depth_rows(results)
    assert [r.depth for r in rows] == [1, 2, 3]
    assert all(0.0 <= r.metric.mean <= 1.0 and math.isfinite(r.gap.mean) for r in rows)
    rec = recommend_from_rows(rows, classification=True)
    assert rec.depth in (1, 2, 3)
    write_depth(tmp_path, rows, rec, classification=True)
    doc = json.loads((tmp_path / "depth.json").read_text())
    assert doc["recommendation"]["depth"] == rec.depth
    assert sum(int(r["recommended"]) for r in csv.DictReader((tmp_path / "depth.csv").open())) == 1


# -- the boundary ---------------------------------------------------------------------------

def test_the_core_loads_no_qt_and_no_optuna():
    code = ("import sys, nnstudio.compare; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'pyqtgraph', 'optuna')))")
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=REPO_ROOT,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


# -- the command line -------------------------------------------------------------------------

def _cli(*args, cwd=None) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT), QT_QPA_PLATFORM="offscreen")
    return subprocess.run([sys.executable, "-m", "nnstudio", "compare", *map(str, args)], capture_output=True,
                          text=True, env=env, cwd=cwd or REPO_ROOT, timeout=300)


def test_cli_writes_summary_files_and_curves(tmp_path):
    save_experiment(tmp_path / "small.json", small_config())
    out = tmp_path / "out"
    result = _cli(tmp_path / "small.json", "--vary", "init_method", "--values", "zeros,he_normal", "--seeds", "2",
                  "--epochs", "3", "--workers", "2", "--out", out)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["curves.png", "summary.csv", "summary.json"]
    rows = list(csv.DictReader((out / "summary.csv").open()))
    assert [r["variant"] for r in rows] == ["zeros", "he_normal"] and all(r["runs_done"] == "2" for r in rows)
    assert json.loads((out / "summary.json").read_text())["comparison"]["seeds"] == [5, 6]
    assert (out / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "he_normal" in result.stdout and "Stop reason" in result.stdout


def test_cli_depth_study_writes_depth_files_and_prints_the_recommendation(tmp_path):
    save_experiment(tmp_path / "small.json", small_config())
    result = _cli(tmp_path / "small.json", "--vary", "depth", "--max-depth", "2", "--seeds", "1", "--epochs", "3",
                  "--out", tmp_path / "depth")
    assert result.returncode == 0, result.stderr
    names = {p.name for p in (tmp_path / "depth").iterdir()}
    assert {"depth.csv", "depth.json", "depth.png", "summary.csv", "curves.png"} <= names
    recommended = json.loads((tmp_path / "depth" / "depth.json").read_text())["recommendation"]["depth"]
    assert f"Recommended depth: {recommended} hidden layer" in result.stdout


@pytest.mark.parametrize("args, fragment", [
    (["--vary", "colour"], "unknown factor 'colour'; choose one of: init_method"),
    (["--vary", "learning_rate", "--values", "0.1,0"], "greater than 0"),
    (["--vary", "init_method", "--max-depth", "3"], "--max-depth applies only to --vary depth"),
    (["--vary", "init_method", "--seeds", "0"], "seeds"),
    (["--vary", "init_method", "--target", "nan"], "--target must be a finite number, not nan"),
    (["--vary", "init_method", "--target", "inf"], "--target must be a finite number, not inf"),
    (["--vary", "depth", "--tolerance", "nan"], "--tolerance must be a number of 0 or more, not nan"),
])
def test_cli_bad_input_exits_2_with_one_line(tmp_path, args, fragment):
    save_experiment(tmp_path / "small.json", small_config())
    result = _cli(tmp_path / "small.json", *args, "--out", tmp_path / "out")
    assert result.returncode == 2
    assert fragment in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out" / "summary.csv").exists()


def test_cli_checks_that_the_out_folder_can_be_written_before_training(tmp_path, monkeypatch, capsys):
    """A read-only --out folder (simulated: tests may run as root) is reported before any run,
    not after all of them."""
    import errno
    import tempfile

    from nnstudio.cli import main
    from nnstudio.commands import compare as compare_command

    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system")

    def no_runs(*args, **kwargs):
        raise AssertionError("training started")

    save_experiment(tmp_path / "small.json", small_config())
    (tmp_path / "ro").mkdir()
    monkeypatch.setattr(tempfile, "mkstemp", read_only)
    monkeypatch.setattr(compare_command, "ComparisonRun", no_runs)
    status = main(["compare", str(tmp_path / "small.json"), "--vary", "init_method", "--seeds", "1",
                   "--out", str(tmp_path / "ro")])
    assert status == 2
    err = capsys.readouterr().err
    assert f"{tmp_path / 'ro' / 'summary.csv'}: cannot be written in {tmp_path / 'ro'} (Read-only file system)" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def _start_long_compare(tmp_path: Path) -> tuple[subprocess.Popen, bytes]:
    """Start a comparison that would run for hours and return once its progress bar shows
    (the runs have started), with what it printed so far."""
    import selectors

    save_experiment(tmp_path / "long.json", small_config(epochs=1_000_000, early_stopping=False))
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT), QT_QPA_PLATFORM="offscreen")
    proc = subprocess.Popen([sys.executable, "-m", "nnstudio", "compare", "long.json", "--vary", "init_method",
                             "--values", "he_normal", "--seeds", "1", "--workers", "1", "--out", "out"],
                            cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, bufsize=0)
    seen = b""
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stderr, selectors.EVENT_READ)
        deadline = time.monotonic() + 120
        while b"compare [" not in seen and time.monotonic() < deadline:
            if sel.select(deadline - time.monotonic()):
                chunk = os.read(proc.stderr.fileno(), 65536)
                if not chunk:
                    break
                seen += chunk
    if b"compare [" not in seen:
        proc.kill()
        proc.communicate()
        raise AssertionError(seen.decode())
    return proc, seen


def test_cli_ctrl_c_exits_130_and_leaves_no_empty_out_folder(tmp_path):
    import signal

    proc, seen = _start_long_compare(tmp_path)
    try:
        proc.send_signal(signal.SIGINT)
        _, rest = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    stderr = (seen + rest).decode()
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr and stderr.strip().splitlines()[-1] == "nnstudio compare: interrupted"
    assert not (tmp_path / "out").exists()


def test_cli_refuses_a_config_that_cannot_train_on_its_data(tmp_path):
    save_experiment(tmp_path / "binary.json", small_config(output_activation="sigmoid", loss_func="log_loss"))
    result = _cli(tmp_path / "binary.json", "--vary", "init_method", "--out", tmp_path / "out")
    assert result.returncode == 2 and "log_loss" in result.stderr
    assert not (tmp_path / "out").exists()


def test_the_core_source_imports_no_qt_optuna_or_gui():
    import ast

    forbidden = ("PySide6", "shiboken6", "pyqtgraph", "optuna")
    for path in sorted((REPO_ROOT / "nnstudio" / "compare").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            for name in names:
                assert name.split(".")[0] not in forbidden, f"{path.name}:{node.lineno} imports {name}"
                assert "gui" not in name.split("."), f"{path.name}:{node.lineno} imports {name}"


def _descendants(pid: int) -> set[int]:
    """Every live process below ``pid`` (read from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    ppid = int(stat.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_compare_workers_end_when_the_command_is_killed(tmp_path):
    """kill -9 of `nnstudio compare` leaves no worker training on for nobody."""
    import signal

    proc, seen = _start_long_compare(tmp_path)
    try:
        workers = _descendants(proc.pid)
        assert workers, "the compare command started no worker process"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        deadline = time.monotonic() + 30
        while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.1)  # polling a condition with a deadline, not a fixed wait
        assert not [pid for pid in workers if _alive(pid)]
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.stderr.close()
        for pid in _descendants(proc.pid) if proc.poll() is None else ():
            os.kill(pid, signal.SIGKILL)
