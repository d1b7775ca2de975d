"""Studies in a store: persistence, resume, stop, worker processes and the ``nnstudio tune`` command."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import time
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState

from nnstudio.cli import main
from nnstudio.config import DataConfig, ExperimentConfig
from nnstudio.files import load_experiment, save_experiment
from nnstudio.tuning import (StopFlag, StorageError, StudyNotFoundError, TuneSettings, WorkerPool,
                             config_of_trial, create_study, default_storage_url, delete_study, list_studies,
                             open_storage, open_study, run_worker)
from nnstudio.tuning.samplers import SAMPLERS
from nnstudio.tuning.worker import host_pid
from tuning_fixtures import add_scored_trials, iris_config, small_space

optuna.logging.set_verbosity(optuna.logging.ERROR)

SETTINGS = TuneSettings(epochs=6, sampler="tpe", pruner="median", heartbeat_interval=1, grace_period=3)


@pytest.fixture
def url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'studies.db'}"


def finished(tuning) -> list:
    return tuning.trials(states=(TrialState.COMPLETE, TrialState.PRUNED))


def states(study: optuna.Study) -> list[str]:
    return [t.state.name for t in study.get_trials(deepcopy=False)]


def wait_for(predicate, timeout: float, what: str) -> None:
    """Poll ``predicate`` (a storage query) until it holds; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


# -- storage ------------------------------------------------------------------------------------

def test_default_store_lives_in_the_data_dir(tmp_path, monkeypatch):
    data_dir = tmp_path / "data"  # a fresh data dir: other tests leave studies in the session's one
    data_dir.mkdir()
    monkeypatch.setenv("NNSTUDIO_DATA_DIR", str(data_dir))
    assert default_storage_url() == f"sqlite:///{data_dir / 'studies.db'}"
    storage = open_storage()
    assert (data_dir / "studies.db").exists()
    assert list_studies(storage) == []


@pytest.mark.parametrize("bad, fragment", [
    ("not a url", "is not a database URL"),
    ("nosuchdb://host/db", "unknown database type"),
    ("sqlite:////nonexistent-folder/x/studies.db", "does not exist"),
])
def test_bad_urls_get_one_line_messages(bad, fragment):
    with pytest.raises(StorageError, match=fragment) as info:
        open_storage(bad)
    assert "\n" not in str(info.value)


def test_unreachable_server_fails_fast():
    started = time.monotonic()
    with pytest.raises(StorageError, match="cannot connect to postgresql") as info:
        open_storage("postgresql+psycopg2://user:secret@127.0.0.1:1/db")
    assert time.monotonic() - started < 10
    assert "secret" not in str(info.value) and "\n" not in str(info.value)


@pytest.mark.parametrize("url, module", [
    ("postgresql://user:secret@127.0.0.1:1/db", "psycopg"),  # SQLAlchemy 2.1's default PostgreSQL driver
    ("postgresql+pg8000://user:secret@127.0.0.1:1/db", "pg8000"),
])
def test_a_missing_driver_names_its_module_and_the_url_that_works(url, module, monkeypatch):
    """psycopg2 is what the tests install, so the message points at postgresql+psycopg2://;
    it used to say 'pip install psycopg2-binary', which was installed already."""
    import builtins

    pytest.importorskip("psycopg2")
    real_import = builtins.__import__

    def without(name, *args, **kwargs):  # the driver may be installed here: make sure it is not
        if name == module or name.startswith(module + "."):
            raise ModuleNotFoundError(f"No module named {module!r}", name=module)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", without)
    with pytest.raises(StorageError) as info:
        open_storage(url)
    message = str(info.value)
    assert f"(Python module {module!r}) is not installed" in message
    assert message.endswith("psycopg2 is installed: use postgresql+psycopg2://user:***@127.0.0.1:1/db")
    assert "secret" not in message and "\n" not in message


