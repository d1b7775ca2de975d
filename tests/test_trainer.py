"""The trainer: immutable records, stopping, divergence, determinism, early stopping, metrics."""

from __future__ import annotations

import dataclasses
import math
import warnings
from functools import lru_cache

import numpy as np
import pytest

from nnstudio.config import ConfigError, DataConfig, ExperimentConfig, LayerConfig
from nnstudio.data import Dataset, Split, Standardizer, load_split
from nnstudio.engine import (STOP_CLOSED, STOP_COMPLETED, STOP_DIVERGED, STOP_EARLY, STOP_USER, EarlyStopping, EpochRecord,
                             Trainer, encode_targets)
from nnstudio.engine.trainer import HISTOGRAM_BINS


@lru_cache(maxsize=None)
def _split(name: str) -> Split:
    return load_split(DataConfig(name=name))


def _config(name="iris", **changes) -> ExperimentConfig:
    base = dict(data=DataConfig(name=name), layers=(LayerConfig(16, "relu"), LayerConfig(8, "tanh")),
                epochs=5, batch_size=16, early_stopping=False)
    return ExperimentConfig(**(base | changes))


def _train(cfg: ExperimentConfig, histograms=False, stop=None) -> tuple[Trainer, list[EpochRecord]]:
    trainer = Trainer(cfg, _split(cfg.data.name), histograms=histograms)
    return trainer, list(trainer.run(stop))


def _batches_per_epoch(cfg: ExperimentConfig) -> int:
    n = len(_split(cfg.data.name).y_train)
    return 1 if cfg.full_batch else math.ceil(n / cfg.batch_size)


def _comparable(record: EpochRecord) -> tuple:
    """Every field but the wall-clock time, histogram arrays as bytes."""
    values = []
    for f in dataclasses.fields(record):
        if f.name == "elapsed":
            continue
        value = getattr(record, f.name)
        if f.name == "layers":
            value = tuple((s.name,) + tuple((h.counts.tobytes(), h.edges.tobytes())
                                            for h in (s.weights, s.biases, s.gradients, s.activations))
                          for s in value)
        values.append(value)
    return tuple(values)


def _same_state(a, b) -> bool:
    return all(np.array_equal(x, y) for x, y in zip(a, b))


# -- records ---------------------------------------------------------------------------

def test_records_are_immutable_and_numbered_from_one():
    cfg = _config(epochs=4)
    trainer, records = _train(cfg, histograms=True)
    assert [r.epoch for r in records] == [1, 2, 3, 4]
    assert all(b.elapsed >= a.elapsed > 0 for a, b in zip(records, records[1:]))
    record = records[-1]
    with pytest.raises(dataclasses.FrozenInstanceError):
        record.val_loss = 0.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        record.layers[0].weights.counts = np.zeros(3)
    hist = record.layers[0].weights
    with pytest.raises(ValueError, match="read-only"):
        hist.counts[0] = 5
    with pytest.raises(ValueError, match="read-only"):
        hist.edges[0] = 5
    assert isinstance(record.grad_norms, tuple) and isinstance(record.layers, tuple)
    assert trainer.summary.epochs_run == 4 and trainer.summary.stop_reason == STOP_COMPLETED


def test_records_do_not_change_as_training_goes_on():
    trainer = Trainer(_config(epochs=3), _split("iris"), histograms=True)
    run = trainer.run()
    first = next(run)
    snapshot = _comparable(first)
    list(run)
    assert _comparable(first) == snapshot


def test_histograms_describe_each_dense_layer():
    cfg = _config(epochs=1)
    trainer, (record,) = _train(cfg, histograms=True)
    net, split = trainer.network, _split("iris")
    assert [s.name for s in record.layers] == ["layer1", "layer2", "output"]
    for snap, layer, units in zip(record.layers, net.layers, [16, 8, 3]):
        for hist, size in ((snap.weights, layer.W.size), (snap.biases, units), (snap.gradients, layer.W.size),
                           (snap.activations, len(split.y_val) * units)):
            assert len(hist.counts) == HISTOGRAM_BINS and len(hist.edges) == HISTOGRAM_BINS + 1
            assert hist.counts.sum() == size
            assert np.all(np.diff(hist.edges) > 0)
        assert snap.weights.edges[0] == layer.W.min() and snap.weights.edges[-1] == pytest.approx(layer.W.max())


def test_histograms_can_be_turned_off():
    _, records = _train(_config(epochs=2), histograms=False)
    assert all(r.layers == () for r in records)


