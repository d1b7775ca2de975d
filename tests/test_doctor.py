"""The training doctor's measures and rules: exact references for the measures, and one design per
finding code that provokes it; the healthy presets raise no warning."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from nnstudio.config import ConfigError, LayerConfig
from nnstudio.data import load_split
from nnstudio.engine import Trainer
from nnstudio.engine.diagnostics import dead_fraction, distinct_units, sampled_steps, saturated_fraction
from nnstudio.engine.doctor import Doctor, chance_levels, diagnose
from nnstudio.engine.findings import CODES, Finding, Suggestion, SuggestionError, top_finding
from nnstudio.engine.thresholds import THRESHOLDS
from nnstudio.presets import load_preset

ARTICLE = load_preset("article")


@pytest.fixture(autouse=True, scope="module")
def one_blas_thread():
    """Train as the worker processes do: with two cores shared, BLAS threads only fight."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        yield


def run_doctor(config):
    split = load_split(config.data)
    trainer = Trainer(config, split, histograms=False)
    doctor = Doctor(config, split)
    records = [r for r in trainer.run() if doctor.observe(r) is not None]
    return doctor.finish(trainer.summary), records, trainer


def codes(findings, at_least="info"):
    rank = ("info", "warning", "error").index(at_least)
    return {f.code for f in findings if f.rank >= rank}


# -- measures against exact references ------------------------------------------------------------

def test_dead_and_saturated_fractions_count_what_they_say():
    a = np.array([[0.0, 1.0, 0.0], [0.0, 2.0, -1.0]])
    assert dead_fraction(a) == pytest.approx(2 / 3)
    s = np.array([[0.005, 0.5], [0.995, 0.991]])
    assert saturated_fraction(s, (0.0, 1.0), 0.01) == pytest.approx(0.75)
    assert saturated_fraction(np.array([[-0.99, 0.97]]), (-1.0, 1.0), 0.01) == pytest.approx(0.5)


def test_distinct_units_counts_groups_of_equal_columns():
    rng = np.random.default_rng(0)
    base = rng.normal(size=(8, 3))
    W = base[:, [0, 0, 1, 2, 2, 2]] + 1e-7 * rng.normal(size=(8, 6))
    assert distinct_units(W, np.zeros(6), 1e-3) == 3
    assert distinct_units(np.zeros((8, 5)), np.zeros(5), 1e-3) == 1
    b = np.array([0.0, 1.0, 0.0, 0.0, 0.0, 0.0])  # a different bias makes a different unit
    assert distinct_units(W, b, 1e-3) == 4


def test_sampled_steps_include_the_last_and_are_evenly_spread():
    assert sampled_steps(3) == {0, 1, 2}
    steps = sorted(sampled_steps(20, 4))
    assert steps[-1] == 19 and len(steps) == 4 and np.diff(steps).min() >= 4


def test_update_ratio_is_the_step_over_the_weights_for_plain_sgd():
    """Full batch, no momentum: the one step per epoch is −lr·∇W, so ‖ΔW‖/‖W‖ is exact."""
    cfg = ARTICLE.replace(batch_size=0, momentum=0.0, epochs=1, learning_rate=0.3)
    split = load_split(cfg.data)
    trainer = Trainer(cfg, split, histograms=False)
    net = trainer.network
    W0 = [layer.W.copy() for layer in net.layers]
    # the step's gradient, taken before training (the optimizer may use the trainer's own
    # gradient buffer as scratch during the step)
    _, grads = net.loss_and_gradients(trainer.X_train, trainer.Y_train)
    gW = grads[::2] if len(grads) == 2 * len(net.layers) else [g for g in grads if g.ndim == 2]
    record = next(trainer.run())
    for layer, w0, g, health in zip(net.layers, W0, gW, record.health.layers):
        expected = np.linalg.norm(layer.W - w0) / np.linalg.norm(layer.W)
        assert health.update_ratio == pytest.approx(expected, rel=1e-4)
        np.testing.assert_allclose(layer.W - w0, -0.3 * g, rtol=1e-4, atol=1e-7)
    assert record.health.grad_ratio == pytest.approx(record.grad_norms[0] / record.grad_norms[-1])


