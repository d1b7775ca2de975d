"""Which trial is best, how sure that is, and which trials are tied with it.

One rule picks the best trial everywhere (:func:`best_ranked`): the best value, which for a
cross-validated trial is its mean over the folds and for a confirmed trial its mean over the
training seeds; equal values go to the lower validation loss, then to the earlier trial.

A mean alone hides how much it would move with other folds or seeds, so each complete trial
also gets a :class:`Standing`: its mean ± standard deviation over its repeats (folds or seeds)
and whether it is *tied with best*, i.e. whether its difference to the best trial is within
noise by a paired comparison over the same folds (or seeds):

* folds: the corrected resampled t-test (Nadeau & Bengio, 2003), paired over the K folds.
  The folds' training sets overlap, so the per-fold differences are correlated and the plain
  t-test is far too eager to call a difference real; the variance of the mean difference is
  taken as ``(1/K + n_val/n_train) · s²`` with ``n_val/n_train = 1/(K-1)`` for K-fold, and
  ``t = mean(d) / sqrt((1/K + 1/(K-1)) · s²)`` has K - 1 degrees of freedom;
* seeds (confirmed trials, one split): the ordinary paired t-test over the seeds
  (``t = mean(d) / sqrt(s² / n)``, n - 1 degrees of freedom);
* a trial scored once on one split has no repeats to compare, so it is tied with the best only
  when its value is exactly equal (the same number of right answers).

A trial is tied with best when the two-sided p-value is at least :data:`TIE_ALPHA` (0.05):
its difference to the best is not significant at the 5 % level.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import optuna

VAL_LOSS_ATTR = "val_loss"      # trial user attribute: validation loss of the parameters the trial ended with
PICK_ATTR = "best_pick"         # study user attribute: the chosen trial and why
TIE_ALPHA = 0.05

FOLDS, SEEDS, SINGLE = "folds", "seeds", "single"


def rank_key(direction: str, value: float, val_loss: float | None, number: int) -> tuple[float, float, int]:
    """Sort key of a complete trial, smallest first: the best trial is the one with the least key.

    First the study's value.  Validation accuracy counts right answers among a few hundred
    samples, so many trials tie at the top; among equal values the trial with the lower
    validation loss (the more confident one on the same split) ranks first, and among those the
    earlier trial.  A trial without a stored validation loss ranks after the tied ones that have
    one.  Optimizing the validation loss itself, ties are broken by trial number only.
    """
    sign = -1.0 if direction == "maximize" else 1.0
    tie = val_loss if val_loss is not None and math.isfinite(val_loss) else math.inf
    return (sign * value, tie, number)


def trial_val_loss(trial: optuna.trial.FrozenTrial) -> float | None:
    """The trial's stored validation loss, or None (a trial of an older study, or not complete)."""
    value = trial.user_attrs.get(VAL_LOSS_ATTR)
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def best_trial(trials, direction: str,
               confirmed: Mapping[int, tuple[float, float | None]] | None = None) -> optuna.trial.FrozenTrial | None:
    """The best COMPLETE trial with a finite value by :func:`rank_key`, or None.

    ``confirmed`` maps the numbers of confirmed trials to ``(mean value over their seeds, mean
    validation loss)`` (:mod:`~nnstudio.tuning.confirm`).  When it names any of ``trials``, the
    best is the confirmed trial with the best mean (ranked by :func:`rank_key` on the means);
    otherwise the trial with the best value (for cross-validated trials: the mean over folds).

    This is what nnstudio calls "best" everywhere: the command line's summary, the study's
    :meth:`~nnstudio.tuning.study.TuningStudy.best_trial`, and (through
    :func:`~nnstudio.tuning.results.best_row`) the tuning tab's table, plots and Load best.
    Optuna's own ``study.best_trial`` takes the first of equal values instead.
    """
    confirmed = confirmed or {}
    return best_ranked(((t, t.number, t.value, trial_val_loss(t), confirmed.get(t.number)) for t in trials
                        if t.state == optuna.trial.TrialState.COMPLETE and t.value is not None), direction)