def test_best_epoch_fields_follow_the_validation_loss():
    _, records = _train(_config(epochs=8))
    best = math.inf
    for r in records:
        assert r.is_best == (r.val_loss < best)
        best = min(best, r.val_loss)
        assert r.best_val_loss == best
        assert records[r.best_epoch - 1].val_loss == best


def test_evaluation_metrics_are_those_of_the_network_at_the_end_of_the_epoch():
    cfg = _config(epochs=3, dtype="float64", train_metrics="evaluation")
    trainer, records = _train(cfg)
    split, net = _split("iris"), trainer.network
    for X, y, loss, acc in ((split.X_train, split.y_train, records[-1].train_loss, records[-1].train_accuracy),
                            (split.X_val, split.y_val, records[-1].val_loss, records[-1].val_accuracy)):
        out = net.predict_output(X)
        assert loss == pytest.approx(net.loss.value(out, encode_targets(y, 3, True, "float64")), rel=1e-12)
        assert acc == np.mean(out.argmax(axis=1) == y)


class _PassSpy:
    """Wraps a network's forward and backward passes and keeps each training pass's outputs
    (copies) with the targets its backward pass received."""

    def __init__(self, net):
        self.outputs, self.targets = [], []
        forward, backward = net._forward, net.backward

        def spy_forward(X, training, rng, **options):
            out = forward(X, training, rng, **options)
            if training:
                self.outputs.append(out.copy())
            return out

        def spy_backward(Y, stop=None):
            self.targets.append(np.array(Y))
            backward(Y, stop)

        net._forward, net.backward = spy_forward, spy_backward


@pytest.mark.parametrize("changes", [dict(batch_size=16), dict(batch_size=16, layers=(LayerConfig(16, "relu", 0.3),)),
                                     dict(batch_size=0)], ids=["mini-batch", "dropout", "full-batch"])
def test_running_metrics_score_each_training_pass_once(changes):
    cfg = _config(epochs=2, dtype="float64", train_metrics="running", **changes)
    trainer = Trainer(cfg, _split("iris"), histograms=False)
    spy = _PassSpy(trainer.network)
    run = trainer.run()
    for record in run:
        out, Y = np.concatenate(spy.outputs), np.concatenate(spy.targets)
        assert len(out) == len(_split("iris").y_train) and len(spy.outputs) == _batches_per_epoch(cfg)
        losses = [trainer.network.loss.value(o, t) * len(o) for o, t in zip(spy.outputs, spy.targets)]
        assert record.train_loss == pytest.approx(sum(losses) / len(out), rel=1e-12)
        assert record.train_accuracy == np.mean(out.argmax(axis=1) == Y.argmax(axis=1))
        spy.outputs.clear(), spy.targets.clear()


def test_full_batch_running_loss_is_the_loss_before_the_step():
    """At full batch without dropout, epoch k's running loss is the evaluation loss of epoch k − 1."""
    base = _config(epochs=4, dtype="float64", batch_size=0)
    _, running = _train(base.replace(train_metrics="running"))
    trainer, exact = _train(base.replace(train_metrics="evaluation"))
    initial = Trainer(base, _split("iris"))
    assert running[0].train_loss == pytest.approx(initial.evaluate(initial.X_train, _split("iris").y_train)[0],
                                                  rel=1e-12)
    for now, before in zip(running[1:], exact):
        assert now.train_loss == pytest.approx(before.train_loss, rel=1e-12)
        assert now.train_accuracy == before.train_accuracy


def test_how_train_metrics_are_measured_does_not_change_training():
    base = _config(epochs=4, layers=(LayerConfig(16, "relu", 0.2, batch_norm=True),))
    a, running = _train(base.replace(train_metrics="running"))
    b, exact = _train(base.replace(train_metrics="evaluation"))
    assert [r.val_loss for r in running] == [r.val_loss for r in exact]
    assert np.array_equal(a.network.flat, b.network.flat)
    assert [r.train_loss for r in running] != [r.train_loss for r in exact]


# -- stopping ----------------------------------------------------------------------------

class _StopAfter:
    """A stop callable that says stop on its (k + 1)-th call and counts its calls."""

    def __init__(self, k: int):
        self.k, self.calls = k, 0

    def __call__(self) -> bool:
        self.calls += 1
        return self.calls > self.k


def _checks_per_step(cfg: ExperimentConfig) -> int:
    """Stop is asked before a mini-batch and after each layer of its forward and backward passes."""
    return 1 + 2 * (len(cfg.layers) + 1)


END_OF_EPOCH_CHECKS = 1  # and once more when the epoch's record is made (a stop then skips its histograms)


