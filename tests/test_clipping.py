"""Gradient clipping: by value, by norm per tensor, by global norm, and none."""

from __future__ import annotations

import numpy as np
import pytest

from nnstudio.config import ConfigError, DataConfig, ExperimentConfig, LayerConfig
from nnstudio.data import load_split
from nnstudio.engine import CLIP_HELP, CLIP_TYPES, Trainer, clip_gradients


def _gradients():
    """A flat gradient holding two tensors with norms 3 and 4 (joint norm 5), and views of it."""
    flat = np.array([3.0, 0.0, 0.0, 0.0, 4.0, 0.0])
    return flat, [flat[:2].reshape(2, 1), flat[2:]]


def test_every_clip_type_is_tested_and_explained():
    assert set(CLIP_TYPES.names()) == {"none", "value", "norm", "global_norm"}
    assert set(CLIP_HELP) == set(CLIP_TYPES.names())


def test_none_leaves_gradients_alone():
    flat, tensors = _gradients()
    clip_gradients("none", flat, tensors, 0.1)
    np.testing.assert_array_equal(flat, [3.0, 0.0, 0.0, 0.0, 4.0, 0.0])


def test_value_clips_each_component():
    flat = np.array([-5.0, -0.5, 0.2, 2.0, 0.7])
    clip_gradients("value", flat, [flat], 0.6)
    np.testing.assert_array_equal(flat, [-0.6, -0.5, 0.2, 0.6, 0.6])


def test_norm_rescales_each_tensor_on_its_own():
    flat, tensors = _gradients()
    clip_gradients("norm", flat, tensors, 1.0)
    assert [np.linalg.norm(t) for t in tensors] == [pytest.approx(1.0), pytest.approx(1.0)]
    np.testing.assert_allclose(flat, [1.0, 0, 0, 0, 1.0, 0])


def test_global_norm_rescales_all_tensors_together_keeping_the_direction():
    flat, tensors = _gradients()
    clip_gradients("global_norm", flat, tensors, 1.0)
    assert np.linalg.norm(flat) == pytest.approx(1.0)
    np.testing.assert_allclose(flat, [0.6, 0, 0, 0, 0.8, 0])


def test_global_norm_returns_the_squared_norm_it_measured_only_when_it_left_the_gradient_alone():
    """The trainer takes the returned value as the clipped gradient's squared norm: it must be exact."""
    rng = np.random.default_rng(3)
    flat = rng.standard_normal(1000).astype(np.float32)
    square = clip_gradients("global_norm", flat, [flat], 1e6)
    assert square == flat @ flat  # the very dot product, bit for bit
    assert clip_gradients("global_norm", flat, [flat], 1.0) is None  # rescaled: the caller measures again
    for other in ("none", "value", "norm"):
        assert clip_gradients(other, flat, [flat], 0.5) is None


def test_per_tensor_and_global_norm_differ():
    a, ta = _gradients()
    b, tb = _gradients()
    clip_gradients("norm", a, ta, 1.0)
    clip_gradients("global_norm", b, tb, 1.0)
    assert not np.allclose(a, b)
    # the global version keeps the ratio between tensors (3 : 4), the per-tensor one does not
    assert b[4] / b[0] == pytest.approx(4 / 3)
    assert a[4] / a[0] == pytest.approx(1.0)


@pytest.mark.parametrize("clip_type", ["value", "norm", "global_norm"])
def test_gradients_under_the_threshold_are_untouched(clip_type):
    flat, tensors = _gradients()
    clip_gradients(clip_type, flat, tensors, 10.0)
    np.testing.assert_array_equal(flat, [3.0, 0.0, 0.0, 0.0, 4.0, 0.0])


@pytest.mark.parametrize("bad", [0.0, -1.0, float("nan"), float("inf")])
def test_threshold_must_be_strictly_positive(bad):
    """The article's tuner could pick a clip value of 0, which zeroes every gradient."""
    with pytest.raises(ConfigError) as err:
        ExperimentConfig(clip_type="value", grad_clip=bad).validate()
    assert err.value.field == "grad_clip"
    assert "grad_clip" in str(err.value) and repr(bad) in str(err.value)


def test_unknown_clip_type_lists_the_valid_ones():
    from nnstudio.engine import validate_config

    with pytest.raises(ConfigError) as err:
        validate_config(ExperimentConfig(clip_type="by_norm"))
    assert "clip_type" in str(err.value) and "'by_norm'" in str(err.value)
    assert all(name in str(err.value) for name in CLIP_TYPES.names())


# clip type -> the norms the update must keep under the threshold
BOUNDS = {
    "value": lambda step, views: np.abs(step),
    "norm": lambda step, views: np.array([np.linalg.norm(v) for v in views]),
    "global_norm": lambda step, views: np.linalg.norm(step),
}


@pytest.mark.parametrize("clip_type", sorted(BOUNDS))
def test_trainer_applies_clipping_before_the_update(clip_type):
    """One full-batch SGD step with lr 1 moves the parameters by exactly the clipped gradient."""
    split = load_split(DataConfig(name="iris"))
    t = 1e-3
    cfg = ExperimentConfig(data=DataConfig(name="iris"), layers=(LayerConfig(6, "tanh"),), epochs=1,
                           batch_size=0, optimizer="sgd", learning_rate=1.0, clip_type=clip_type,
                           grad_clip=t, dtype="float64", early_stopping=False)
    trainer = Trainer(cfg, split, histograms=False)
    net = trainer.network
    before = net.flat.copy()
    _, grads = net.loss_and_gradients(trainer.X_train, trainer.Y_train)
    flat = np.concatenate([g.ravel() for g in grads])
    assert BOUNDS[clip_type](flat, _views(flat, grads)).max() > t  # the clip really acts
    clip_gradients(clip_type, flat, _views(flat, grads), t)
    list(trainer.run())
    step = before - net.flat
    np.testing.assert_allclose(step, flat, rtol=1e-10, atol=1e-14)
    assert BOUNDS[clip_type](step, _views(step, grads)).max() <= t * (1 + 1e-9)


def _views(flat, grads):
    """Views of ``flat`` shaped like ``grads``."""
    out, offset = [], 0
    for g in grads:
        out.append(flat[offset:offset + g.size].reshape(g.shape))
        offset += g.size
    return out