def best_ranked(candidates, direction: str):
    """The rule behind every "best": of ``(item, number, value, val_loss, confirmed)`` tuples
    with a finite value, the item ranked first by :func:`rank_key`; ``confirmed`` is ``(mean
    value, mean validation loss)`` for a confirmed trial, else None.  When any candidate is
    confirmed, only confirmed ones compete, on their means.  None when nothing qualifies.
    Extra tuple entries after the fifth (the repeats of :func:`standings`) are ignored."""
    finite = [c for c in candidates if math.isfinite(c[2])]
    confirmed = [c for c in finite if c[4] is not None]
    if confirmed:
        best = min(confirmed, key=lambda c: rank_key(direction, c[4][0], c[4][1], c[1]))
    else:
        best = min(finite, key=lambda c: rank_key(direction, c[2], c[3], c[1]), default=None)
    return None if best is None else best[0]


# -- noise: mean ± sd and paired comparisons ---------------------------------------------

def t_sf(t: float, df: int) -> float:
    """P(T > t) for Student's t with ``df`` degrees of freedom."""
    from scipy.stats import t as student_t

    return float(student_t.sf(t, df))


def paired_p_value(a: Sequence[float], b: Sequence[float], overlap: float = 0.0) -> float:
    """Two-sided p-value of the paired t-test of ``a`` against ``b`` (equal lengths >= 2).

    ``overlap`` is the correction term ``n_val/n_train`` of the corrected resampled t-test
    (``1/(K-1)`` for K-fold cross-validation); 0 gives the ordinary paired t-test.  Identical
    differences (zero spread) give 1 when they are all zero and 0 otherwise.
    """
    d = np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)
    n = len(d)
    if n < 2 or len(a) != len(b):
        raise ValueError("a paired comparison needs two equally long series of at least two values")
    mean = float(d.mean())
    var = float(d.var(ddof=1))
    if var <= 1e-30:
        return 1.0 if abs(mean) <= 1e-15 else 0.0
    t = mean / math.sqrt((1.0 / n + overlap) * var)
    return min(1.0, 2.0 * t_sf(abs(t), n - 1))


@dataclass(frozen=True)
class Standing:
    """A complete trial's mean ± sd over its repeats and whether it is tied with the best."""

    number: int
    mean: float
    sd: float | None            # None for a single value
    repeats: int                # folds or seeds averaged (1: a single run)
    basis: str                  # FOLDS, SEEDS or SINGLE
    is_best: bool = False
    tied: bool = False          # tied with the best (False for the best itself)
    p_value: float | None = None  # of the paired comparison with the best (None: not compared)

    def describe(self) -> str:
        """``0.9812 ± 0.0061 (5 folds)`` or ``0.9815``."""
        if self.sd is None:
            return f"{self.mean:.4f}"
        return f"{self.mean:.4f} ± {self.sd:.4f} ({self.repeats} {self.basis})"


def _spread(values: Sequence[float]) -> float | None:
    return float(np.std(values, ddof=1)) if len(values) > 1 else None


def standing_of(number: int, value: float, repeats: Sequence[float], basis: str) -> Standing:
    if basis != SINGLE and len(repeats) > 1:
        return Standing(number, float(np.mean(repeats)), _spread(repeats), len(repeats), basis)
    return Standing(number, float(value), None, 1, SINGLE)


def _compare(best: Standing, best_repeats, other: Standing, other_repeats) -> tuple[bool, float | None]:
    if best.basis != other.basis or best.repeats != other.repeats:
        return False, None
    if best.basis == SINGLE:
        return other.mean == best.mean, None
    overlap = 1.0 / (best.repeats - 1) if best.basis == FOLDS else 0.0
    p = paired_p_value(best_repeats, other_repeats, overlap)
    return p >= TIE_ALPHA, p