def test_a_folder_that_cannot_be_written_is_named(tmp_path, monkeypatch):
    """SQLite cannot create the store (or its journal) in a read-only folder; simulated with
    os.access, as tests may run as root."""
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda path, mode, **kw: False if Path(path) == tmp_path
                        else real_access(path, mode, **kw))
    with pytest.raises(StorageError) as info:
        open_storage(f"sqlite:///{tmp_path / 'studies.db'}")
    assert str(info.value) == (f"cannot create {tmp_path / 'studies.db'}: the folder {tmp_path} is not writable; "
                               "choose a store in a folder you can write to")


def test_a_file_that_is_not_a_database(tmp_path):
    path = tmp_path / "notes.db"
    path.write_text("hello, this is text and not sqlite at all " * 20)
    with pytest.raises(StorageError, match="notes.db"):
        open_storage(f"sqlite:///{path}")


# -- studies ------------------------------------------------------------------------------------

def test_study_persists_and_resume_adds_trials(url):
    tuning = create_study(url, "iris-search", iris_config(), small_space(), SETTINGS)
    tuning.set_target(3)
    result = run_worker(tuning)
    assert (result.trials, result.reason) == (3, "target")

    again = open_study(url, "iris-search")
    assert again.base == tuning.base and again.space == small_space() and again.settings == SETTINGS
    assert len(finished(again)) == 3
    again.set_target(5)
    run_worker(again)
    numbers = [t.number for t in open_study(url, "iris-search").trials()]
    assert numbers == [0, 1, 2, 3, 4]

    # creating it again with the same setup resumes it; with another setup is refused
    assert len(finished(create_study(url, "iris-search", iris_config(name="renamed"), small_space(), SETTINGS))) == 5
    with pytest.raises(StorageError, match="already exists"):
        create_study(url, "iris-search", iris_config(learning_rate=0.5), small_space(), SETTINGS)


def test_trials_store_the_base_with_the_trial_budget(url):
    tuning = create_study(url, "budget", iris_config(epochs=500, early_stopping=False), small_space(), SETTINGS)
    assert (tuning.base.epochs, tuning.base.early_stopping) == (SETTINGS.epochs, True)
    tuning.set_target(1)
    run_worker(tuning)
    config = config_of_trial(tuning.trials()[0])
    assert config.epochs == SETTINGS.epochs and config.data == iris_config().data


def test_sequential_tpe_runs_are_reproducible(url):
    params = []
    for name in ("a", "b"):
        tuning = create_study(url, name, iris_config(), small_space(), SETTINGS)
        tuning.set_target(4)
        run_worker(tuning)
        params.append([t.params for t in tuning.trials()])
    assert params[0] == params[1]


@pytest.mark.parametrize("sampler", SAMPLERS.names())
def test_every_sampler_drives_trials_through_a_space_of_varying_depth(url, sampler):
    """Each listed sampler runs real trials of a space whose widths depend on the sampled depth."""
    tuning = create_study(url, f"s-{sampler}", iris_config(), small_space(),
                          dataclasses.replace(SETTINGS, sampler=sampler, seed=3))
    tuning.set_target(6)
    result = run_worker(tuning)
    assert (result.trials, result.reason) == (6, "target")
    trials = tuning.trials()
    assert [t.state for t in trials].count(TrialState.COMPLETE) >= 1
    assert all(t.state in (TrialState.COMPLETE, TrialState.PRUNED) for t in trials)
    space = small_space()
    for t in trials:
        depth = t.params["n_layers"]
        assert space["n_layers"].low <= depth <= space["n_layers"].high
        widths = [t.params[f"hidden_size_{i}"] for i in range(depth)]
        assert all(space["hidden_size"].low <= w <= space["hidden_size"].high for w in widths)
        assert config_of_trial(t).layer_sizes == tuple(widths)