def test_health_can_be_turned_off_and_does_not_change_training():
    cfg = ARTICLE.replace(epochs=2)
    split = load_split(cfg.data)
    on = list(Trainer(cfg, split, histograms=False).run())
    off = list(Trainer(cfg, split, histograms=False, diagnostics=False).run())
    assert off[-1].health is None and on[-1].health is not None
    assert [r.val_loss for r in on] == [r.val_loss for r in off]


def test_chance_levels_are_the_majority_share_and_the_prior_loss():
    cfg = load_preset("breast_cancer")
    split = load_split(cfg.data)
    chance = chance_levels(cfg, split)
    counts = np.bincount(split.y_val)
    assert chance.accuracy == pytest.approx(counts.max() / counts.sum())
    p = split.y_train.mean()
    y = split.y_val
    expected = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
    assert chance.loss == pytest.approx(expected, rel=1e-6)


# -- suggestions and findings ------------------------------------------------------------------

@pytest.mark.parametrize("text, field, check", [
    ("init_method: he_normal", "init_method", lambda c: c.init_method == "he_normal"),
    ("learning_rate: ×0.1", "learning_rate", lambda c: c.learning_rate == pytest.approx(0.05)),
    ("dropout_rate: 0.2", "dropout_rate", lambda c: all(layer.dropout_rate == 0.2 for layer in c.layers)),
    ("early_stopping: true", "early_stopping", lambda c: c.early_stopping is True),
    ("activation: relu", "activation", lambda c: all(layer.activation == "relu" for layer in c.layers)),
    ("units: ×2", "units", lambda c: c.layers[0].units == 128),
])
def test_suggestions_round_trip_through_their_text_and_edit_the_config(text, field, check):
    s = Suggestion.parse(text)
    assert s.field == field and Suggestion.parse(s.text) == s
    assert check(s.apply(ARTICLE.replace(early_stopping=False)))


@pytest.mark.parametrize("text", ["nonsense", "colour: red", "learning_rate: ×abc", "learning_rate: ×-1"])
def test_unreadable_suggestions_say_why(text):
    with pytest.raises(SuggestionError):
        Suggestion.parse(text)


def test_a_suggestion_that_makes_a_bad_config_is_refused():
    with pytest.raises(ConfigError):
        Suggestion("dropout_rate", 1.5).apply(ARTICLE)


def test_findings_are_immutable_and_round_trip_through_json():
    f = Finding("dead_units", "warning", "layer1", 3, (("dead_share", 0.6),), "m", Suggestion("learning_rate", factor=0.1))
    with pytest.raises(AttributeError):
        f.code = "x"
    assert Finding.from_dict(json.loads(json.dumps(f.to_dict()))) == f
    with pytest.raises(ValueError):
        Finding("nope", "warning", None, 1, (), "m")


def test_top_finding_puts_causes_before_symptoms_and_warnings_before_infos():
    def f(code, severity):
        return Finding(code, severity, None, 1, (), "m")
    assert top_finding([f("not_learning", "error"), f("identical_units", "warning")]).code == "identical_units"
    assert top_finding([f("identical_units", "info"), f("overfitting", "warning")]).code == "overfitting"
    assert top_finding([]) is None


def test_every_threshold_names_its_source():
    for name in THRESHOLDS:
        t = THRESHOLDS[name]
        assert t.source and t.meaning and math.isfinite(t.value)


# -- one design per code ---------------------------------------------------------------------