def standings(entries: Iterable[tuple], direction: str) -> dict[int, Standing]:
    """Standings of complete trials, by number.

    ``entries`` are :func:`best_ranked` candidates extended by two fields: ``(item, number, value,
    val_loss, confirmed, repeats, basis)``, ``repeats`` the fold values (basis FOLDS), the seed
    values of a confirmed trial (SEEDS) or ``()`` (SINGLE).  The best is :func:`best_ranked`'s.
    """
    entries = [e for e in entries if math.isfinite(e[2])]
    best_item = best_ranked(entries, direction)
    out: dict[int, Standing] = {e[1]: standing_of(e[1], e[2], e[5], e[6]) for e in entries}
    best = next((e for e in entries if e[0] is best_item), None)
    if best is None:
        return out
    top = out[best[1]] = _with(out[best[1]], is_best=True)
    for e in entries:
        if e is best:
            continue
        tied, p = _compare(top, best[5], out[e[1]], e[5])
        out[e[1]] = _with(out[e[1]], tied=tied, p_value=p)
    return out


def entry(item, number: int, value: float, val_loss: float | None, confirmation, folds: Sequence[float],
          direction: str) -> tuple:
    """A :func:`standings` entry; ``confirmation`` is a confirmed trial's
    :class:`~nnstudio.tuning.confirm.Confirmation` or None, ``folds`` its fold values."""
    if confirmation is not None:
        ranked = (confirmation.rank_value(direction), confirmation.val_loss)
        values = confirmation.values
        if all(v is not None for v in values) and len(values) > 1:
            return (item, number, value, val_loss, ranked, tuple(values), SEEDS)
        return (item, number, value, val_loss, ranked, (), SINGLE)
    if len(folds) > 1:
        return (item, number, value, val_loss, None, tuple(folds), FOLDS)
    return (item, number, value, val_loss, None, (), SINGLE)


def _with(s: Standing, **changes: Any) -> Standing:
    from dataclasses import replace

    return replace(s, **changes)


def tie_rule(basis: str, repeats: int) -> str:
    """How "tied with best" was decided, in words."""
    if basis == FOLDS:
        return (f"Nadeau & Bengio's corrected paired t-test over the {repeats} folds, "
                f"two-sided p >= {TIE_ALPHA:g}")
    if basis == SEEDS:
        return f"paired t-test over the {repeats} training seeds, two-sided p >= {TIE_ALPHA:g}"
    return "an exactly equal value (single runs cannot be compared for noise)"


def pick_reason(best: Standing, tied: Sequence[int], metric_label: str, direction: str) -> str:
    """Why ``best`` is the pick, in one paragraph (stored with the study)."""
    word = "highest" if direction == "maximize" else "lowest"
    what = {FOLDS: f"mean {metric_label} over {best.repeats} folds",
            SEEDS: f"mean {metric_label} over {best.repeats} training seeds (confirmed)",
            SINGLE: metric_label}[best.basis]
    value = f"{best.mean:.4f}" if best.sd is None else f"{best.mean:.4f} ± {best.sd:.4f} (sd)"
    text = (f"Trial {best.number} has the {word} {what}: {value}. Equal values are ranked by the lower "
            "validation loss, then the earlier trial.")
    if tied:
        shown = ", ".join(map(str, tied[:10])) + (" ..." if len(tied) > 10 else "")
        text += (f" {len(tied)} other trial{'s are' if len(tied) > 1 else ' is'} tied with it "
                 f"({tie_rule(best.basis, best.repeats)}): {shown}.")
    else:
        text += f" No other trial is tied with it ({tie_rule(best.basis, best.repeats)})."
    return text


def pick_record(table: Mapping[int, Standing], metric_label: str, direction: str) -> dict[str, Any] | None:
    """The study user attribute :data:`PICK_ATTR` for these standings (None without a best)."""
    best = next((s for s in table.values() if s.is_best), None)
    if best is None:
        return None
    tied = sorted(n for n, s in table.items() if s.tied)
    return {"trial": best.number, "mean": best.mean, "sd": best.sd, "repeats": best.repeats, "basis": best.basis,
            "tied_with_best": tied, "tie_rule": tie_rule(best.basis, best.repeats),
            "reason": pick_reason(best, tied, metric_label, direction)}