def test_stop_is_checked_before_every_mini_batch_and_between_layers():
    cfg = _config(epochs=3)
    never = _StopAfter(10 ** 9)
    _train(cfg, stop=never)
    assert never.calls == 3 * (_batches_per_epoch(cfg) * _checks_per_step(cfg) + END_OF_EPOCH_CHECKS)


@pytest.mark.parametrize("k_extra", [0, 1, 3])
def test_stop_after_k_batches_ends_the_run_as_stopped(k_extra):
    cfg = _config(epochs=5)
    checks = _checks_per_step(cfg)
    per_epoch = _batches_per_epoch(cfg) * checks + END_OF_EPOCH_CHECKS
    stop = _StopAfter(per_epoch + k_extra * checks)
    trainer, records = _train(cfg, stop=stop)
    summary = trainer.summary
    assert stop.calls == per_epoch + k_extra * checks + 1  # nothing ran after the request
    assert [r.epoch for r in records] == [1]
    assert summary.stop_reason == STOP_USER
    assert summary.epochs_run == 1
    assert "epoch 2" in summary.message
    assert np.all(np.isfinite(trainer.network.flat))


def test_full_batch_is_one_step_per_epoch():
    cfg = _config(epochs=4, batch_size=0)
    counter = _StopAfter(10 ** 9)
    _, records = _train(cfg, stop=counter)
    assert counter.calls == 4 * (_checks_per_step(cfg) + END_OF_EPOCH_CHECKS)
    assert records[-1].train_loss < records[0].train_loss


def test_closing_the_generator_early_ends_the_run_as_closed():
    """A consumer that stops iterating (a pruned trial, say) gets a summary that says so."""
    trainer = Trainer(_config(epochs=10), _split("iris"), histograms=False)
    run = trainer.run()
    next(run), next(run)
    run.close()
    assert trainer.summary.stop_reason == STOP_CLOSED
    assert trainer.summary.epochs_run == 2
    assert "after epoch 2" in trainer.summary.message


# -- divergence --------------------------------------------------------------------------

def _linear_regression(lr: float, epochs: int, dtype="float32") -> ExperimentConfig:
    """Full-batch gradient descent on diabetes with a step far past the stable range: it grows every epoch."""
    return _config("diabetes", layers=(), output_activation="linear", loss_func="mse", optimizer="sgd",
                   learning_rate=lr, batch_size=0, epochs=epochs, dtype=dtype)


def test_divergence_stops_with_a_clear_reason_and_keeps_the_best_parameters():
    cfg = _linear_regression(lr=5.0, epochs=500)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # overflow is reported as divergence, not as warnings
        trainer, records = _train(cfg)
    summary = trainer.summary
    assert summary.stop_reason == STOP_DIVERGED and summary.diverged
    assert "diverged" in summary.message and "learning rate" in summary.message
    # every step makes the loss worse, so the initial parameters (epoch 0) stay the best
    assert summary.best_epoch == 0 and summary.epochs_run < cfg.epochs
    assert summary.restored_best and "No epoch beat the initial parameters" in summary.message
    assert np.all(np.isfinite(trainer.network.flat))
    assert math.isfinite(summary.test_rmse)
    assert _same_state(trainer.network.state(), trainer.initial_state)


def test_divergence_after_progress_restores_the_best_epoch():
    """Momentum at a large step beats the untrained network at times, then blows up."""
    cfg = _config("digits", layers=(LayerConfig(32, "relu"),), optimizer="momentum", learning_rate=1.0,
                  epochs=40, early_stopping=False, seed=1, batch_size=64)
    trainer, records = _train(cfg)
    summary = trainer.summary
    assert summary.stop_reason == STOP_DIVERGED, summary.message
    assert 1 <= summary.best_epoch < summary.epochs_run
    assert summary.best_val_loss == min(r.val_loss for r in records) < trainer.initial_val_loss
    rerun, _ = _train(cfg.replace(epochs=summary.best_epoch))
    assert _same_state(trainer.network.state(), rerun.network.state())


def test_divergence_in_the_first_epoch_keeps_the_initial_parameters():
    cfg = _config("diabetes", output_activation="linear", loss_func="mse", optimizer="sgd", learning_rate=100.0,
                  epochs=5, batch_size=16)
    initial = Trainer(cfg, _split("diabetes"), histograms=False).network.state()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        trainer, records = _train(cfg)
    summary = trainer.summary
    assert records == []
    assert summary.stop_reason == STOP_DIVERGED and summary.best_epoch == 0
    assert "epoch 1" in summary.message and "initial parameters" in summary.message
    assert _same_state(trainer.network.state(), initial)
    assert math.isfinite(summary.test_loss)


