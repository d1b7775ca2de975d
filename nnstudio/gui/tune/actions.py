"""The Tune tab's "Add current design", "Export CSV" and the question before quitting mid-session
(plain functions on the tab's parts).

A design added before its study exists waits in the tab and runs first when the study starts;
added to an existing or running study, it is enqueued at once (in a thread: the storage may be
a remote database), and the next trial any worker starts is that design.
"""

from __future__ import annotations

from PySide6.QtWidgets import QFileDialog, QMessageBox

from ...config import ConfigError
from ...tuning import open_study
from ...tuning.enqueue import enqueue_designs
from ...tuning.views import write_table_csv
from .run_bar import TRIALS_FORMAT
from .status import quit_text

TASK_ENQUEUE = "enqueue"


def add_current_design(tab) -> None:
    """Enqueue the editor's design in the tab's study, or keep it for the study about to start."""
    try:
        config = tab.config_provider()
    except ConfigError as exc:
        tab.tuningStatus.setText(f"The design cannot be trained yet: {exc}")
        return
    name = tab.study.study_name()
    shown = tab.snapshot()
    exists = tab.is_running() or tab.study.resuming() or (shown is not None and shown.name == name)
    if not exists or not name:
        tab.pending_designs.append(config)
        n = len(tab.pending_designs)
        tab.tuningStatus.setText(f"Added the current design: {'it runs' if n == 1 else f'these {n} designs run'} "
                                 "first when the study starts.")
        return
    url = tab.study.storage_url()

    def work() -> list[str]:
        return enqueue_designs(open_study(url, name, heartbeat=False), [config], "editor design")

    def done(notes: list[str]) -> None:
        if any("already in the study" in n for n in notes):
            tab.tuningStatus.setText(f"The current design is {notes[-1].split(': ', 1)[1]}.")
            return
        tab.tuningStatus.setText(f"Added the current design to {name!r}: it is the next trial to start."
                                 + "".join(f" Note: {n}." for n in notes))

    tab.session.run_task(TASK_ENQUEUE, work, done,
                         lambda message: tab.tuningStatus.setText(f"Could not add the design: {message}"))


def export_csv(tab) -> str | None:
    """Ask where, then write the trials table as CSV; the path written, or None."""
    snapshot = tab.snapshot()
    if snapshot is None:
        return None
    path, _ = QFileDialog.getSaveFileName(tab, "Export trials as CSV", f"{snapshot.name}-trials.csv",
                                          "CSV files (*.csv)")
    if not path:
        return None
    try:
        write_table_csv(path, snapshot, tab.results.space)
    except OSError as exc:
        tab.tuningStatus.setText(f"Could not write {path}: {exc.strerror or exc}")
        return None
    tab.tuningStatus.setText(f"Wrote {len(snapshot.rows)} trials to {path}.")
    return path


def quit_question(tab) -> str:
    """The question before quitting while the tab's session runs: the study, how far it is, what stops."""
    confirming = tab.bar.tuningProgress.format() != TRIALS_FORMAT
    return quit_text(tab.study.study_name(), tab.snapshot(), tab._run_info, confirming)


def quit_box(tab) -> QMessageBox | None:
    """The dialog that asks it (None when no session runs); "No" is the default."""
    question = tab.quit_question()
    if question is None:
        return None
    box = QMessageBox(QMessageBox.Icon.Warning, "Quit while tuning?", question,
                      QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, tab)
    box.setDefaultButton(QMessageBox.StandardButton.No)
    box.button(QMessageBox.StandardButton.Yes).setText("Stop and quit")
    return box
