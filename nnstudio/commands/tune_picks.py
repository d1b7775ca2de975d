"""``nnstudio tune``'s known designs (``--enqueue``): checked before the study exists, then enqueued."""

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
