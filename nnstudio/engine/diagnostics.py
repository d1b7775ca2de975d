"""What a layer's parameters say about its units (no Qt).

:func:`distinct_units` counts the different units of a dense layer.  Two units are the same
when their incoming weights and bias are equal: they compute the same function of the layer's
input, receive the same gradient, and (without dropout to tell them apart) stay equal forever.
Zeros initialization makes every unit of a layer the same, so the layer acts as one unit.
"""

from __future__ import annotations

import numpy as np

RELATIVE_TOLERANCE = 1e-5  # of the layer's largest parameter: rounding differences, not learning
_DIRECTION_SEED = 20_240_601


def distinct_units(W: np.ndarray, b: np.ndarray, rtol: float = RELATIVE_TOLERANCE) -> int:
    """How many different units a layer with weights ``W`` (fan_in × units) and biases ``b`` has.

    Each unit's incoming weights and bias are projected on one fixed random direction; units
    whose projections lie within the tolerance are then compared entry by entry, so the count
    is exact up to the tolerance and costs one matrix-vector product plus a sort.
    """
    W = np.asarray(W, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64).reshape(-1)
    units = W.shape[1]
    if units <= 1:
        return units
    scale = max(float(np.abs(W).max(initial=0.0)), float(np.abs(b).max(initial=0.0)), 1e-30)
    tol = rtol * scale
    direction = np.random.default_rng(_DIRECTION_SEED).standard_normal(W.shape[0] + 1)
    keys = W.T @ direction[:-1] + b * direction[-1]
    order = np.argsort(keys, kind="stable")
    close = np.diff(keys[order]) <= tol * np.abs(direction).sum()
    same = 0
    for k in np.flatnonzero(close):
        i, j = order[k], order[k + 1]
        if abs(b[i] - b[j]) <= tol and np.abs(W[:, i] - W[:, j]).max(initial=0.0) <= tol:
            same += 1
    return units - same


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
