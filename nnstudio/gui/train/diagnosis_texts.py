"""What the Diagnosis page says, apart from the widgets: finding titles, the headline, and the
lines for findings that were seen earlier in the run and have cleared since."""

from __future__ import annotations

import html

from ...engine.findings import Cleared, Finding, top_finding

TITLES = {
    "not_learning": "Not learning", "diverged": "Diverged", "oscillating_loss": "Oscillating loss",
    "dead_units": "Dead units", "saturated_units": "Saturated units", "identical_units": "Identical units",
    "vanishing_gradients": "Vanishing gradients", "exploding_gradients": "Exploding gradients",
    "update_ratio_high": "Steps too large", "update_ratio_low": "Steps too small", "overfitting": "Overfitting",
    "underfitting": "Underfitting",
}
CHECKED_TEXT = ("Checked every epoch: accuracy at chance level, divergence, an oscillating loss, over- and "
                "underfitting. Measured in the first 10 epochs, the last one, ten evenly spaced ones and every few in"
                " between (up to about 50 times a run, within 1.5% of the training time; each such finding's evidence"
                " says which epoch it was measured at): dead, saturated and identical units, vanishing and exploding"
                " gradients, step size (update/weight ratio).")
CLEARED_HEADING = "Seen earlier, cleared since"


def finding_title(f: Finding) -> str:
    where = f" · {f.layer}" if f.layer else ""
    return f"{f.severity.upper()} · {TITLES[f.code]}{where} · since epoch {f.epoch}"


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


def _names(findings) -> str:
    return ", ".join(TITLES[f.code].lower() for f in findings)


def headline(findings, cleared=(), finished: bool = False) -> tuple[str, str]:
    """(text, severity) of the page's headline: the findings that hold now, the one to start with
    when any is to be acted on, and the ones that cleared, so that none goes without a word."""
    findings, cleared = list(findings), list(cleared)
    gone = (f" {_count(len(cleared), 'earlier finding')} cleared: {_names(c.finding for c in cleared)}."
            if cleared else "")
    top = top_finding(findings)
    if top is None:
        if cleared:
            now = "No findings at the end of the run." if finished else "No findings now."
            return now + gone, "info"
        if finished:
            return "No findings: nothing in this run looks wrong.", "success"
        return "No findings so far.", "info"
    serious = sum(f.severity != "info" for f in findings)
    if serious:
        return (f"{_count(len(findings), 'finding')}, {serious} to act on. Start with: {TITLES[top.code].lower()}."
                + gone, top.severity)
    return f"{_count(len(findings), 'finding')}, none to act on: {_names(findings)}." + gone, "info"


def cleared_html(cleared) -> str:
    """The muted list of findings that held earlier but hold no longer ('' when there are none)."""
    if not cleared:
        return ""
    rows = [f"<b>{TITLES[c.finding.code]}</b>{' · ' + html.escape(c.finding.layer) if c.finding.layer else ''}"
            f" · seen at {c.epochs}, cleared later. {html.escape(c.finding.message)}" for c in cleared]
    return f"<b>{CLEARED_HEADING}</b><br>" + "<br>".join(rows)


def cleared_markers(cleared: "list[Cleared] | tuple[Cleared, ...]") -> list[Cleared]:
    """The cleared findings worth a mark on the loss plot: warnings and errors."""
    return [c for c in cleared if c.finding.severity != "info"]
