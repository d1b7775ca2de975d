"""What the training doctor says about a whole study: when most trials fail for one reason.

    common_failure(rows)   # "8 of 10 trials scored at chance level, most with vanishing gradients: ..."

Each trial stores its top finding and whether it scored at chance level (user attributes set by
the objective); this module only counts them, so it serves the Tune tab and the command line.
"""

from __future__ import annotations

from collections import Counter
from typing import Sequence

from ..engine.findings import CODES

MIN_TRIALS = 4  # fewer finished trials say little about a study

FINDING_WORDS = {
    "not_learning": "no learning signal", "diverged": "divergence", "oscillating_loss": "an oscillating loss",
    "dead_units": "dead units", "saturated_units": "saturated units", "identical_units": "identical units",
    "vanishing_gradients": "vanishing gradients", "exploding_gradients": "exploding gradients",
    "update_ratio_high": "steps too large", "update_ratio_low": "steps too small", "overfitting": "overfitting",
    "underfitting": "underfitting",
}

# why trials failing with this finding fail, and what to change in the search space
SPACE_ADVICE = {
    "vanishing_gradients": "deep sigmoid networks trained with SGD do not learn: the gradient fades before it "
                           "reaches the first layers. Add the activation dimension (relu) or the optimizer "
                           "dimension (adam) to the space, or lower the n_layers range.",
    "saturated_units": "standard-normal weights saturate sigmoid units. Drop random from init_method, or add the "
                       "batch_norm dimension.",
    "identical_units": "zero weights keep every unit of a layer identical. Drop zeros from init_method.",
    "update_ratio_high": "the steps are too large. Lower the learning_rate range.",
    "oscillating_loss": "the steps are too large. Lower the learning_rate range.",
    "diverged": "the steps are too large. Lower the learning_rate range or add clipping.",
    "update_ratio_low": "the steps are too small. Raise the learning_rate range or add the optimizer dimension "
                        "(adam).",
    "dead_units": "ReLU units die. Lower the learning_rate range or add leaky_relu to the activations.",
    "exploding_gradients": "gradients grow on the way back. Add clipping or drop random from init_method.",
}


def finding_words(code: str) -> str:
    return FINDING_WORDS.get(code, code.replace("_", " "))


def common_failure(rows: Sequence) -> str | None:
    """A sentence when most finished trials scored at chance level, naming their most common top
    finding and what to add to the space; None otherwise.  ``rows``: objects with ``state``,
    ``at_chance`` and ``finding`` (:class:`~nnstudio.tuning.results.TrialRow`)."""
    finished = [r for r in rows if r.state in ("COMPLETE", "PRUNED")]
    chance = [r for r in finished if r.at_chance]
    if len(finished) < MIN_TRIALS or 2 * len(chance) <= len(finished):
        return None
    causes = Counter(r.finding for r in chance if r.finding and r.finding != "not_learning")
    text = f"{len(chance)} of {len(finished)} trials scored at chance level"
    if not causes:
        return text + ": nothing they learned reached the output. Widen the learning_rate range or add the " \
                      "optimizer dimension (adam)."
    code = min(causes, key=lambda c: (-causes[c], CODES.index(c)))
    advice = SPACE_ADVICE.get(code, "")
    return f"{text}, most ({causes[code]}) with {finding_words(code)}" + (f": {advice}" if advice else ".")
