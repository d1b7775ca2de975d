"""Debiased smoothing and the order guarantee of the smoothed train/validation pair."""

from __future__ import annotations

import numpy as np
import pytest

from nnstudio.smoothing import CLEAR_EPOCHS, CLEAR_TOLERANCE, clear_order, debiased_ema, smooth_pair


def _plain_clear(a, b, t):
    """Clear order at epoch t, from the definition: the last CLEAR_EPOCHS raw pairs (fewer at the
    start) all differ by more than the tolerance, with one sign."""
    lo = max(0, t - CLEAR_EPOCHS + 1)
    signs = set()
    for i in range(lo, t + 1):
        gap = a[i] - b[i]
        if abs(gap) <= CLEAR_TOLERANCE * max(abs(a[i]), abs(b[i])):
            return 0
        signs.add(np.sign(gap))
    return signs.pop() if len(signs) == 1 else 0


def test_clear_order_follows_its_definition():
    rng = np.random.default_rng(4)
    a, b = rng.uniform(1, 2, 200), rng.uniform(1, 2, 200)
    b[50:80] = a[50:80] * 1.5
    order = clear_order(a, b)
    assert [order[t] for t in range(200)] == [_plain_clear(a, b, t) for t in range(200)]
    assert (order[52:80] == -1).all()


@pytest.mark.parametrize("seed", range(20))
@pytest.mark.parametrize("beta", [0.6, 0.9, 0.99])
def test_smoothing_never_reverses_a_clear_order(seed, beta):
    rng = np.random.default_rng(seed)
    n = 300
    a = np.exp(-np.linspace(0, 4, n)) * (1 + 0.3 * rng.standard_normal(n)) + 0.1
    b = a * rng.uniform(0.5, 1.5) + 0.1 * np.sin(np.linspace(0, rng.uniform(1, 20), n))
    sa, sb = smooth_pair(a, b, beta)
    order = clear_order(a, b)
    clear = order != 0
    assert (np.sign(sa - sb)[clear] == order[clear]).all()
    # where the order is not clear the plain debiased average is drawn
    da, db = debiased_ema(a, beta), debiased_ema(b, beta)
    np.testing.assert_array_equal(sa[~clear], da[~clear])
    np.testing.assert_array_equal(sb[~clear], db[~clear])


def test_a_corrected_stretch_does_not_jump_back_to_the_plain_average():
    """Real losses (article preset, standard-normal init): the fix starts at epoch 5 and holds to
    the end instead of alternating with the plain average."""
    train = np.array([1.927, 0.53, 0.318, 0.225, 0.168, 0.134, 0.106, 0.088])
    val = np.array([0.873, 0.516, 0.511, 0.388, 0.346, 0.331, 0.306, 0.295])
    smooth_train, smooth_val = smooth_pair(train, val, 0.9)
    np.testing.assert_array_equal(smooth_train[:4], debiased_ema(train, 0.9)[:4])
    np.testing.assert_allclose(smooth_train[4:], debiased_ema(train[2:], 0.9)[2:])  # restarted at epoch 3
    assert (np.diff(smooth_train[4:]) < 0).all() and (smooth_train[4:] < smooth_val[4:]).all()


@pytest.fixture(scope="module")
def article_history():
    """The article preset's real losses: digits, 64 sigmoid units, SGD at 0.5, 40 epochs."""
    from nnstudio.data import load_split
    from nnstudio.engine.trainer import Trainer
    from nnstudio.presets import load_preset

    cfg = load_preset("article").replace(epochs=40)
    records = list(Trainer(cfg, load_split(cfg.data), histograms=False).run())
    return np.array([r.train_loss for r in records]), np.array([r.val_loss for r in records])


def test_on_the_article_preset_the_smoothed_curves_tell_the_raw_order(article_history):
    train, val = article_history
    assert train[0] > val[0] and (train[2:] < val[2:]).all()  # train below validation from epoch 3
    smooth_train, smooth_val = smooth_pair(train, val, 0.9)
    clear = clear_order(train, val)
    assert (clear[4:] == -1).all()  # clearly ordered from epoch 5 on
    assert (smooth_train[4:] < smooth_val[4:]).all()
    # the thick line stays near the data: no 7.6x overstatement at epoch 10
    assert smooth_train[9] / train[9] < 2.0
