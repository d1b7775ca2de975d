"""Confirmation: the top trials re-trained with more seeds, and "best" by the mean over the seeds."""

from __future__ import annotations

from pathlib import Path

import optuna
import pytest

from nnstudio.cli import main
from nnstudio.files import load_experiment, save_experiment
from nnstudio.tuning import (StopFlag, TuneSettings, config_of_trial, confirm_top, create_study, open_study,
                             run_worker, take_snapshot)
from nnstudio.tuning.confirm import PLAN_ATTR, Plan, run_key, summarize, train_seed
from tuning_fixtures import add_scored_trials, iris_config, small_space

optuna.logging.set_verbosity(optuna.logging.ERROR)

SETTINGS = TuneSettings(epochs=8, sampler="random", pruner="none")


@pytest.fixture
def url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'studies.db'}"


@pytest.fixture
def config_file(tmp_path) -> Path:
    path = tmp_path / "iris.json"
    save_experiment(path, iris_config())
    return path


def planned(tuning, runs: dict[int, list[tuple[float | None, float | None]]]) -> Plan:
    """Record a plan over ``runs`` ({trial: [(value, val_loss) per extra seed]}) as if trained."""
    n_seeds = len(next(iter(runs.values())))
    plan = Plan(tuple(runs), tuple(range(1, n_seeds + 1)))
    tuning.study.set_user_attr(PLAN_ATTR, plan.to_dict())
    for number, records in runs.items():
        for seed, (value, loss) in zip(plan.seeds, records):
            tuning.study.set_user_attr(run_key(number, seed), {"value": value, "val_loss": loss})
    return plan


def test_a_lucky_single_seed_loses_to_a_consistently_good_trial(url):
    tuning = create_study(url, "lucky", iris_config(), small_space(), SETTINGS)
    lucky, steady, weak = add_scored_trials(tuning, [(1.0, 0.05), (0.98, 0.08), (0.90, 0.3)])
    assert tuning.best_trial().number == lucky  # one run each: the lucky seed wins
    plan = planned(tuning, {lucky: [(0.90, 0.4), (0.92, 0.35)], steady: [(0.98, 0.09), (0.97, 0.1)]})
    confirmed = summarize(tuning, plan)

    assert set(confirmed) == {lucky, steady}
    assert confirmed[steady].values == (0.98, 0.98, 0.97) and confirmed[steady].seeds == (0, 1, 2)
    assert confirmed[steady].mean == pytest.approx((0.98 + 0.98 + 0.97) / 3)
    assert confirmed[lucky].mean == pytest.approx((1.0 + 0.90 + 0.92) / 3)
    for study in (tuning, open_study(url, "lucky", heartbeat=False)):  # stored with the study
        assert study.best_trial().number == steady
        assert study.confirmations()[steady].values == (0.98, 0.98, 0.97)
        snap = take_snapshot(study)
        assert snap.best().number == steady and snap.best().confirmation.mean == pytest.approx(0.9766666)
        assert [r.confirmed for r in snap.rows] == [True, True, False]
    assert tuning.study.user_attrs[f"confirmed:{steady}"]["values"] == [0.98, 0.98, 0.97]
    assert weak not in tuning.confirmations()


def test_equal_means_rank_by_mean_validation_loss_and_divergence_ranks_last(url):
    tuning = create_study(url, "means", iris_config(), small_space(), SETTINGS)
    a, b, c = add_scored_trials(tuning, [(1.0, 0.25), (0.75, 0.20), (0.875, 0.01)])
    assert tuning.best_trial().number == a
    summarize(tuning, planned(tuning, {a: [(0.5, 0.30)], b: [(0.75, 0.22)], c: [(None, None)]}))
    # a and b both average 0.75: b's mean loss (0.21) is below a's (0.275); c diverged once
    assert tuning.confirmations()[c].mean is None
    assert tuning.best_trial().number == b
    assert take_snapshot(tuning).best().number == b


def test_an_unfinished_confirmation_changes_no_ranking(url):
    tuning = create_study(url, "partial", iris_config(), small_space(), SETTINGS)
    lucky, steady = add_scored_trials(tuning, [(1.0, 0.05), (0.98, 0.08)])
    plan = Plan((lucky, steady), (1, 2))
    tuning.study.set_user_attr(PLAN_ATTR, plan.to_dict())
    tuning.study.set_user_attr(run_key(lucky, 1), {"value": 0.5, "val_loss": 1.0})
    assert summarize(tuning, plan) == {}
    assert tuning.confirmations() == {} and tuning.best_trial().number == lucky
    assert take_snapshot(tuning).confirm_done == 1 and take_snapshot(tuning).confirm_total == 4


