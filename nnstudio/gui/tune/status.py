"""What the Tune tab's status line and test result say (plain text from snapshots and results)."""

from __future__ import annotations

from ...tuning import StudySnapshot
from ...tuning.diagnosis import common_failure
from ...tuning.results import MIN_COMPLETE_FOR_IMPORTANCE
from .watch import rated_complete

NO_IMPORTANCES = f"Importances appear once {MIN_COMPLETE_FOR_IMPORTANCE} trials are complete"


def importance_note(snapshot: StudySnapshot | None) -> str:
    """Why the importance plot has no bars yet: too few complete trials, a rating under way, or a
    rating that found nothing to tell the parameters apart ("" when it has bars)."""
    if snapshot is None:
        return NO_IMPORTANCES
    if snapshot.importances:
        return ""
    complete = snapshot.count("COMPLETE")
    if complete < MIN_COMPLETE_FOR_IMPORTANCE:
        return f"{NO_IMPORTANCES} ({complete} so far)"
    if rated_complete(snapshot) < complete:
        return f"Rating the importances of {complete} complete trials …"
    return f"The {complete} complete trials do not tell the parameters' importances apart"


def running_text(snapshot: StudySnapshot, done: int, workers: int | None = None) -> str:
    """"Running: 7 finished, 2 running, 1 pruned. Best 0.9312 (trial #4)." Trials running beyond
    the session's ``workers`` are other processes' (and named so)."""
    running = snapshot.count("RUNNING")
    others = running - workers if workers is not None and running > workers else 0
    parts = [f"Running: {done} finished", f"{running} running" + (f" ({others} in other processes)" if others else ""),
             f"{snapshot.count('PRUNED')} pruned"]
    if snapshot.count("FAIL"):
        parts.append(f"{snapshot.count('FAIL')} failed")
    text = ", ".join(parts) + "."
    return _with_failure(text + best_text(snapshot), snapshot)


def live_text(snapshot: StudySnapshot) -> str:
    """The study as other processes change it while no session of the tab runs."""
    running = snapshot.count("RUNNING")
    counts = (f"{snapshot.count('COMPLETE')} complete, {snapshot.count('PRUNED')} pruned, "
              f"{snapshot.count('FAIL')} failed")
    others = (f" Other workers are running {running} trial{'s' if running > 1 else ''}: the table follows them."
              if running else "")
    return f"Study {snapshot.name!r}: {counts}.{best_text(snapshot)}{others}"


def best_text(snapshot: StudySnapshot) -> str:
    """The best trial for a status line: ``Best 0.9812 ± 0.0061 over 5 folds (trial #4; 3 tied with
    it).`` or ``Best 0.9815 (trial #4).`` (with a leading space; "" before the first)."""
    best = snapshot.best()
    if best is None:
        return ""
    s = snapshot.standings().get(best.number)
    tied = sum(x.tied for x in snapshot.standings().values())
    value = (f"{s.mean:.4f} ± {s.sd:.4f} over {s.repeats} {s.basis}" if s is not None and s.sd is not None
             else f"{best.value:.4f}")
    return f" Best {value} (trial #{best.number}" + (f"; {tied} tied with it" if tied else "") + ")."


def _with_failure(text: str, snapshot: StudySnapshot | None) -> str:
    """``text``, then the doctor's sentence when most trials fail for one reason."""
    failure = common_failure(snapshot.rows) if snapshot is not None else None
    return f"{text} {failure}" if failure else text


def finished_text(snapshot: StudySnapshot | None, study_name: str, stopped: bool, messages: list[str]) -> str:
    """The end of a tuning session: its counts and best trial, then what the workers reported."""
    if snapshot is not None and snapshot.name == study_name:
        counts = (f"{snapshot.count('COMPLETE')} complete, {snapshot.count('PRUNED')} pruned, "
                  f"{snapshot.count('FAIL')} failed")
        text = _with_failure(f"{'Stopped' if stopped else 'Finished'}: {counts}.{best_text(snapshot)}", snapshot)
    else:
        text = "Stopped." if stopped else "Finished."
    if messages and snapshot is None:  # nothing ran: the reason alone
        return " ".join(messages)
    return " ".join([text] + messages)


def confirm_finished_text(result, best, stopped: bool, messages: list[str]) -> str:
    """The end of a confirmation: how many trials were confirmed and the best one's mean."""
    if result is not None and result.confirmed:
        text = (f"Confirmed {len(result.confirmed)} trials: {result.runs_done} training runs in "
                f"{result.seconds:.0f} s.")
        c = best.confirmation if best is not None else None
        if c is not None and c.mean is not None:
            text += (f" Best: trial #{best.number}, mean {c.mean:.4f} over {len(c.seeds)} seeds "
                     f"(its own seed: {best.value:.4f}).")
    elif result is not None:
        text = (f"Confirmation {'stopped' if stopped else 'incomplete'} after {result.runs_done} of "
                f"{len(result.plan.runs)} runs: the best trial is still the best single run (the runs are "
                "kept for the next confirmation).")
    else:
        text = "Confirmation stopped." if stopped else "Confirmation ended."
    return " ".join([text] + messages)


def test_result_text(summary, study: str, trial: int) -> str:
    """A trial's metrics on the held-out test split."""
    if summary.test_accuracy == summary.test_accuracy:  # not NaN: classification
        metrics = f"accuracy {summary.test_accuracy:.4f}, loss {summary.test_loss:.4f}"
    else:
        metrics = f"loss {summary.test_loss:.4f}, RMSE {summary.test_rmse:.4g}"
    return (f"Test {metrics} — trial #{trial} of {study!r}, evaluated once on the held-out test split "
            "(never used while tuning).")


def quit_text(name: str, snapshot: StudySnapshot | None, info, confirming: bool) -> str:
    """The question before quitting mid-session: which study, how far it is, what stops."""
    if confirming:
        doing = f"The top trials of study {name!r} are being confirmed"
        if snapshot is not None and snapshot.confirm_total:
            doing += f" ({snapshot.confirm_done} of {snapshot.confirm_total} training runs done)"
    else:
        doing = f"Study {name!r} is running"
        if snapshot is not None:
            done = max(snapshot.finished - (info.done_before if info is not None else 0), 0)
            target = f" of {info.target - info.done_before}" if info is not None and info.target else ""
            doing += f" ({done}{target} trials finished, {snapshot.count('RUNNING')} running)"
    return (f"{doing}.\n\nQuitting stops its worker processes: the trials they are running end as FAIL. "
            "Finished trials stay in the study; Start on the same study adds more later.")


def slug(text: str) -> str:
    """A study-name-safe form of a config name."""
    keep = "".join(c if c.isalnum() or c in "-_." else "-" for c in text.strip())
    return keep.strip("-") or "study"