# -- determinism -------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_same_config_and_seed_give_the_same_history_bit_for_bit(dtype):
    cfg = _config(layers=(LayerConfig(16, "relu", dropout_rate=0.3, batch_norm=True), LayerConfig(8, "elu")),
                  epochs=4, dtype=dtype, seed=11)
    a, ra = _train(cfg, histograms=True)
    b, rb = _train(cfg, histograms=True)
    assert [_comparable(r) for r in ra] == [_comparable(r) for r in rb]
    assert _same_state(a.network.state(), b.network.state())
    assert dataclasses.replace(a.summary, seconds=0) == dataclasses.replace(b.summary, seconds=0)
    c, rc = _train(cfg.replace(seed=12), histograms=True)
    assert [r.train_loss for r in rc] != [r.train_loss for r in ra]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_dtype_option_sets_parameters_data_and_optimizer_state(dtype):
    trainer, records = _train(_config(epochs=1, dtype=dtype, optimizer="adam"))
    assert trainer.network.flat.dtype == np.dtype(dtype)
    assert trainer.X_train.dtype == np.dtype(dtype)
    assert all(v.dtype == np.dtype(dtype) for v in vars(trainer.optimizer).values() if isinstance(v, np.ndarray))
    assert all(isinstance(x, float) for x in (records[0].train_loss, records[0].val_loss))


def test_float32_is_the_default():
    assert ExperimentConfig().dtype == "float32"


def test_the_global_random_state_is_not_used():
    np.random.seed(5)
    _train(_config(layers=(LayerConfig(8, "relu", dropout_rate=0.5),), epochs=2))
    drawn = np.random.random(3)
    np.random.seed(5)
    np.testing.assert_array_equal(drawn, np.random.random(3))


# -- gradient norms ----------------------------------------------------------------------

def test_gradient_norms_are_norms_of_the_gradients():
    """Full batch, one epoch: the record holds the norm of each layer's gradient (W, b together)."""
    cfg = _config(epochs=1, batch_size=0, dtype="float64", optimizer="sgd")
    trainer = Trainer(cfg, _split("iris"), histograms=False)
    net = trainer.network
    _, grads = net.loss_and_gradients(trainer.X_train, trainer.Y_train)
    expected = [math.sqrt(sum(float((g ** 2).sum()) for g in grads[i:i + 2])) for i in (0, 2, 4)]
    weight_norms = [float(np.linalg.norm(net.params[i])) for i in (0, 2, 4)]
    (record,) = list(trainer.run())
    np.testing.assert_allclose(record.grad_norms, expected, rtol=1e-12)
    assert not np.allclose(record.grad_norms, weight_norms, rtol=0.1)


