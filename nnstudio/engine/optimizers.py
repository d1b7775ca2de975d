"""Optimizers that update one flat parameter vector in place.

Each optimizer is built as ``make_optimizer(name, size, dtype, **settings)`` and applied with
``opt.step(params, grads, lr)``.  Updates (g: gradient, t: step count from 1):

* ``sgd``       θ ← θ − lr·g
* ``momentum``  v ← μ·v − lr·g;  θ ← θ + v
* ``nesterov``  v ← μ·v − lr·g;  θ ← θ + μ·v − lr·g          (the look-ahead form)
* ``rmsprop``   s ← ρ·s + (1 − ρ)·g²;  θ ← θ − lr·g / (sqrt(s) + ε)
* ``adam``      m ← β1·m + (1 − β1)·g;  v ← β2·v + (1 − β2)·g²;
                θ ← θ − lr·m̂ / (sqrt(v̂) + ε) with m̂ = m/(1 − β1ᵗ), v̂ = v/(1 − β2ᵗ)
* ``adamw``     adam, plus decoupled weight decay θ ← θ − lr·λ·θ on weights only

Adam, AdamW and RMSprop make 8-13 passes over the parameter vector per step.  Above
:data:`BLOCKED_MIN_BYTES` per array they run the same passes block by block (:func:`blocks`), so
that a block's arrays stay in the L2 cache and the vector crosses the memory bus about once:
every element goes through the same operations, so the result is the same to the bit.
``benchmarks/bench_optimizers.py`` measures the crossover (Adam, float32, one thread, blocked
against whole-vector passes: 1.12× the time at 300K parameters; 0.86-1.07× at 1.16M, where the
vectors fit the shared L3 cache and the result depends on what else uses it; 0.80-0.90× at 2M,
0.76-0.79× at 4M, 0.70× at 8M).
"""

from __future__ import annotations

import inspect
import math

import numpy as np

from ..registry import Registry

OPTIMIZERS: Registry[type] = Registry("optimizer")

# ε of rmsprop and adam: where √s or √v underflow (gradients below ~1e-19 in float32) the step is
# lr·g/ε, so a smaller ε turns vanishing gradients into huge steps.  The editor offers the same range.
MIN_EPSILON = 1e-12

BLOCK_BYTES = 256 * 1024               # one array's block: the step's four or five blocks fit the L2 cache
BLOCKED_MIN_BYTES = 8 * 1024 * 1024    # arrays at least this large (2M float32) are updated block by block


def blocks(size: int, itemsize: int) -> tuple[slice, ...]:
    """Slices that cover ``range(size)``: one below :data:`BLOCKED_MIN_BYTES`, else blocks of
    :data:`BLOCK_BYTES`."""
    if size * itemsize < BLOCKED_MIN_BYTES:
        return (slice(0, size),)
    step = BLOCK_BYTES // itemsize
    return tuple(slice(lo, min(lo + step, size)) for lo in range(0, size, step))


class Blocked:
    """Mixin of the optimizers whose step runs block by block: ``_update(p, g, state, buf,
    spare, ...)`` makes the step on a block (or the whole vector) of the parameters ``p``, the
    gradient ``g`` and the optimizer's per-parameter arrays ``state`` (``self._state``; None
    stays None), with scratch arrays ``buf`` (``g`` itself when the step may consume it) and
    ``spare`` (never ``g``)."""

    _state: tuple

    def _blocked_init(self, size: int, dtype) -> None:
        self._slices = blocks(size, np.dtype(dtype).itemsize)
        self._buf = np.zeros(size if len(self._slices) == 1 else self._slices[0].stop, dtype=dtype)

    def _run(self, params, grads, consume, *args) -> None:
        if len(self._slices) == 1:
            self._update(params, grads, self._state, grads if consume else self._buf, self._buf, *args)
            return
        small = self._buf
        for sl in self._slices:
            block = small[:sl.stop - sl.start]
            state = tuple(a if a is None else a[sl] for a in self._state)
            self._update(params[sl], grads[sl], state, block, block, *args)