def test_tune_help_names_every_sampler(capsys):
    with pytest.raises(SystemExit):
        main(["tune", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert all(name in help_text for name in SAMPLERS.names())


def test_unknown_study_lists_the_existing_ones(url):
    create_study(url, "alpha", iris_config(), small_space(), SETTINGS)
    with pytest.raises(StudyNotFoundError, match="no study named 'beta'.*existing studies: alpha"):
        open_study(url, "beta")


def test_foreign_study_is_refused_clearly(url):
    optuna.create_study(storage=url, study_name="plain")
    with pytest.raises(StorageError, match="not created by nnstudio"):
        open_study(url, "plain")


def test_list_and_delete(url):
    tuning = create_study(url, "one", iris_config(), small_space(), SETTINGS)
    tuning.set_target(1)
    run_worker(tuning)
    create_study(url, "two", iris_config(), small_space(), SETTINGS)
    storage = open_storage(url)
    infos = {s.name: s for s in list_studies(storage)}
    assert set(infos) == {"one", "two"}
    assert infos["one"].n_trials == 1 and infos["one"].direction == "maximize"
    assert infos["one"].best_value == tuning.best_trial().value
    delete_study(storage, "one")
    assert [s.name for s in list_studies(storage)] == ["two"]
    with pytest.raises(StudyNotFoundError):
        delete_study(storage, "one")


def test_best_trial_of_equal_accuracies_is_the_lower_validation_loss(url):
    tuning = create_study(url, "ties", iris_config(), small_space(), SETTINGS)
    numbers = add_scored_trials(tuning, [(0.9, 0.1), (1.0, 0.3), (1.0, 0.2), (1.0, None)])
    assert tuning.study.best_trial.number == numbers[1]  # Optuna's pick: the first of the equal values
    assert tuning.best_trial().number == numbers[2]
    reopened = open_study(url, "ties", heartbeat=False)  # the loss is stored with the trial
    assert reopened.best_trial().number == numbers[2]


def test_metric_must_fit_the_task(url):
    regression = ExperimentConfig(data=DataConfig("diabetes"), loss_func="mse", output_activation="linear")
    with pytest.raises(ValueError, match="loss for a regression"):
        create_study(url, "r", regression, small_space(), SETTINGS)


# -- stopping -----------------------------------------------------------------------------------

class StopAfter(StopFlag):
    """A stop flag that sets itself after ``n`` checks (mid-trial, deterministically)."""

    def __init__(self, n: int):
        super().__init__()
        self.left = n

    def is_set(self) -> bool:
        self.left -= 1
        if self.left <= 0:
            self.set()
        return super().is_set()


def test_stop_leaves_no_running_trial(url):
    tuning = create_study(url, "stop", iris_config(), small_space(), SETTINGS)
    tuning.set_target(10)
    result = run_worker(tuning, StopAfter(40))
    assert result.reason == "stopped"
    trials = tuning.trials()
    assert trials and TrialState.RUNNING.name not in states(tuning.study)
    assert trials[-1].state == TrialState.FAIL and trials[-1].user_attrs["interrupted"] is True


def test_timeout_and_max_trials_end_a_worker(url):
    tuning = create_study(url, "limits", iris_config(), small_space(), SETTINGS)
    tuning.set_target(50)
    assert run_worker(tuning, max_trials=2).trials == 2
    assert run_worker(tuning, timeout=1e-9).reason == "timeout"
    assert len(tuning.trials()) == 2


def test_a_trial_beyond_the_target_ends_at_once(url, monkeypatch):
    """Two workers on different machines may pass the budget check together; the later trial
    then finds the target covered and ends as FAIL ("not needed") without training."""
    from nnstudio.tuning import worker

    tuning = create_study(url, "surplus", iris_config(), small_space(), SETTINGS)
    tuning.set_target(1)
    run_worker(tuning)
    monkeypatch.setattr(worker, "budget_state", lambda tuning, target=None: "run")  # the race
    run_worker(tuning, max_trials=1)
    first, extra = tuning.trials()
    assert first.state in (TrialState.COMPLETE, TrialState.PRUNED)
    assert extra.state == TrialState.FAIL and extra.user_attrs["surplus"] is True and not extra.params
    assert len(finished(tuning)) == 1


# -- worker processes ----------------------------------------------------------------------------

def test_two_worker_processes_share_the_target_exactly(url):
    tuning = create_study(url, "pool", iris_config(), small_space(), SETTINGS)
    tuning.set_target(6)
    pool = WorkerPool(tuning.storage_url, "pool", 2)
    pool.start()
    try:
        assert pool.wait(120), "workers did not finish"
        assert pool.errors() == []
    finally:
        pool.kill()
        pool.close()
    trials = open_study(url, "pool").trials()
    assert sorted(t.number for t in trials) == list(range(6))
    assert all(t.state in (TrialState.COMPLETE, TrialState.PRUNED) for t in trials)
    assert {t.user_attrs["worker"] for t in trials} <= {host_pid(p) for p in pool.pids}


def test_pool_stop_and_hard_kill_leave_nothing_running(url):
    slow = iris_config(epochs=100000, early_stopping=False)
    tuning = create_study(url, "halt", slow, small_space(), TuneSettings(epochs=100000, pruner="none",
                          early_stopping=False, heartbeat_interval=1, grace_period=3))
    tuning.set_target(20)
    pool = WorkerPool(tuning.storage_url, "halt", 2)
    pool.start()
    try:
        study = tuning.study
        wait_for(lambda: len([t for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))
                              if "worker" in t.user_attrs]) == 2, 60, "two trials training")
        victim, polite = pool.children
        os.kill(victim.process.pid, signal.SIGKILL)   # no chance to clean up
        victim.process.wait(10)
        pool.stop()                                   # the other one aborts its trial
        assert pool.wait(30)
        released = pool.release_trials(study)
    finally:
        pool.kill()
        pool.close()
    trials = open_study(url, "halt").trials()
    assert [t.state for t in trials] == [TrialState.FAIL, TrialState.FAIL]
    by_worker = {t.user_attrs["worker"]: t for t in trials}
    assert by_worker[victim.worker_id].number in released
    assert by_worker[polite.worker_id].user_attrs["interrupted"] is True