def test_gradient_norms_are_zero_when_the_loss_gradient_is_zero():
    """Targets equal to the network's own predictions give zero gradients, whatever the weights."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    cfg = _config("custom", layers=(LayerConfig(5, "tanh"),), output_activation="linear", loss_func="mse",
                  batch_size=0, epochs=2, dtype="float64", optimizer="sgd", learning_rate=0.1)
    probe = Trainer(cfg, _regression_split(X, np.zeros(40)), histograms=False)
    y = probe.network.predict_output(X)[:, 0]
    trainer = Trainer(cfg, _regression_split(X, y), histograms=False)
    records = list(trainer.run())
    assert all(norm == 0.0 for r in records for norm in r.grad_norms)
    assert all(np.abs(p).max() > 0 for name, p in zip(trainer.network.param_names, trainer.network.params)
               if name.endswith(".W"))


def _regression_split(X: np.ndarray, y: np.ndarray) -> Split:
    """Train, validation and test all equal to (X, y): no standardization, unit target scale."""
    ds = Dataset("custom", X, y, "regression", (), tuple(f"x{i}" for i in range(X.shape[1])))
    return Split(ds, X, y, X, y, X, y, Standardizer.identity(X.shape[1]))


# -- early stopping ----------------------------------------------------------------------

def test_early_stopping_waits_patience_epochs_beyond_min_delta():
    es = EarlyStopping(patience=3, min_delta=0.1)
    state = iter(range(100))
    improved = [es.update(e, loss, lambda: next(state)) for e, loss in
                enumerate([1.0, 0.95, 0.85, 0.8, 0.79, 0.76], start=1)]
    # only 0.85 beats the best by more than min_delta: 0.95 is too close to 1.0, the rest to 0.85
    assert improved == [True, False, True, False, False, False]
    assert es.best_epoch == 3 and es.best_loss == 0.85
    assert es.should_stop


def test_early_stopping_disabled_still_tracks_the_best_but_never_stops():
    es = EarlyStopping(patience=1, enabled=False)
    for epoch, loss in enumerate([1.0, 2.0, 3.0], start=1):
        es.update(epoch, loss, lambda: (np.zeros(1), np.zeros(0)))
    assert es.best_epoch == 1 and not es.should_stop


def test_trainer_stops_after_patience_epochs_without_improvement():
    cfg = _config(epochs=50, early_stopping=True, patience=4, min_delta=100.0)  # nothing counts as better
    trainer, records = _train(cfg)
    # the initial parameters are the candidate to beat (epoch 0): 4 epochs without beating them
    assert len(records) == 4 and trainer.summary.best_epoch == 0
    assert trainer.summary.stop_reason == STOP_EARLY
    assert "epoch 4" in trainer.summary.message and "kept the initial parameters" in trainer.summary.message
    assert _same_state(trainer.network.state(), trainer.initial_state)


def test_early_stopping_restores_exact_copies_of_the_best_parameters_and_statistics():
    """W, b, gamma, beta and the batch-norm running statistics of the best epoch, not references.

    The reference is a second run with the same seed, stopped after the best epoch.
    """
    cfg = _config(layers=(LayerConfig(32, "relu", dropout_rate=0.2, batch_norm=True),
                          LayerConfig(16, "tanh", batch_norm=True)),
                  epochs=80, learning_rate=0.05, early_stopping=True, patience=3, seed=3)
    trainer = Trainer(cfg, _split("iris"), histograms=False)
    last_state = None
    for _ in trainer.run():
        last_state = trainer.network.state()
    summary = trainer.summary
    assert summary.stop_reason == STOP_EARLY and summary.restored_best
    assert 1 < summary.best_epoch < summary.epochs_run
    restored = trainer.network.state()
    assert not np.array_equal(restored[0], last_state[0])
    assert not np.array_equal(restored[1], last_state[1])
    reference, _ = _train(cfg.replace(epochs=summary.best_epoch, early_stopping=False))
    assert _same_state(restored, reference.network.state())
    for a, b in zip(trainer.network.get_params() + trainer.network.get_buffers(),
                    reference.network.get_params() + reference.network.get_buffers()):
        np.testing.assert_array_equal(a, b)
    # the test metrics are those of the restored parameters
    split = _split("iris")
    assert summary.test_accuracy == np.mean(trainer.network.predict_classes(split.X_test) == split.y_test)


# -- tasks and metrics ---------------------------------------------------------------------

def test_regression_reports_rmse_in_the_original_units():
    cfg = _config("diabetes", output_activation="linear", loss_func="mse", epochs=5, optimizer="adam",
                  learning_rate=0.01)
    trainer, records = _train(cfg)
    split = _split("diabetes")
    assert all(math.isnan(r.train_accuracy) and math.isnan(r.val_accuracy) for r in records)
    pred = trainer.network.predict_output(split.X_test)[:, 0] * split.target_scale + split.target_mean
    truth = split.y_test * split.target_scale + split.target_mean
    summary = trainer.summary
    assert summary.test_rmse == pytest.approx(math.sqrt(np.mean((pred - truth) ** 2)), rel=1e-5)
    assert summary.test_rmse > 10  # disease progression is measured in tens of units, not in std units
    assert math.isnan(summary.test_accuracy)


def test_test_metrics_use_the_test_split_once():
    trainer, _ = _train(_config(epochs=3, dtype="float64"))
    split, net = _split("iris"), trainer.network
    out = net.predict_output(split.X_test)
    assert trainer.summary.test_accuracy == np.mean(out.argmax(axis=1) == split.y_test)
    assert trainer.summary.test_loss == pytest.approx(
        net.loss.value(out, encode_targets(split.y_test, 3, True, "float64")), rel=1e-12)
    assert math.isnan(trainer.summary.test_rmse)


def test_binary_task_with_one_sigmoid_unit():
    cfg = _config("breast_cancer", output_activation="sigmoid", loss_func="log_loss", epochs=3)
    trainer, records = _train(cfg)
    assert trainer.network.n_outputs == 1
    assert records[-1].val_accuracy > 0.8


def test_trainer_checks_the_config_against_the_data():
    with pytest.raises(ConfigError) as err:
        Trainer(_config(output_activation="sigmoid", loss_func="log_loss"), _split("iris"))
    assert "loss_func" in str(err.value) and "3 classes" in str(err.value)


# -- the full-batch shortcut -------------------------------------------------------------

def _history_with(consumer, cfg) -> list[tuple]:
    trainer = Trainer(cfg, _split("iris"), histograms=True)
    out = []
    for record in trainer.run():
        out.append(_comparable(record))
        consumer(trainer)
    return out + [trainer.network.state()[0].tobytes()]


def test_full_batch_history_is_not_disturbed_by_passes_between_epochs():
    """Scratch arrays are shared by passes of the same size: a forward pass over as many rows as
    the evaluation between epochs must not change what the next step computes, and changed
    parameters must be used."""
    cfg = _config(epochs=6, batch_size=0, dtype="float64")
    X = np.concatenate([_split("iris").X_train, _split("iris").X_val])  # as many rows as the evaluation pass

    def nothing(trainer):
        pass

    def predict_same_size(trainer):
        trainer.network.predict_output(X)

    def halve(trainer):
        trainer.network.flat[...] *= 0.5

    def halve_and_predict(trainer):
        halve(trainer)
        predict_same_size(trainer)

    assert _history_with(nothing, cfg) == _history_with(predict_same_size, cfg)
    assert _history_with(halve, cfg) == _history_with(halve_and_predict, cfg)
    assert _history_with(halve, cfg) != _history_with(nothing, cfg)


def _forward_sizes(cfg: ExperimentConfig) -> list[int]:
    trainer = Trainer(cfg, _split("iris"), histograms=False)
    net, calls = trainer.network, []
    forward = net._forward
    net._forward = lambda X, training, rng, **options: calls.append(len(X)) or forward(X, training, rng, **options)
    list(trainer.run())
    return calls


def test_full_batch_steps_run_their_own_pass_then_evaluate_both_splits_at_once():
    calls = _forward_sizes(_config(epochs=5, batch_size=0, train_metrics="evaluation"))
    n_train, n_val, n_test = (len(v) for v in (_split("iris").y_train, _split("iris").y_val, _split("iris").y_test))
    # the initial parameters scored on the validation split; then each epoch: one training pass, then
    # one evaluation of both splits together (and the final test)
    assert calls == [n_val] + [n_train, n_train + n_val] * 5 + [n_test]


@pytest.mark.parametrize("layer,running", [(LayerConfig(16, "relu"), True),
                                           (LayerConfig(16, "relu", dropout_rate=0.2), False),
                                           (LayerConfig(16, "relu", batch_norm=True), False)],
                         ids=["plain", "dropout", "batch-norm"])
def test_auto_train_metrics_run_an_evaluation_pass_only_where_training_differs(layer, running):
    calls = _forward_sizes(_config(epochs=2, batch_size=0, layers=(layer,), train_metrics="auto"))
    n_train, n_val, n_test = (len(v) for v in (_split("iris").y_train, _split("iris").y_val, _split("iris").y_test))
    evaluated = [n_val] if running else [n_train + n_val]
    assert calls == [n_val] + ([n_train] + evaluated) * 2 + [n_test]  # first: the initial parameters


def test_running_metrics_evaluate_only_the_validation_split():
    calls = _forward_sizes(_config(epochs=5, batch_size=0, train_metrics="running"))
    n_train, n_val, n_test = (len(v) for v in (_split("iris").y_train, _split("iris").y_val, _split("iris").y_test))
    assert calls == [n_val] + [n_train, n_val] * 5 + [n_test]  # first: the initial parameters


# -- histograms ----------------------------------------------------------------------------

def test_histograms_computed_together_equal_histograms_computed_one_by_one():
    from nnstudio.engine.histograms import Histogram, HistogramBatch

    rng = np.random.default_rng(3)
    arrays = [rng.normal(size=(40, 7)), np.zeros(7), np.maximum(rng.normal(size=(30, 5)), 0), rng.uniform(size=3)]
    arrays[0][2, 3] = arrays[0].max() + 10.0  # a lone maximum lands in the last bin
    batch = HistogramBatch()
    for dtype in (np.float64, np.float32):
        together = batch([a.astype(dtype) for a in arrays])
        for a, hist in zip(arrays, together):
            alone = Histogram.of(a.astype(dtype))
            np.testing.assert_array_equal(hist.counts, alone.counts)
            np.testing.assert_allclose(hist.edges, alone.edges, rtol=1e-12)
            assert hist.counts.sum() == a.size
            assert not hist.counts.flags.writeable and not hist.edges.flags.writeable
    with_nan = [arrays[0].copy(), arrays[1]]
    with_nan[0][0, 0] = np.nan
    hist = batch(with_nan)[0]
    assert hist.counts.sum() == arrays[0].size - 1  # non-finite entries are left out


def test_gradient_histogram_is_taken_before_clipping():
    """The record's gradient histogram shows what backward produced, as its docstring says."""
    cfg = _config(epochs=1, batch_size=0, clip_type="value", grad_clip=1e-4, dtype="float64", optimizer="sgd")
    trainer = Trainer(cfg, _split("iris"), histograms=True)
    _, grads = trainer.network.loss_and_gradients(trainer.X_train, trainer.Y_train)
    (record,) = list(trainer.run())
    hist = record.layers[0].gradients
    assert hist.edges[0] == pytest.approx(grads[0].min()) and hist.edges[-1] == pytest.approx(grads[0].max())
    assert hist.edges[-1] - hist.edges[0] > 2e-4


