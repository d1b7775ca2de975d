"""Trying a fix: the paired verdict against hand-computed intervals, the article's five failure
cases named and their fixes verified over three seeds, and ``nnstudio diagnose`` end to end."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from nnstudio.data import load_split
from nnstudio.doctor import HELPED, HURT, NO_DIFFERENCE, FixTrial, paired_verdict
from nnstudio.doctor.cases import article_failures
from nnstudio.engine import Trainer
from nnstudio.engine.doctor import Doctor
from nnstudio.engine.findings import Suggestion
from nnstudio.files import save_experiment
from nnstudio.presets import load_preset

REPO_ROOT = Path(__file__).resolve().parents[1]
ARTICLE = load_preset("article")
T_975_DF2 = 4.302652729911275  # Student's t, 97.5% quantile, 2 degrees of freedom


def test_paired_verdict_is_a_t_interval_on_log_ratios():
    base, fixed = [1.0, 2.0, 4.0], [0.5, 0.9, 2.2]
    d = np.log(np.array(fixed) / np.array(base))
    half = T_975_DF2 * d.std(ddof=1) / math.sqrt(3)
    verdict, (lo, hi), ratio = paired_verdict(base, fixed)
    assert (lo, hi) == pytest.approx((d.mean() - half, d.mean() + half))
    assert ratio == pytest.approx(math.exp(d.mean()))
    assert verdict == HELPED and hi < 0


def test_paired_verdict_says_hurt_no_difference_and_handles_divergence():
    assert paired_verdict([1.0, 1.0, 1.0], [1.5, 1.6, 1.55])[0] == HURT
    assert paired_verdict([1.0, 1.0, 1.0], [0.9, 1.1, 1.0])[0] == NO_DIFFERENCE
    assert paired_verdict([math.inf, math.inf, 2.0], [0.1, 0.2, 0.1])[0] == HELPED  # diverged baselines
    assert paired_verdict([math.inf, 0.1, 0.1], [0.1, 0.2, 0.1])[0] == NO_DIFFERENCE  # seeds disagree
    with pytest.raises(ValueError):
        paired_verdict([1.0], [0.5])


# -- the article's five failure cases ---------------------------------------------------------

FIVE_CASES = article_failures()


@pytest.mark.slow
@pytest.mark.parametrize("case", FIVE_CASES)
def test_article_failure_case_is_named_and_its_fix_helps(case):
    config, code, suggestion = FIVE_CASES[case].config, FIVE_CASES[case].cause, FIVE_CASES[case].fix
    split = load_split(config.data)
    trainer = Trainer(config, split, histograms=False)
    doctor = Doctor(config, split)
    for record in trainer.run():
        doctor.observe(record)
    doctor.finish(trainer.summary)
    top = doctor.top()
    assert (top.code, top.suggestion.text) == (code, suggestion), [(f.code, f.severity) for f in doctor.findings]
    trial = FixTrial(config, [top.suggestion], seeds=3, workers=2)
    progress = list(trial.run())
    assert progress[-1] == (trial.total_epochs, trial.total_epochs) or trial.results.finished
    (verdict,) = trial.verdicts
    assert verdict.verdict == HELPED, verdict.describe()
    assert len(verdict.baseline) == len(verdict.fixed) == 3


def test_a_stopped_trial_gives_no_verdict():
    trial = FixTrial(ARTICLE.replace(epochs=50), [Suggestion("learning_rate", factor=0.1)], seeds=2, workers=2,
                     backend="thread")
    for done, total in trial.run():
        trial.stop()
    assert trial.stopped and trial.verdicts == ()


# -- the command line --------------------------------------------------------------------------

def nnstudio(*args, cwd):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    return subprocess.run([sys.executable, "-m", "nnstudio", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)


def test_diagnose_exits_0_on_a_healthy_run_and_writes_json(tmp_path):
    result = nnstudio("diagnose", "--preset", "moons", "--epochs", "3", "--json", "out.json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "No findings" in result.stdout
    assert json.loads((tmp_path / "out.json").read_text()) == {"findings": [], "verified": [], "cleared": []}


def test_diagnose_verify_names_the_cause_and_judges_the_fix(tmp_path):
    save_experiment(tmp_path / "zeros.json", ARTICLE.replace(init_method="zeros"))
    result = nnstudio("diagnose", "zeros.json", "--epochs", "4", "--verify", "--seeds", "2", "--json", "d.json",
                      cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert "ERROR identical_units in layer1" in result.stdout and "VERDICT helped" in result.stdout
    doc = json.loads((tmp_path / "d.json").read_text())
    assert doc["findings"][0]["code"] == "identical_units"
    (verified,) = [v for v in doc["verified"] if v["code"] == "identical_units"]
    assert set(verified) >= {"code", "suggestion", "verdict", "baseline", "fixed", "interval"}
    assert verified["suggestion"] == "init_method: glorot_uniform" and verified["verdict"] == "helped"
    assert len(verified["baseline"]) == len(verified["fixed"]) == 2 and verified["interval"][1] < 0


@pytest.mark.parametrize("args, fragment", [
    ((), "give an experiment file"),
    (("--preset", "moons", "--verify", "--seeds", "1"), "--seeds must be at least 2"),
    (("missing.json",), "missing.json"),
    (("--preset", "nope"), "nope"),
    (("--preset", "moons", "--epochs", "0"), "--epochs"),
])
def test_diagnose_bad_input_exits_2_with_one_line(tmp_path, args, fragment):
    result = nnstudio("diagnose", *args, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert "Traceback" not in result.stderr and fragment in last
