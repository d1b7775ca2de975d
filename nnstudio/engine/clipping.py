"""Gradient clipping, applied in one place: after backward, before the optimizer step.

* ``none``         gradients unchanged
* ``value``        every component clipped into [−t, t]
* ``norm``         each parameter tensor (each W, each b) rescaled to norm ≤ t on its own
* ``global_norm``  all gradients rescaled together so that their joint L2 norm ≤ t,
                   which keeps the direction of the whole update

``norm`` is the article's ``clip_by_norm`` (per tensor); most frameworks mean
``global_norm`` when they say "clip by norm".

Each function clips in place and returns the squared L2 norm of the whole gradient afterwards
when it measured it on the way (``global_norm`` leaving the gradient unchanged), else None: the
trainer's record of the clipped norm then needs no second pass over the gradient.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from ..registry import Registry

ClipFn = Callable[[np.ndarray, Sequence[np.ndarray], float], "np.floating | None"]
CLIP_TYPES: Registry[ClipFn] = Registry("clip type")


@CLIP_TYPES("none")
def _no_clip(flat_grad, tensors, threshold):
    return None


@CLIP_TYPES("value")
def clip_by_value(flat_grad: np.ndarray, tensors, threshold: float) -> None:
    np.clip(flat_grad, -threshold, threshold, out=flat_grad)


@CLIP_TYPES("norm")
def clip_by_norm(flat_grad: np.ndarray, tensors: Sequence[np.ndarray], threshold: float) -> None:
    for g in tensors:
        flat = g.reshape(-1)
        norm = float(np.sqrt(flat @ flat))
        if norm > threshold:
            g *= threshold / norm


@CLIP_TYPES("global_norm")
def clip_by_global_norm(flat_grad: np.ndarray, tensors, threshold: float):
    square = flat_grad @ flat_grad
    norm = float(np.sqrt(square))
    if norm > threshold:
        flat_grad *= threshold / norm
        return None
    return square  # unchanged: the squared norm after clipping too


CLIP_HELP = {
    "none": "No clipping.",
    "value": "Clip every gradient component into [−t, t]. Cheap, but changes the update's direction.",
    "norm": "Rescale each tensor (each W and each b) whose L2 norm exceeds t to norm t (per-tensor, the article's).",
    "global_norm": "Rescale all gradients together so their joint L2 norm is at most t; keeps the direction.",
}


def clip_gradients(clip_type: str, flat_grad: np.ndarray, tensors: Sequence[np.ndarray], threshold: float):
    """Clip in place.  ``tensors`` are views of ``flat_grad``, one per parameter.  Returns the
    squared norm of the clipped gradient when the clip measured it, else None."""
    return CLIP_TYPES[clip_type](flat_grad, tensors, threshold)
