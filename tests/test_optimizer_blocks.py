"""Large parameter vectors are updated block by block: the same result to the bit as one pass
over the whole vector, for every optimizer that blocks its step."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nnstudio.engine import make_optimizer
from nnstudio.engine import optimizers
from nnstudio.engine.optimizers import blocks

SETTINGS = dict(momentum=0.8, beta1=0.9, beta2=0.99, epsilon=1e-7, rho=0.7, weight_decay=0.05)
SIZE = 1000  # not a multiple of the block: the last block is short


def test_blocks_cover_the_vector_once_in_order():
    assert blocks(10, 4) == (slice(0, 10),)  # small: one pass
    big = optimizers.BLOCKED_MIN_BYTES // 4 + 3
    parts = blocks(big, 4)
    assert parts[0] == slice(0, optimizers.BLOCK_BYTES // 4) and parts[-1].stop == big
    assert all(a.stop == b.start for a, b in zip(parts, parts[1:]))
    assert len(parts) == math.ceil(big / (optimizers.BLOCK_BYTES // 4))
    assert len(blocks(big // 2 + 2, 8)) == len(parts)  # float64: the same bytes per block


def _run(name, dtype, consume, blocked, monkeypatch, mask=None):
    if blocked:  # blocks of 96 elements for any vector
        monkeypatch.setattr(optimizers, "BLOCKED_MIN_BYTES", 0)
        monkeypatch.setattr(optimizers, "BLOCK_BYTES", 96 * np.dtype(dtype).itemsize)
    rng = np.random.default_rng(5)
    params = rng.normal(size=SIZE).astype(dtype)
    opt = make_optimizer(name, SIZE, dtype, decay_mask=mask, **SETTINGS)
    assert len(opt._slices) == (11 if blocked else 1)
    for step in range(6):
        grads = (rng.normal(size=SIZE) * 10.0 ** rng.integers(-6, 2, SIZE)).astype(dtype)
        grads[::97] = 0.0
        opt.step(params, grads, 0.01 * (step + 1), consume)
    monkeypatch.undo()
    return params


@pytest.mark.parametrize("name", ["adam", "adamw", "rmsprop"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("consume", [False, True])
def test_a_blocked_step_equals_the_whole_vector_step_to_the_bit(name, dtype, consume, monkeypatch):
    mask = (np.arange(SIZE) % 3 != 0).astype(dtype) if name == "adamw" else None
    whole = _run(name, dtype, consume, False, monkeypatch, mask)
    blocked = _run(name, dtype, consume, True, monkeypatch, mask)
    assert whole.tobytes() == blocked.tobytes()


def _adam_whole_vector(params, grads_seq, lr, b1, b2, eps):
    """Adam as one pass per operation over the whole vector, in the engine's scaled form."""
    m, v = np.zeros_like(params), np.zeros_like(params)
    for t, (g, rate) in enumerate(zip(grads_seq, lr), start=1):
        m *= b1
        m += g
        v *= b2
        buf = g * g
        v += buf
        a = (1.0 - b1) / (1.0 - b1 ** t)
        root_b = math.sqrt((1.0 - b2) / (1.0 - b2 ** t))
        np.sqrt(v, out=buf)
        buf += eps / root_b
        np.divide(m, buf, out=buf)
        buf *= rate * a / root_b
        params -= buf
    return params


def test_blocked_adam_matches_a_whole_vector_reference(monkeypatch):
    monkeypatch.setattr(optimizers, "BLOCKED_MIN_BYTES", 0)
    monkeypatch.setattr(optimizers, "BLOCK_BYTES", 256)
    rng = np.random.default_rng(9)
    start = rng.normal(size=SIZE).astype(np.float32)
    grads = [rng.normal(size=SIZE).astype(np.float32) for _ in range(4)]
    rates = [0.003, 0.002, 0.001, 0.0005]
    opt = make_optimizer("adam", SIZE, "float32", beta1=0.9, beta2=0.999, epsilon=1e-8)
    assert len(opt._slices) == math.ceil(SIZE / 64)
    params = start.copy()
    for g, rate in zip(grads, rates):
        opt.step(params, g.copy(), rate, True)
    expected = _adam_whole_vector(start.copy(), grads, rates, 0.9, 0.999, 1e-8)
    assert params.tobytes() == expected.tobytes()