def test_activation_histograms_sample_evenly_spaced_rows_of_a_large_validation_split():
    from nnstudio.engine.trainer import ACTIVATION_ROWS, Histogram

    cfg = _config("digits", layers=(LayerConfig(12, "relu"),), epochs=1, batch_size=64)
    trainer, (record,) = _train(cfg, histograms=True)
    n_val = len(_split("digits").y_val)
    step = math.ceil(n_val / ACTIVATION_ROWS)
    assert step > 1
    val_out = trainer.network.predict_output(_split("digits").X_val)
    expected = Histogram.of(val_out[::step])
    np.testing.assert_array_equal(record.layers[-1].activations.counts, expected.counts)
    assert record.layers[0].activations.counts.sum() == len(range(0, n_val, step)) * 12


def test_between_epochs_the_layers_hold_the_validation_activations():
    """Readers of ``layer.a`` between epochs (histogram views, compare) see the validation rows."""
    trainer = Trainer(_config(epochs=2), _split("iris"), histograms=False)
    for _ in trainer.run():
        expected = trainer.network.predict_output(_split("iris").X_val)
        break
    trainer2 = Trainer(_config(epochs=2), _split("iris"), histograms=False)
    for _ in trainer2.run():
        np.testing.assert_allclose(trainer2.network.layers[-1].a, expected, rtol=1e-5)
        assert trainer2.network.layers[0].a.shape == (len(_split("iris").y_val), 16)
        break