class Optimizer:
    """Base class: ``step(params, grads, lr)`` updates ``params`` in place.

    State arrays have the parameters' dtype, and every update runs in place on preallocated
    buffers: a step allocates nothing.  Scalars are Python floats, which NumPy keeps in the
    arrays' dtype (no float64 upcast in float32 mode).  ``consume=True`` lets a step use
    ``grads`` as its scratch array (they are garbage afterwards): one large array fewer in
    the step's working set, which the trainer uses since it recomputes the gradient anyway.
    """

    formula = ""
    uses_epsilon = False  # whether the step divides by (√s + ε); then ε must be >= MIN_EPSILON

    def __init__(self, size: int, dtype=np.float32):
        self.t = 0
        self.dtype = np.dtype(dtype)

    def step(self, params: np.ndarray, grads: np.ndarray, lr: float, consume: bool = False) -> None:
        raise NotImplementedError


@OPTIMIZERS("sgd")
class SGD(Optimizer):
    formula = "θ ← θ − lr·g"

    def __init__(self, size, dtype=np.float32):
        super().__init__(size, dtype)
        self._buf = np.zeros(size, dtype=dtype)

    def step(self, params, grads, lr, consume=False):
        self.t += 1
        lr_g = np.multiply(grads, float(lr), out=grads if consume else self._buf)
        params -= lr_g


@OPTIMIZERS("momentum")
class Momentum(Optimizer):
    formula = "v ← μ·v − lr·g;  θ ← θ + v"

    def __init__(self, size, dtype=np.float32, momentum=0.9):
        super().__init__(size, dtype)
        self.mu = float(momentum)
        self.velocity = np.zeros(size, dtype=dtype)
        self._buf = np.zeros(size, dtype=dtype)

    def _update_velocity(self, grads, lr, consume) -> np.ndarray:
        """v ← μ·v − lr·g; returns lr·g (in the scratch array)."""
        self.t += 1
        self.velocity *= self.mu
        lr_g = np.multiply(grads, float(lr), out=grads if consume else self._buf)
        self.velocity -= lr_g
        return lr_g

    def step(self, params, grads, lr, consume=False):
        self._update_velocity(grads, lr, consume)
        params += self.velocity


@OPTIMIZERS("nesterov")
class Nesterov(Momentum):
    formula = "v ← μ·v − lr·g;  θ ← θ + μ·v − lr·g"

    def step(self, params, grads, lr, consume=False):
        lr_g = self._update_velocity(grads, lr, consume)
        params -= lr_g
        np.multiply(self.velocity, self.mu, out=lr_g)
        params += lr_g


@OPTIMIZERS("rmsprop")
class RMSprop(Blocked, Optimizer):
    formula = "s ← ρ·s + (1 − ρ)·g²;  θ ← θ − lr·g / (√s + ε)"
    uses_epsilon = True

    def __init__(self, size, dtype=np.float32, rho=0.9, epsilon=1e-8):
        super().__init__(size, dtype)
        self.rho, self.eps = float(rho), float(epsilon)
        # s is kept as s / (1 − ρ): then s ← ρ·s + g², one pass fewer per step; the factor
        # returns in the step size, as in Adam below
        self._square = np.zeros(size, dtype=dtype)
        self._state = (self._square,)
        self._blocked_init(size, dtype)

    @property
    def square(self) -> np.ndarray:
        """The running mean of squared gradients s (a new array)."""
        return self._square * (1.0 - self.rho)

    def step(self, params, grads, lr, consume=False):
        self.t += 1
        # θ ← θ − lr·g / (√((1 − ρ)·_s) + ε) = θ − lr/r · g / (√_s + ε/r) with r = √(1 − ρ)
        root = math.sqrt(1.0 - self.rho)
        self._run(params, grads, False, self.eps / root, float(lr) / root)  # g is needed after g²

    def _update(self, p, g, state, buf, spare, shift, scale):
        square, = state
        square *= self.rho
        np.multiply(g, g, out=buf)
        square += buf
        np.sqrt(square, out=buf)
        buf += shift
        np.divide(g, buf, out=buf)
        buf *= scale
        p -= buf