# -- the command line ----------------------------------------------------------------------------

@pytest.fixture
def config_file(tmp_path) -> Path:
    path = tmp_path / "iris.json"
    save_experiment(path, iris_config())
    return path


def run_cli(*argv) -> int:
    return main(["tune", *map(str, argv)])


def test_cli_tunes_and_writes_the_best_config(tmp_path, url, config_file, capsys):
    out = tmp_path / "best.json"
    status = run_cli(config_file, "--trials", 3, "--epochs", 6, "--workers", 1, "--storage", url,
                     "--study", "cli", "--output", out, "--sampler", "random", "--pruner", "none")
    text = capsys.readouterr().out
    assert status == 0, text
    tuning = open_study(url, "cli")
    best = tuning.best_trial()
    assert f"Best trial: #{best.number}, validation accuracy {best.value:.4f}" in text
    assert "Test accuracy of the best config:" in text
    assert load_experiment(out) == config_of_trial(best)
    assert len(finished(tuning)) == 3 and tuning.settings.sampler == "random"


def test_cli_checks_the_output_folder_before_creating_the_study(tmp_path, url, config_file, capsys):
    status = run_cli(config_file, "--trials", 3, "--epochs", 6, "--workers", 1, "--storage", url,
                     "--study", "nowhere", "--output", tmp_path / "missing" / "best.json")
    assert status == 2
    err = capsys.readouterr().err
    assert f"error: {tmp_path / 'missing' / 'best.json'}: the folder {tmp_path / 'missing'} does not exist" in err
    assert list_studies(open_storage(url)) == []  # no trial was run for a result that could not be saved


def test_cli_reports_the_same_best_trial_as_the_study(url, capsys):
    tuning = create_study(url, "cli-ties", iris_config(), small_space(), SETTINGS)
    numbers = add_scored_trials(tuning, [(1.0, 0.4), (1.0, 0.1), (0.95, 0.05)])
    tuning.set_target(len(numbers))  # covered: joining runs no trial and reports the best
    assert run_cli("--join", "--storage", url, "--study", "cli-ties") == 0
    text = capsys.readouterr().out
    assert "This worker ran 0 trials" in text
    assert f"Best so far: trial #{numbers[1]}, validation accuracy 1.0000" in text