# -- epoch 0 ---------------------------------------------------------------------------


def test_epoch_zero_record_shows_the_network_as_initialized():
    from nnstudio.engine import Histogram

    cfg = _config(layers=(LayerConfig(16, "relu", dropout_rate=0.2), LayerConfig(8, "tanh", batch_norm=True)))
    split = _split("iris")
    trainer = Trainer(cfg, split, histograms=False)
    net = trainer.network
    initial = [layer.W.copy() for layer in net.layers]
    record = trainer.initial_record()
    assert record.epoch == 0 and not record.is_best and record.learning_rate == cfg.learning_rate
    assert all(np.array_equal(w, layer.W) for w, layer in zip(initial, net.layers))  # no step taken
    assert record.val_loss == pytest.approx(trainer.evaluate(split.X_val, split.y_val)[0], rel=1e-6)
    assert record.train_accuracy == pytest.approx(trainer.evaluate(split.X_train, split.y_train)[1])
    for snap, w in zip(record.layers, initial):
        np.testing.assert_array_equal(snap.weights.counts, Histogram.of(w).counts)
    # gradient norms: the first mini-batch's gradient in evaluation mode, per layer
    _, grads = net.loss_and_gradients(trainer.X_train[:16], trainer.Y_train[:16], training=False)
    per_layer, i = [], 0
    for layer in net.layers:
        count = 4 if layer.gamma is not None else 2
        per_layer.append(math.sqrt(sum(float(np.sum(g.astype(np.float64) ** 2)) for g in grads[i:i + count])))
        i += count
    np.testing.assert_allclose(record.grad_norms, per_layer, rtol=1e-4)


def test_asking_for_epoch_zero_does_not_change_the_run():
    cfg = _config(layers=(LayerConfig(16, "relu", dropout_rate=0.3), LayerConfig(8, "tanh", batch_norm=True)))
    plain = [_comparable(r) for r in _train(cfg, histograms=True)[1]]
    trainer = Trainer(cfg, _split("iris"), histograms=True)
    trainer.initial_record()
    assert [_comparable(r) for r in trainer.run()] == plain


# -- identical units and clipping ---------------------------------------------------------