@OPTIMIZERS("adam")
class Adam(Blocked, Optimizer):
    formula = "m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²;  θ ← θ − lr·m̂ / (√v̂ + ε)"
    uses_epsilon = True

    def __init__(self, size, dtype=np.float32, beta1=0.9, beta2=0.999, epsilon=1e-8):
        super().__init__(size, dtype)
        self.beta1, self.beta2, self.eps = float(beta1), float(beta2), float(epsilon)
        # The moments are kept as m / (1 − β1) and v / (1 − β2): then m ← β1·m + g and
        # v ← β2·v + g², two passes fewer per step; the factors return in the step size.
        self._m = np.zeros(size, dtype=dtype)
        self._v = np.zeros(size, dtype=dtype)
        self._state = (self._m, self._v)
        self._blocked_init(size, dtype)

    @property
    def m(self) -> np.ndarray:
        """The first moment m (a new array)."""
        return self._m * (1.0 - self.beta1)

    @property
    def v(self) -> np.ndarray:
        """The second moment v (a new array)."""
        return self._v * (1.0 - self.beta2)

    def step(self, params, grads, lr, consume=False):
        self.t += 1
        b1, b2 = self.beta1, self.beta2
        # θ ← θ − lr·m̂ / (√v̂ + ε) with m̂ = (1 − β1)·_m / (1 − β1ᵗ) and v̂ = (1 − β2)·_v / (1 − β2ᵗ):
        # θ ← θ − lr·a/√b · _m / (√_v + ε/√b) with a = (1 − β1) / (1 − β1ᵗ), b = (1 − β2) / (1 − β2ᵗ)
        a = (1.0 - b1) / (1.0 - b1 ** self.t)
        root_b = math.sqrt((1.0 - b2) / (1.0 - b2 ** self.t))
        self._run(params, grads, consume, float(lr), self.eps / root_b, float(lr) * a / root_b)

    def _update(self, p, g, state, buf, spare, lr, shift, scale):
        m, v = state[0], state[1]
        m *= self.beta1
        m += g
        v *= self.beta2
        np.multiply(g, g, out=buf)  # g is not needed after this: buf may be g itself
        v += buf
        np.sqrt(v, out=buf)
        buf += shift
        np.divide(m, buf, out=buf)
        buf *= scale
        p -= buf


@OPTIMIZERS("adamw")
class AdamW(Adam):
    formula = "θ ← θ − lr·λ·θ on weights (decoupled weight decay), then the adam step"

    def __init__(self, size, dtype=np.float32, weight_decay=0.01, decay_mask=None, **settings):
        super().__init__(size, dtype, **settings)
        self.weight_decay = float(weight_decay)
        # 1 where the parameter is a weight matrix entry
        self.decay_mask = None if decay_mask is None else np.asarray(decay_mask, dtype=dtype)
        self._state = (self._m, self._v, self.decay_mask)

    def _update(self, p, g, state, buf, spare, lr, shift, scale):
        if self.weight_decay:
            decay = np.multiply(p, lr * self.weight_decay, out=spare)
            if state[2] is not None:
                decay *= state[2]
            p -= decay
        super()._update(p, g, state, buf, spare, lr, shift, scale)


_NOT_SETTINGS = ("self", "size", "dtype")


def optimizer_keywords(name: str) -> tuple[str, ...]:
    """The settings the optimizer ``name`` takes, from its constructors' parameters."""
    names: list[str] = []
    for cls in OPTIMIZERS[name].__mro__[:-1]:  # not object
        init = cls.__dict__.get("__init__")
        if init is not None:
            names += [p.name for p in inspect.signature(init).parameters.values()
                      if p.name not in _NOT_SETTINGS and p.kind is p.POSITIONAL_OR_KEYWORD]
    return tuple(dict.fromkeys(names))


def make_optimizer(name: str, size: int, dtype, **settings) -> Optimizer:
    """Build a registered optimizer.

    A setting that only other optimizers take (``momentum`` for ``adam``) is ignored, so one
    config can hold them all; a setting that no optimizer takes is a mistake and raises a
    ``TypeError`` naming the valid ones.
    """
    own = optimizer_keywords(name)
    known = {k for other in OPTIMIZERS.names() for k in optimizer_keywords(other)}
    unknown = sorted(set(settings) - known)
    if unknown:
        raise TypeError(f"optimizer {name!r} got unknown setting{'s' if len(unknown) > 1 else ''} "
                        f"{', '.join(unknown)}; it takes {', '.join(own) or 'none'}")
    return OPTIMIZERS[name](size, dtype, **{k: v for k, v in settings.items() if k in own})