DESIGNS = {
    "identical_units": ARTICLE.replace(init_method="zeros", epochs=2),
    "saturated_units": ARTICLE.replace(init_method="random", epochs=2),
    "vanishing_gradients": ARTICLE.replace(layers=[LayerConfig(32, "sigmoid")] * 6, epochs=2),
    "not_learning": ARTICLE.replace(layers=[LayerConfig(32, "sigmoid")] * 6, epochs=6),
    "exploding_gradients": ARTICLE.replace(layers=[LayerConfig(64, "tanh")] * 20, init_method="random", epochs=1),
    "update_ratio_high": ARTICLE.replace(learning_rate=40.0, momentum=0.0, epochs=8),
    "update_ratio_low": ARTICLE.replace(learning_rate=1e-4, momentum=0.0, epochs=6),
    "dead_units": ARTICLE.replace(layers=[LayerConfig(64, "relu")] * 2, init_method="he_normal", learning_rate=3.0,
                                  epochs=3),
    "diverged": ARTICLE.replace(layers=[LayerConfig(64, "relu")] * 2, init_method="he_normal", learning_rate=200.0,
                                loss_func="mse", output_activation="linear", epochs=3),
    "oscillating_loss": ARTICLE.replace(learning_rate=50.0, epochs=16),
    "overfitting": ARTICLE.replace(data={"name": "iris"}, layers=[LayerConfig(256, "relu")] * 2, optimizer="adam",
                                   learning_rate=3e-3, batch_size=16, init_method="he_normal", early_stopping=False,
                                   epochs=30),
    "underfitting": ARTICLE.replace(data={"name": "moons"}, layers=[], optimizer="adam", learning_rate=0.01,
                                    epochs=30),
}


def test_every_code_has_a_design():
    assert set(DESIGNS) == set(CODES)


@pytest.mark.parametrize("code", CODES)
def test_each_design_provokes_its_finding(code):
    findings, records, _ = run_doctor(DESIGNS[code])
    found = [f for f in findings if f.code == code]
    assert found, f"{code} not raised; got {[(f.code, f.severity) for f in findings]}"
    f = found[0]
    assert f.severity in ("warning", "error") and f.message.endswith(").") and "article" in f.message
    assert f.evidence and 1 <= f.epoch <= len(records) + 1
    if f.suggestion is not None:
        f.suggestion.apply(DESIGNS[code])  # every suggestion is a valid edit of the design


HEALTHY = {
    "digits": load_preset("digits").replace(epochs=25),
    "moons": load_preset("moons"),
    "circles": load_preset("circles"),
    "breast_cancer": load_preset("breast_cancer"),
    "iris": load_preset("digits").replace(data={"name": "iris"}, epochs=60),
}


@pytest.mark.parametrize("name", HEALTHY)
def test_healthy_presets_raise_no_warning(name):
    findings, records, trainer = run_doctor(HEALTHY[name])
    assert not codes(findings, "warning"), [(f.code, f.severity, f.evidence) for f in findings]
    assert records[-1].health is not None


def test_diagnose_gives_what_the_live_doctor_gives():
    cfg = DESIGNS["identical_units"]
    live, records, trainer = run_doctor(cfg)
    assert diagnose(cfg, trainer.split, records, trainer.summary) == live
    assert live[0].layer == "layer1" and live[0].evidence_dict()["distinct_units"] <= 3


def test_the_common_top_finding_over_seeds_ignores_infos_and_breaks_ties_by_cause():
    from nnstudio.engine.findings import common_top_code

    def f(code, severity="warning"):
        return Finding(code, severity, None, 1, (), "m")
    runs = [(f("saturated_units"),), (f("identical_units"), f("not_learning", "error")), (f("saturated_units"),)]
    assert common_top_code(runs) == "saturated_units"
    assert common_top_code([(f("saturated_units"),), (f("identical_units"),)]) == "identical_units"
    assert common_top_code([(f("overfitting", "info"),), ()]) == ""