def test_distinct_units_counts_units_with_different_incoming_weights():
    from nnstudio.engine.diagnostics import distinct_units

    rng = np.random.default_rng(0)
    W, b = rng.normal(size=(5, 6)), rng.normal(size=6)
    assert distinct_units(W, b) == 6
    W[:, 4], b[4] = W[:, 1], b[1]
    W[:, 5], b[5] = W[:, 1] * (1 + 1e-9), b[1]  # a rounding difference is no difference
    assert distinct_units(W, b) == 4
    b[5] += 0.1  # the same weights with another bias: another function
    assert distinct_units(W, b) == 5
    assert distinct_units(np.zeros((3, 7)), np.zeros(7)) == 1


def test_zeros_init_keeps_every_hidden_unit_identical_after_training():
    cfg = _config(init_method="zeros", epochs=8, layers=(LayerConfig(16, "sigmoid"), LayerConfig(8, "sigmoid")))
    trainer = Trainer(cfg, _split("iris"), histograms=True)
    assert trainer.initial_record().distinct_units == (1, 1)
    records = list(trainer.run())
    assert all(r.distinct_units == (1, 1) for r in records)
    assert not np.allclose(trainer.network.layers[0].W, 0)  # they learned, all alike
    _, glorot = _train(_config(epochs=2), histograms=True)
    assert glorot[-1].distinct_units == (16, 8)


@pytest.mark.parametrize("clip_type", ["none", "value", "norm", "global_norm"])
def test_clipping_statistics_are_the_norms_of_the_gradient_before_and_after(clip_type):
    """Full batch: one step per epoch, whose gradient is the training loss's gradient at the
    initial parameters; clip a copy of it by hand and compare."""
    from nnstudio.engine import clip_gradients

    cfg = _config(clip_type=clip_type, grad_clip=0.05, epochs=1, batch_size=0, learning_rate=0.1)
    trainer = Trainer(cfg, _split("iris"))
    net = trainer.network
    net.loss_and_gradients(trainer.X_train, trainer.Y_train)
    grad = net.flat_grad.astype(np.float64)
    before = float(np.linalg.norm(grad))
    clipped = net.flat_grad.copy()
    tensors = [clipped[a:a + g.size].reshape(g.shape) for a, g in
               zip(np.cumsum([0] + [g.size for g in net.grads])[:-1], net.grads)]
    clip_gradients(clip_type, clipped, tensors, 0.05)
    after = float(np.linalg.norm(clipped.astype(np.float64)))
    r = list(trainer.run())[0]
    assert r.grad_norm == pytest.approx(before, rel=1e-5)
    assert r.clipped_norm == pytest.approx(after, rel=1e-5)
    assert r.clipped_fraction == (0.0 if clip_type == "none" else 1.0)
    if clip_type == "global_norm":
        assert r.clipped_norm == pytest.approx(0.05, rel=1e-5)


# -- stop inside long passes --------------------------------------------------------------


def test_a_large_network_evaluates_in_chunks_and_stops_inside_the_evaluation(monkeypatch):
    import nnstudio.engine.evaluation as evaluation_module

    cfg = _config(epochs=3, layers=(LayerConfig(16, "relu", dropout_rate=0.1), LayerConfig(8, "tanh")))
    plain = [_comparable(r) for r in _train(cfg, histograms=True)[1]]
    # the same network counted as large: chunks of 7 rows give the same records
    monkeypatch.setattr(evaluation_module, "EVAL_CHUNK_WORK", 7 * Trainer(cfg, _split("iris")).network.n_params)
    monkeypatch.setattr(evaluation_module, "EVAL_CHUNK_MIN_ROWS", 1)
    chunked = Trainer(cfg, _split("iris"), histograms=True)
    assert chunked.evaluates_in_chunks and chunked._eval.chunk_rows == 7
    records = [_comparable(r) for r in chunked.run()]
    assert len(records) == len(plain)
    for a, b in zip(records, plain):  # equal up to summation order
        assert a[0] == b[0] and np.allclose(a[1:5], b[1:5], rtol=1e-5)
    # a stop request that arrives during the evaluation is seen before the next chunk
    calls = {"n": 0}
    checks = _batches_per_epoch(cfg) * _checks_per_step(cfg)

    def stop():
        calls["n"] += 1
        return calls["n"] > checks + 2  # after the first epoch's steps, inside its evaluation

    trainer = Trainer(cfg, _split("iris"), histograms=True)
    got = list(trainer.run(stop))
    s = trainer.summary
    assert got == [] and s.stop_reason == STOP_USER and "while evaluating epoch 1" in s.message
    assert s.epochs_run == 0 and math.isnan(s.test_accuracy) and "not computed" in s.message
