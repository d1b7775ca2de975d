"""Health measures of a network, per layer and per epoch, cheap enough to take every epoch.

    monitor = HealthMonitor(network)
    ...                                      # the trainer calls monitor.before_step / after_step
    health = monitor.end_epoch(grad_norms)   # EpochHealth, after the epoch's evaluation pass

Everything comes from what the trainer already has: the gradient norms it averages per layer,
a few of the epoch's optimizer steps (copied before and compared after), and the activations
its evaluation pass leaves in the layers.  :func:`distinct_units` and
:func:`identical_units_note` also serve the records' ``distinct_units`` and the Train tab's notice.  The *probe batch* is a fixed set of at most
:data:`PROBE_ROWS` evenly spaced validation rows, the same every epoch, so no extra forward
pass is needed.  The rules that turn these numbers into findings live in :mod:`.doctor`.

Health is measured at a cadence (:meth:`HealthMonitor.due`): the first :data:`HEALTH_FIRST_EPOCHS`
epochs, the last one and :data:`HEALTH_SPREAD` evenly spaced ones, and in between every
``stride``-th (about :data:`HEALTH_MEASURES` per run, at most :data:`HEALTH_MAX_STRIDE` epochs
apart) while the measures have taken at most :data:`HEALTH_SHARE` of the training time, or when
the last one is :data:`HEALTH_MAX_WAIT` seconds old.  On a cheap epoch (a 2-D preset at full
batch) measuring every epoch took a sixth of it; the doctor judges the measures by their
median over the last few measurements, so it loses nothing by reading them some epochs apart.
Records of the other epochs carry ``health=None``;
their ``distinct_units`` still come from a :class:`DistinctCounter`.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from .thresholds import THRESHOLDS

PROBE_ROWS = 256      # validation rows whose activations are examined
UPDATE_SAMPLES = 4    # optimizer steps per epoch whose update/weight ratio is measured
DISTINCT_RECHECK = 10  # epochs between counts of a layer whose units were all different
HEALTH_FIRST_EPOCHS = 10  # always measured: the doctor's early findings (zeros init, saturation) come at once
HEALTH_SPREAD = 10        # ...and every (epochs / this)-th: the doctor's last verdict reads recent measures
HEALTH_MEASURES = 50      # later measurements per run, at most (plus the last epoch)
HEALTH_MAX_STRIDE = 10    # a measurement falls on every stride-th epoch, stride <= this
HEALTH_SHARE = 0.015      # ...while the measures have taken at most this share of the training time
HEALTH_MAX_WAIT = 1.0     # ...or when the last one is this many seconds old

RELU_FAMILY = frozenset({"relu", "leaky_relu", "elu"})  # "active" means an output above 0
SATURATING = {"sigmoid": (0.0, 1.0), "tanh": (-1.0, 1.0)}  # output bounds


@dataclass(frozen=True)
class LayerHealth:
    """One dense layer at the end of an epoch.

    ``dead_fraction``: share of units never active (output ≤ 0) on any probe row, for the
    ReLU family; ``saturated_fraction``: share of the layer's probe outputs within
    ``saturation_margin`` of the output range from a bound, for sigmoid and tanh (NaN for
    other activations).  ``distinct_units``: how many different units the layer has, units
    whose incoming weights and bias agree to a relative tolerance counting once (the output
    layer reports its unit count).
    ``update_ratio``: ‖ΔW‖/‖W‖ of one optimizer step (the geometric mean over the sampled
    steps of the epoch; NaN when W is zero or no step was sampled).
    """

    name: str
    units: int
    activation: str
    dead_fraction: float
    saturated_fraction: float
    distinct_units: int
    update_ratio: float


@dataclass(frozen=True)
class EpochHealth:
    """Every layer's health and ``grad_ratio`` = mean gradient norm of the first layer divided
    by that of the output layer (both over the epoch's mini-batches, before clipping)."""

    layers: tuple[LayerHealth, ...]
    grad_ratio: float

    def hidden(self) -> tuple[LayerHealth, ...]:
        return self.layers[:-1]


def dead_fraction(a: np.ndarray) -> float:
    """Share of columns of ``a`` (rows × units) with no entry above 0."""
    if a.size == 0:
        return math.nan
    return float(np.count_nonzero(~(a > 0).any(axis=0))) / a.shape[1]


def saturated_fraction(a: np.ndarray, bounds: tuple[float, float], margin: float) -> float:
    """Share of the entries of ``a`` within ``margin`` × (hi − lo) of lo or of hi."""
    if a.size == 0:
        return math.nan
    lo, hi = bounds
    width = margin * (hi - lo)
    near = np.count_nonzero(a <= lo + width) + np.count_nonzero(a >= hi - width)
    return float(near) / a.size


def distinct_units(W: np.ndarray, b: np.ndarray, rtol: float | None = None) -> int:
    """How many different columns [W; b] has (shape (fan_in, units) and (units,)).

    Two units are the same when their incoming weights and bias are equal: they compute the
    same function of the layer's input, receive the same gradient, and (without dropout to tell
    them apart) stay equal forever; zeros initialization makes a layer act as one unit.  This is
    the one count of distinct units: the records' ``distinct_units`` and the doctor's
    ``identical_units`` finding both use it.  ``rtol`` defaults to the ``identical_rtol`` threshold.

    Two units are the same when the distance between their columns is at most ``rtol`` times
    the root-mean-square column norm (or are exactly equal when every column is zero).  A unit
    counts as new when no earlier unit is the same as it, so a clean set of k groups gives k.

    Distances are measured after a fixed random projection to :data:`PROJECTION_DIMS`
    dimensions (Johnson–Lindenstrauss): equal columns stay equal, and two columns at distance d
    project to a distance of d·sqrt(χ²₁₆/16), below d/1000 with probability about 1e-40, so
    the count is that of the full distances at a fraction of the cost.
    """
    if rtol is None:
        rtol = THRESHOLDS["identical_rtol"].value
    stacked = np.empty((W.shape[0] + 1, W.shape[1]))  # [W; b] in float64
    stacked[:-1] = W
    stacked[-1] = np.reshape(b, -1)
    cols = stacked.T  # (units, fan_in + 1)
    sq = np.einsum("ij,ij->i", cols, cols)
    scale = math.sqrt(float(np.add.reduce(sq)) / len(sq)) if sq.size else 0.0
    tol2 = (rtol * scale) ** 2 + 1e-30
    p = cols @ _projection(cols.shape[1])  # (units, PROJECTION_DIMS)
    psq = np.einsum("ij,ij->i", p, p)
    d2 = p @ p.T  # squared distances between projected units, in place: |p_i|² + |p_j|² − 2 p_i·p_j
    d2 *= -2.0
    d2 += psq[:, None]
    d2 += psq[None, :]
    same_as_earlier = ((d2 <= tol2) & _lower(len(p))).any(axis=1)
    return int(cols.shape[0] - np.count_nonzero(same_as_earlier))


PROJECTION_DIMS = 16
_PROJECTIONS: dict[int, np.ndarray] = {}
_LOWER: dict[int, np.ndarray] = {}


def _lower(n: int) -> np.ndarray:
    """The (n, n) mask of entries below the diagonal (i > j), kept per n."""
    if n not in _LOWER:
        _LOWER[n] = np.tri(n, k=-1, dtype=bool)
    return _LOWER[n]


def _projection(n: int) -> np.ndarray:
    """A fixed (n, PROJECTION_DIMS) Gaussian matrix scaled so that squared lengths are kept on average."""
    if n not in _PROJECTIONS:
        _PROJECTIONS[n] = np.random.default_rng(n).standard_normal((n, PROJECTION_DIMS)) / math.sqrt(PROJECTION_DIMS)
    return _PROJECTIONS[n]


def identical_units_note(units: tuple[int, ...], distinct: tuple[int, ...], init_method: str = "") -> str:
    """One sentence when some hidden layer has fewer distinct units than units, else ''.

    ``units`` and ``distinct`` are per hidden layer (``distinct`` as :func:`distinct_units` counts).
    """
    parts = [f"hidden layer {i + 1}: {d} distinct of {u}" for i, (u, d) in enumerate(zip(units, distinct))
             if u > 1 and d < u]
    if not parts:
        return ""
    cause = ("Zeros initialization gives every unit the same weights and the same gradient, so they never "
             "differ. " if init_method == "zeros" else "Units with equal weights and bias compute the same thing "
             "and get the same gradient. ")
    return (f"Identical units ({'; '.join(parts)}). {cause}"
            "Such a layer works as if it had one unit per distinct one: use a random initializer "
            "(glorot, he) to break the symmetry.")


def sampled_steps(n_steps: int, samples: int = UPDATE_SAMPLES) -> frozenset[int]:
    """Indices of the steps whose update is measured: ``samples`` evenly spaced, the last one included."""
    if n_steps <= samples:
        return frozenset(range(n_steps))
    return frozenset(int(round(x)) for x in np.linspace(n_steps - 1, 0, samples, endpoint=False))


def health_stride(epochs: int) -> int:
    """Epochs between two health measurements in a run of ``epochs`` epochs."""
    return max(1, min(HEALTH_MAX_STRIDE, -(-epochs // HEALTH_MEASURES)))


class DistinctCounter:
    """Distinct units per hidden layer of ``network``, epoch by epoch.

    Units that have become different stay different under gradient steps (equal units get
    equal updates, different ones different updates), so a layer whose units were all
    different is recounted only every :data:`DISTINCT_RECHECK` epochs (weight decay can still
    shrink dead units to equal zeros), or, with ``recheck=False``, only when a later call
    with ``recheck=True`` (the health monitor's) asks; a layer with equal units is counted every epoch.
    """

    def __init__(self, network, rtol: float | None = None):
        self.network = network
        self._rtol = THRESHOLDS["identical_rtol"].value if rtol is None else rtol
        self._all_distinct_at: dict[int, int] = {}  # layer index -> epoch of the last count that found all different
        self._units = tuple(layer.units for layer in network.layers[:-1])

    def layer(self, index: int, epoch: int, recheck: bool = True) -> int:
        """Distinct units of layer ``index`` at ``epoch``."""
        layer = self.network.layers[index]
        checked = self._all_distinct_at.get(index)
        if checked is not None and (not recheck or 0 <= epoch - checked < DISTINCT_RECHECK):
            return layer.units
        count = distinct_units(layer.W, layer.b, self._rtol)
        if count == layer.units:
            self._all_distinct_at[index] = epoch
        else:
            self._all_distinct_at.pop(index, None)
        return count

    def counts(self, epoch: int, recheck: bool = True) -> tuple[int, ...]:
        """Per hidden layer, at ``epoch``."""
        if not recheck and len(self._all_distinct_at) == len(self._units):  # every layer's units all different
            return self._units
        return tuple(self.layer(i, epoch, recheck) for i in range(len(self._units)))


class HealthMonitor:
    """Measures :class:`EpochHealth` for ``network`` during training.

    In an epoch that :meth:`due` picks, the trainer calls :meth:`before_step` and
    :meth:`after_step` around the optimizer steps listed by :meth:`steps`, and :meth:`end_epoch`
    once the evaluation pass has left the validation activations in the layers.
    """

    def __init__(self, network, n_val: int, counter: DistinctCounter | None = None):
        self.network = network
        self._weights = [slice(layer.span.start, layer.span.start + layer.W.size) for layer in network.layers]
        self._before = np.empty_like(network.flat)
        self._log_sums = np.zeros(len(network.layers))
        self._counts = np.zeros(len(network.layers), dtype=np.intp)
        self._probe_step = max(1, -(-n_val // PROBE_ROWS))  # ceil
        self._margin = THRESHOLDS["saturation_margin"].value
        self.counter = counter if counter is not None else DistinctCounter(network)
        self._epoch = 0
        self.seconds = 0.0  # CPU time spent measuring
        self._last_at = 0.0  # training time (seconds) when the last measured epoch began

    def due(self, epoch: int, epochs: int, elapsed: float = 0.0) -> bool:
        """Whether epoch ``epoch`` (1-based) of ``epochs``, beginning ``elapsed`` seconds into
        training, is measured (the trainer also measures the last epoch of a run that early
        stopping ends)."""
        if epoch <= HEALTH_FIRST_EPOCHS or epoch >= epochs or epoch % -(-epochs // HEALTH_SPREAD) == 0:
            due = True
        elif epoch % health_stride(epochs):
            return False
        else:
            due = self.seconds <= HEALTH_SHARE * elapsed or elapsed - self._last_at >= HEALTH_MAX_WAIT
        if due:
            self._last_at = elapsed
        return due

    @staticmethod
    def steps(n_steps: int) -> frozenset[int]:
        return sampled_steps(n_steps)

    def before_step(self, flat: np.ndarray) -> None:
        start = time.thread_time()
        np.copyto(self._before, flat)
        self.seconds += time.thread_time() - start

    def after_step(self, flat: np.ndarray) -> None:
        """Add the step just taken (``flat`` now, the copy from :meth:`before_step` before)."""
        start = time.thread_time()
        delta = np.subtract(flat, self._before, out=self._before)
        for i, w in enumerate(self._weights):
            new, change = flat[w], delta[w]
            w_norm2 = float(new.dot(new))  # the method: np.dot's product without its dispatch
            d_norm2 = float(change.dot(change))
            if w_norm2 > 0.0 and d_norm2 > 0.0 and math.isfinite(w_norm2) and math.isfinite(d_norm2):
                self._log_sums[i] += 0.5 * math.log10(d_norm2 / w_norm2)
                self._counts[i] += 1
        self.seconds += time.thread_time() - start

    def end_epoch(self, grad_norms, epoch: int | None = None) -> EpochHealth:
        """The health at the end of ``epoch`` (default: one after the last call); resets the
        update sums for the next measured epoch."""
        start = time.thread_time()
        layers = self.network.layers
        # the geometric mean of the sampled ratios, NaN for a layer with none
        ratios = np.divide(self._log_sums, self._counts, out=np.full(len(layers), math.nan), where=self._counts > 0)
        np.power(10.0, ratios, out=ratios)
        self._log_sums.fill(0.0)
        self._counts.fill(0)
        self._epoch = self._epoch + 1 if epoch is None else epoch
        last = len(layers) - 1
        out = tuple(self._layer(i, layer, ratio, i < last) for i, (layer, ratio) in enumerate(zip(layers, ratios.tolist())))
        first, last = float(grad_norms[0]), float(grad_norms[-1])
        grad_ratio = first / last if last > 0 else (math.inf if first > 0 else math.nan)
        self.seconds += time.thread_time() - start
        return EpochHealth(out, grad_ratio)

    def _layer(self, index: int, layer, update_ratio: float, hidden: bool) -> LayerHealth:
        name = layer.activation.name
        a = layer.a[::self._probe_step] if layer.a is not None else np.empty((0, layer.units))
        dead = dead_fraction(a) if name in RELU_FAMILY else math.nan
        saturated = saturated_fraction(a, SATURATING[name], self._margin) if name in SATURATING else math.nan
        # the output layer's units are its classes: they differ by design, so are not counted
        distinct = self.counter.layer(index, self._epoch) if hidden else layer.units
        return LayerHealth(layer.name, layer.units, name, dead, saturated, distinct, update_ratio)