def test_cli_join_adds_trials_to_a_study(url, config_file, capsys):
    assert run_cli(config_file, "--trials", 1, "--epochs", 5, "--workers", 1, "--storage", url, "--study", "j",
                   "--no-test", "--output", Path(url[10:]).with_name("b.json")) == 0
    assert run_cli("--join", "--storage", url, "--study", "j", "--trials", 2) == 0
    assert "This worker ran 2 trials" in capsys.readouterr().out
    assert len(finished(open_study(url, "j"))) == 3


def test_cli_space_file_and_list(tmp_path, url, config_file, capsys):
    space_file = tmp_path / "space.json"
    assert run_cli("--write-space", space_file) == 0
    raw = json.loads(space_file.read_text())
    raw["dimensions"]["n_layers"] = {"enabled": True, "low": 1, "high": 2}
    raw["dimensions"]["hidden_size"] = {"enabled": True, "low": 4, "high": 8}
    space_file.write_text(json.dumps(raw))
    assert run_cli(config_file, "--trials", 1, "--epochs", 4, "--workers", 1, "--storage", url, "--study", "sp",
                   "--space", space_file, "--no-test", "--output", tmp_path / "b.json") == 0
    assert open_study(url, "sp").space["hidden_size"].high == 8
    capsys.readouterr()
    assert run_cli("--list", "--storage", url) == 0
    assert "sp " in capsys.readouterr().out
    assert run_cli("--delete", "sp", "--storage", url) == 0
    assert run_cli("--list", "--storage", url) == 0
    assert "No studies" in capsys.readouterr().out


@pytest.mark.parametrize("argv, fragment", [
    (["--join", "--storage", "{url}", "--study", "missing"], "no study named 'missing'"),
    (["--join"], "--join needs --study"),
    ([], "give an experiment file"),
    (["{config}", "--storage", "mysterious"], "is not a database URL"),
    (["{config}", "--sampler", "grid", "--storage", "{url}"], "sampler"),
    (["{config}", "--pruner", "sometimes", "--storage", "{url}"], "pruner"),
    (["{config}", "--trials", "0"], "--trials must be at least 1"),
    (["{config}", "--space", "{tmp}/nope.json", "--storage", "{url}"], "cannot be read"),
    (["{tmp}/missing.json"], "no such file"),
    (["--delete", "ghost", "--storage", "{url}"], "no study named 'ghost'"),
])
def test_cli_bad_input_exits_2_with_one_line(argv, fragment, tmp_path, url, config_file, capsys):
    argv = [a.format(url=url, config=config_file, tmp=tmp_path) for a in argv]
    assert run_cli(*argv) == 2
    err = capsys.readouterr().err.strip()
    assert fragment in err and len(err.splitlines()) == 1, err


def test_ctrl_c_stops_the_command_cleanly(tmp_path, url):
    """SIGINT (Ctrl-C) to ``nnstudio tune``: the workers abort their trials, nothing stays RUNNING."""
    import subprocess
    import sys

    from nnstudio.tuning.pool import worker_env

    config = tmp_path / "slow.json"
    save_experiment(config, iris_config(patience=100000))
    cmd = [sys.executable, "-m", "nnstudio", "tune", str(config), "--trials", "20", "--epochs", "100000",
           "--workers", "2", "--storage", url, "--study", "interrupted", "--output", str(tmp_path / "best.json")]
    storage = open_storage(url)
    process = subprocess.Popen(cmd, env=worker_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_for(lambda: _running_count(storage, "interrupted") == 2, 90, "two running trials")
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 130, output
    assert "Stopped:" in output
    trials = open_study(url, "interrupted", heartbeat=False).trials()
    assert len(trials) == 2, output
    assert all(t.state == TrialState.FAIL and t.user_attrs.get("interrupted") for t in trials), [(t.state, t.user_attrs) for t in trials]


def _running_count(storage, name: str) -> int:
    try:
        study = optuna.load_study(study_name=name, storage=storage)
    except KeyError:  # not created yet
        return 0
    return len(study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)))