@pytest.mark.parametrize("workers", [1, 2])
def test_confirm_top_retrains_the_top_trials_with_more_seeds(url, workers):
    tuning = create_study(url, f"real-{workers}", iris_config(), small_space(), SETTINGS)
    tuning.set_target(4)
    run_worker(tuning)
    progress = []
    result = confirm_top(tuning, 2, 2, workers=workers, on_progress=lambda done, total: progress.append((done, total)))
    assert not result.stopped and result.runs_done == 4 and not result.errors
    assert result.plan.workers == workers and progress[-1] == (4, 4)
    top = sorted(tuning.trials(states=(optuna.trial.TrialState.COMPLETE,)),
                 key=lambda t: (-t.value, t.user_attrs["val_loss"], t.number))[:2]
    assert set(result.confirmed) == {t.number for t in top}
    for t in top:
        c = result.confirmed[t.number]
        config = config_of_trial(t)
        assert c.seeds == (config.seed, config.seed + 1, config.seed + 2)
        assert c.values[0] == t.value  # the trial's own run
        assert c.values[1] == train_seed(config, config.seed + 1, "accuracy")["value"]  # reproducible
        assert c.mean == pytest.approx(sum(c.values) / 3)
    best = tuning.best_trial()
    assert best.number == max(result.confirmed.values(), key=lambda c: (c.mean, -c.val_loss)).number
    assert config_of_trial(best).seed == 0  # Load best: the trial's own config and seed


def test_stop_aborts_the_confirmation_and_keeps_the_single_run_best(url):
    tuning = create_study(url, "stop", iris_config(), small_space(), SETTINGS)
    tuning.set_target(3)
    run_worker(tuning)
    before = tuning.best_trial().number
    stop = StopFlag()
    result = confirm_top(tuning, 3, 1, stop=stop, on_progress=lambda done, total: stop.set() if done else None)
    assert result.stopped and result.runs_done == 1 and result.confirmed == {}
    assert tuning.best_trial().number == before


# -- the command line -------------------------------------------------------------------------------

def run_cli(*argv) -> int:
    return main(["tune", *map(str, argv)])


def test_cli_confirms_the_top_trials_and_writes_the_confirmed_best(tmp_path, url, config_file, capsys):
    out = tmp_path / "best.json"
    status = run_cli(config_file, "--trials", 4, "--epochs", 6, "--workers", 2, "--storage", url, "--study", "c",
                     "--output", out, "--sampler", "random", "--pruner", "none", "--confirm", 2,
                     "--confirm-seeds", 1, "--no-test")
    text = capsys.readouterr().out
    assert status == 0, text
    tuning = open_study(url, "c", heartbeat=False)
    confirmed = tuning.confirmations()
    assert len(confirmed) == 2 and all(len(c.values) == 2 for c in confirmed.values())
    best = tuning.best_trial()
    assert best.number in confirmed
    assert "Confirming the top 2 trials by validation accuracy: each trained with 1 more seed (2 runs" in text
    assert "Confirmed 2 trials: 2 runs in" in text
    assert f"Best trial: #{best.number}, validation accuracy {best.value:.4f}" in text
    assert f"Confirmed best: trial #{best.number}, mean validation accuracy {confirmed[best.number].mean:.4f}" in text
    assert load_experiment(out) == config_of_trial(best)


def test_cli_confirm_zero_is_off_and_join_confirms_when_asked(url, config_file, capsys):
    assert run_cli(config_file, "--trials", 3, "--epochs", 5, "--workers", 1, "--storage", url, "--study", "j",
                   "--no-test", "--confirm", 0, "--output", Path(url[10:]).with_name("b.json")) == 0
    assert "Confirming" not in capsys.readouterr().out
    assert open_study(url, "j", heartbeat=False).confirmations() == {}
    assert run_cli("--join", "--storage", url, "--study", "j", "--trials", 1) == 0  # no --confirm: none
    assert "Confirming" not in capsys.readouterr().out
    assert run_cli("--join", "--storage", url, "--study", "j", "--trials", 1, "--confirm", 2) == 0
    text = capsys.readouterr().out
    tuning = open_study(url, "j", heartbeat=False)
    assert "Confirming the top 2 trials" in text and len(tuning.confirmations()) == 2
    assert f"Best so far: trial #{tuning.best_trial().number}," in text
    assert "Confirmed best: trial" in text


def test_cli_rejects_bad_confirm_numbers(url, config_file, capsys):
    assert run_cli(config_file, "--confirm", -1, "--storage", url) == 2
    assert "--confirm must be at least 0" in capsys.readouterr().err
    assert run_cli(config_file, "--confirm-seeds", 0, "--storage", url) == 2
    assert "--confirm-seeds must be at least 1" in capsys.readouterr().err