def test_a_layer_of_different_units_is_recounted_every_few_epochs():
    from nnstudio.engine.diagnostics import DISTINCT_RECHECK, HealthMonitor

    cfg = ARTICLE.replace(epochs=1)
    trainer = Trainer(cfg, load_split(cfg.data), histograms=False, diagnostics=False)
    list(trainer.run())
    net = trainer.network
    monitor = HealthMonitor(net, len(trainer.X_val))
    norms = [1.0] * len(net.layers)
    assert monitor.end_epoch(norms).layers[0].distinct_units == 64
    net.layers[0].W[...] = net.layers[0].W[:, :1]  # every unit made a copy of the first
    net.layers[0].b[...] = 0.0
    counts = [monitor.end_epoch(norms).layers[0].distinct_units for _ in range(DISTINCT_RECHECK)]
    assert counts[:-1] == [64] * (DISTINCT_RECHECK - 1) and counts[-1] == 1


def test_a_finite_divergence_is_reported_with_its_real_reason_and_figures():
    """A run ended because its validation loss stayed high (every number finite) is not said to have gone NaN."""
    from nnstudio.engine.callbacks import DIVERGENCE_EPOCHS, DIVERGENCE_FACTOR

    config = ARTICLE.replace(optimizer="rmsprop", learning_rate=10.0, epochs=60, early_stopping=False, seed=1,
                             layers=(LayerConfig(32, "relu", batch_norm=True),))
    findings, records, trainer = run_doctor(config)
    assert trainer.summary.diverged and all(math.isfinite(r.val_loss) for r in records)
    f = next(f for f in findings if f.code == "diverged")
    assert "NaN" not in f.message and "infinite" not in f.message
    initial, last = trainer.initial_val_loss, records[-1].val_loss
    assert last > DIVERGENCE_FACTOR * initial
    assert f"above {DIVERGENCE_FACTOR:g}× its initial value ({initial:.4g})" in f.message
    assert f"{DIVERGENCE_EPOCHS} epochs in a row" in f.message and f"{last:.4g} in epoch {records[-1].epoch}" in f.message
    assert f.evidence_dict()["initial_val_loss"] == pytest.approx(initial)
    assert f.evidence_dict()["val_loss"] == pytest.approx(last)


def test_a_non_finite_divergence_says_so():
    findings, records, trainer = run_doctor(DESIGNS["diverged"])
    assert trainer.summary.diverged and "NaN or infinite" in trainer.summary.message
    f = next(f for f in findings if f.code == "diverged")
    assert "NaN or infinite" in f.message and f"epoch {trainer.summary.epochs_run}" in f.message


def _evidence_names_in_rules() -> set[str]:
    """Every evidence field a rule or the doctor writes: the string keys of the dict literals in their functions."""
    import ast
    import inspect

    from nnstudio.engine import doctor, rules

    names = set()
    for module in (rules, doctor):
        functions = [n for n in ast.walk(ast.parse(inspect.getsource(module))) if isinstance(n, ast.FunctionDef)]
        for node in (d for f in functions for d in ast.walk(f)):
            if isinstance(node, ast.Dict):
                names |= {k.value for k in node.keys if isinstance(k, ast.Constant) and isinstance(k.value, str)}
    return names


def test_every_evidence_field_has_a_label_in_words():
    from nnstudio.engine.findings import EVIDENCE_LABELS

    names = _evidence_names_in_rules()
    assert {"saturated_share", "measured_at_epoch", "sign_changes", "gap_at_best"} <= names
    assert names <= set(EVIDENCE_LABELS), names - set(EVIDENCE_LABELS)
    assert all("_" not in label for label, _ in EVIDENCE_LABELS.values())


