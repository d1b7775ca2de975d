"""``nnstudio tune``'s known designs (``--enqueue``) and how it reports the pick (mean ± sd, ties)."""

from __future__ import annotations

import sys


def checked_designs(path, config, space, settings):
    """The designs of --enqueue FILE, checked against the study to be (a one-line error if not usable)."""
    if not path:
        return []
    from ..tuning import prepare_base
    from ..tuning.enqueue import load_designs, plan_designs

    designs = load_designs(path)  # EnqueueError is a user error: one line, exit status 2
    plan_designs(designs, prepare_base(config, settings), space, path)
    return designs


def enqueue(tuning, designs, path: str) -> None:
    from ..tuning.enqueue import enqueue_designs

    notes = enqueue_designs(tuning, designs, path)
    for note in notes:
        print(f"nnstudio tune: note: {note}", file=sys.stderr)
    print(f"Enqueued {len(designs)} design{'s' if len(designs) > 1 else ''} from {path} as the first trials.")


def describe_best(tuning, best) -> str:
    """The best trial's value: ``mean ± sd (K folds)`` for a cross-validated study."""
    standing = tuning.standings().get(best.number)
    if standing is None or standing.basis != "folds":
        return f"{best.value:.4f}"
    return f"{standing.mean:.4f} ± {standing.sd:.4f} (mean ± sd over {standing.repeats} folds)"


def print_ties(tuning) -> None:
    """The trials tied with the best, and the pick written into the study."""
    record = tuning.record_pick()
    if record is None:
        return
    tied = record["tied_with_best"]
    if tied:
        shown = ", ".join(f"#{n}" for n in tied[:12]) + (" ..." if len(tied) > 12 else "")
        print(f"Tied with best: {len(tied)} trial{'s' if len(tied) > 1 else ''} ({shown}); "
              f"tie rule: {record['tie_rule']}.")
