"""The summary's columns, shared by the Compare table and the CSV: what each shows and how it sorts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from .results import SummaryRow, status_words

@dataclass(frozen=True)
class Column:
    """A summary column: ``value(row)`` sorts (a number, NaN when missing) and ``text(row)`` shows."""

    key: str
    title: str
    help: str
    value: Callable[[SummaryRow], float | str]
    text: Callable[[SummaryRow], str]
    tasks: tuple[bool, ...] = (True, False)  # classification, regression


def _stat_column(key, title, help, fmt=".4f", tasks=(True, False)) -> Column:
    return Column(key, title, help, lambda r: getattr(r, key).mean, lambda r: getattr(r, key).text(fmt), tasks)


SUMMARY_COLUMNS: tuple[Column, ...] = (
    Column("label", "Variant", "The value of the varied factor (or the experiment file).",
           lambda r: r.label, lambda r: r.label),
    _stat_column("best_val_loss", "Best val loss",
                 "Lowest validation loss of each run, mean ± sample std over seeds."),
    _stat_column("final_val_loss", "Final val loss", "Validation loss at each run's last epoch, mean ± std."),
    _stat_column("val_accuracy", "Val accuracy",
                 "Validation accuracy at each run's best epoch (lowest validation loss), mean ± std.",
                 tasks=(True,)),
    _stat_column("test_accuracy", "Test accuracy",
                 "Accuracy on the held-out test split, evaluated once at the end of each run with the "
                 "parameters it kept (the best ones when early stopping restores them).", tasks=(True,)),
    _stat_column("test_rmse", "Test RMSE", "Root-mean-square error on the test split, in the target's units.",
                 fmt=".4g", tasks=(False,)),
    Column("epochs_to_target", "Epochs to target",
           "First epoch at which validation reached the target, mean over the runs that did (k/n reached).",
           lambda r: r.epochs_to_target.mean,
           lambda r: "never" if r.reached == 0 and r.runs_done else
           ("—" if r.reached == 0 else f"{r.epochs_to_target.mean:.1f} ({r.reached}/{r.runs_total})")),
    _stat_column("best_epoch", "Best epoch", "Epoch of the lowest validation loss, mean ± std.", fmt=".1f"),
    _stat_column("seconds", "Time (s)", "Wall time per run, mean ± std (depends on machine load).", fmt=".2f"),
    Column("status", "Stop reason",
           "How the runs ended: all epochs (trained to the last one), early stop (validation loss stopped "
           "improving), diverged (a parameter or the loss became NaN or infinite), stopped by you, error or "
           "not run; 2/3 counts the seeds that ended so.", lambda r: r.status, lambda r: status_words(r.status)),
    Column("top_finding", "Top finding", "The training doctor's most important finding (a warning or an error), "
           "the most common one over the seeds; empty when nothing looks wrong.",
           lambda r: r.top_finding, lambda r: r.top_finding.replace("_", " ")),
)


def columns_for(classification: bool | None) -> tuple[Column, ...]:
    return tuple(c for c in SUMMARY_COLUMNS if (classification is not False) in c.tasks)