def test_evidence_reads_in_words_with_percent_while_its_data_form_keeps_the_names():
    f = Finding("saturated_units", "warning", "layer1", 6,
                (("saturated_share", 1.0), ("layers_affected", 2.0), ("measured_at_epoch", 6.0)), "m.")
    assert f.evidence_display() == "saturated outputs 100%, layers affected 2, measured at epoch 6"
    assert f.evidence_text() == "saturated_share 1, layers_affected 2, measured_at_epoch 6"
    assert Finding.from_dict(json.loads(json.dumps(f.to_dict()))) == f
    g = Finding("overfitting", "info", None, 64, (("best_epoch", 64.0), ("val_rise", 0.31), ("gap_at_best", 0.0369)),
                "m.")
    assert g.evidence_display() == "best epoch 64, validation loss rose 31% from its best, train/validation gap at best 0.0369"
    h = Finding("oscillating_loss", "warning", None, 9, (("sign_changes", 0.857), ("update_ratio", 3e-5)), "m.")
    assert h.evidence_display() == "validation loss changed direction in 86% of epochs, update/weight ratio 0.003%"
    from nnstudio.commands.diagnose import format_findings

    assert "evidence: saturated outputs 100%, layers affected 2, measured at epoch 6" in format_findings([f])


def test_overfittings_epoch_is_the_one_its_sentence_names():
    """The finding is seen 3 epochs after the best one; its epoch (the page's "since epoch") is the best epoch."""
    findings, records, _ = run_doctor(DESIGNS["overfitting"])
    f = next(f for f in findings if f.code == "overfitting")
    best = int(f.evidence_dict()["best_epoch"])
    assert f.epoch == best and f.message.startswith(f"Since epoch {best} ")
    assert records[-1].best_epoch == best


def _records(val_losses):
    """Records of a run whose validation loss follows ``val_losses`` while the training loss keeps falling."""
    from nnstudio.engine import EpochRecord

    out, best, best_epoch = [], math.inf, 0
    for epoch, v in enumerate(val_losses, start=1):
        is_best = v < best
        best, best_epoch = (v, epoch) if is_best else (best, best_epoch)
        out.append(EpochRecord(epoch, 0.5 * 0.9 ** epoch, v, 0.9, 0.9, 0.1, (1.0,), (), float(epoch), is_best,
                               best_epoch, best))
    return out


def test_a_finding_that_clears_is_kept_with_the_epochs_it_was_seen():
    from nnstudio.engine.rules import Chance

    calm = [0.5, 0.4, 0.35, 0.3, 0.28]
    swinging = [0.2, 0.3, 0.18, 0.34, 0.15, 0.38, 0.12, 0.4, 0.1]  # growing swings: oscillating
    settled = [0.09 - 0.002 * i for i in range(12)]
    doctor = Doctor(ARTICLE, chance=Chance(0.5, 0.69))
    held = [r.epoch for r in _records(calm + swinging + settled)
            if any(f.code == "oscillating_loss" for f in doctor.observe(r))]
    assert held and held == list(range(held[0], held[-1] + 1)) and held[-1] < len(calm + swinging + settled)
    assert not any(f.code == "oscillating_loss" for f in doctor.findings)
    (cleared,) = [c for c in doctor.cleared if c.finding.code == "oscillating_loss"]
    assert (cleared.first_epoch, cleared.last_epoch) == (held[0], held[-1])
    assert cleared.epochs == f"epochs {held[0]}\u2013{held[-1]}"
    assert doctor.finish(None) == doctor.findings and doctor.cleared == (cleared,)


def test_the_command_line_lists_cleared_findings_after_the_current_ones():
    from nnstudio.commands.diagnose import format_findings
    from nnstudio.engine.findings import Cleared

    gone = Cleared(Finding("oscillating_loss", "warning", None, 36, (("sign_changes", 0.857),), "It swung."), 36, 333)
    text = format_findings((), (gone,))
    assert text.splitlines() == ["No findings at the end of the run.",
                                 "CLEARED oscillating_loss: seen at epochs 36\u2013333, cleared later. It swung."]
    assert format_findings(()) == "No findings: nothing in this run looks wrong."
