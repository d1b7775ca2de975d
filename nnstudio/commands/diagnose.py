"""``nnstudio diagnose``: train an experiment, say what went wrong, and optionally prove the fix.

    nnstudio diagnose CONFIG.json [--epochs N] [--verify] [--seeds K] [--json FILE]
    nnstudio diagnose --preset NAME ...

Prints each finding (severity, code, layer, first epoch, message, evidence, suggested edit).
With ``--verify`` every suggested edit of a warning or error is trained beside the unchanged
config over K seeds (worker processes, same split and seeds) and judged ``helped``,
``no_difference`` or ``hurt``.  Exit status 0 when no finding is a warning or worse, 1 otherwise,
2 for bad input, 130 when interrupted.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
from pathlib import Path

from ..cli import EXIT_ERROR, EXIT_INTERRUPTED, EXIT_OK, UserError, command
from ..data import load_split
from ..doctor import DEFAULT_SEEDS, FixTrial, Verdict
from ..engine import Trainer
from ..engine.doctor import Doctor
from ..engine.findings import Finding
from ..files import atomic_write_text, check_can_write
from ..presets import experiment_from, preset_names
from ..progress import ProgressBar
from ..signals import stop_on_signals


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.epilog = ("Exit status: 0 when no finding is a warning or worse, 1 otherwise, 2 for bad input. "
                "JSON: {\"findings\": [...], \"verified\": [{\"code\", \"suggestion\", \"verdict\", \"baseline\", "
                "\"fixed\", \"interval\"}, ...]}.")
    p.add_argument("config", nargs="?", metavar="CONFIG", help="experiment file (.json) to diagnose")
    p.add_argument("--preset", metavar="NAME", help=f"diagnose a built-in preset instead ({', '.join(preset_names())})")
    p.add_argument("--epochs", type=int, metavar="N", help="override the config's epochs")
    p.add_argument("--verify", action="store_true",
                   help="train each suggested fix beside the unchanged config and judge whether it helped")
    p.add_argument("--seeds", type=int, default=DEFAULT_SEEDS, metavar="K",
                   help=f"with --verify: seeds per arm (default {DEFAULT_SEEDS}, at least 2)")
    p.add_argument("--workers", type=int, metavar="W", help="with --verify: worker processes (default: one per core)")
    p.add_argument("--json", metavar="FILE", help="also write the findings (and verdicts) as JSON")


@command("diagnose", "train an experiment, name what goes wrong and suggest (and with --verify test) one fix",
         add_arguments)
def run(args: argparse.Namespace) -> int:
    cfg = _experiment(args)
    if args.json:
        check_can_write(Path(args.json))
    split = load_split(cfg.data)
    trainer = Trainer(cfg, split, histograms=False)  # validates the config against the data
    doctor = Doctor(cfg, split)
    stop = threading.Event()
    with stop_on_signals(stop):
        bar = ProgressBar(cfg.epochs, label=cfg.name)
        for record in trainer.run(stop=stop.is_set):
            doctor.observe(record)
            bar.update(record.epoch, f"val_loss {record.val_loss:.4f}")
        bar.close(trainer.summary.message, done=trainer.summary.epochs_run)
    findings = doctor.finish(trainer.summary)
    print(format_findings(findings, doctor.cleared))
    if stop.is_set():
        _write_json(args.json, findings, [], doctor.cleared)
        return EXIT_INTERRUPTED
    verified = _verify(cfg, findings, args) if args.verify else []
    _write_json(args.json, findings, verified, doctor.cleared)
    return EXIT_ERROR if any(f.severity != "info" for f in findings) else EXIT_OK


def _experiment(args: argparse.Namespace):
    if args.config is None and args.preset is None:
        raise UserError(f"give an experiment file (CONFIG) or --preset NAME ({', '.join(preset_names())})")
    if args.config is not None and args.preset is not None:
        raise UserError("give either an experiment file or --preset, not both")
    if args.epochs is not None and args.epochs < 1:
        raise UserError(f"--epochs must be at least 1, not {args.epochs}")
    if args.verify and args.seeds < 2:
        raise UserError(f"--seeds must be at least 2 (a verdict compares seeds), not {args.seeds}")
    if args.workers is not None and args.workers < 1:
        raise UserError(f"--workers must be at least 1, not {args.workers}")
    cfg = experiment_from(args.config, args.preset)
    return cfg.replace(epochs=args.epochs).validate() if args.epochs is not None else cfg


def format_findings(findings, cleared=()) -> str:
    """The findings as text, most important first; a line saying so when there are none; then
    the findings that held earlier in the run and cleared (:class:`~nnstudio.engine.findings.Cleared`)."""
    gone = [f"CLEARED {c.finding.code}{f' in {c.finding.layer}' if c.finding.layer else ''}: seen at {c.epochs}, "
            f"cleared later. {c.finding.message}" for c in cleared]
    if not findings:
        return "\n".join(["No findings at the end of the run." if gone else
                          "No findings: nothing in this run looks wrong.", *gone])
    order = sorted(findings, key=lambda f: (-f.rank, f.epoch))
    lines = []
    for f in order:
        where = f" in {f.layer}" if f.layer else ""
        lines.append(f"{f.severity.upper()} {f.code}{where} (from epoch {f.epoch}): {f.message}")
        lines.append(f"    evidence: {f.evidence_display()}")
        if f.suggestion is not None:
            lines.append(f"    suggestion: {f.suggestion.text}")
    return "\n".join(lines + gone)


def _verify(cfg, findings: tuple[Finding, ...], args) -> list[tuple[str, Verdict]]:
    """Try every suggestion of a warning or an error; (code, verdict) pairs."""
    codes: dict = {}
    for f in findings:
        if f.severity != "info" and f.suggestion is not None:
            codes.setdefault(f.suggestion, f.code)
    if not codes:
        print("Nothing to verify: no warning or error suggests an edit.")
        return []
    trial = FixTrial(cfg, list(codes), seeds=args.seeds, workers=args.workers)
    print(f"Verifying {len(codes)} suggestion{'s' if len(codes) > 1 else ''} over {args.seeds} seeds "
          f"({(len(codes) + 1) * args.seeds} runs)", file=sys.stderr)
    bar = ProgressBar(trial.total_epochs, label="verify")
    try:
        for done, total in trial.run():
            bar.update(done)
    except KeyboardInterrupt:
        trial.stop()
        raise
    finally:
        bar.close("")
    for error in trial.errors():
        print(f"error in a verification run: {error}", file=sys.stderr)
    for verdict in trial.verdicts:
        print(f"VERDICT {verdict.verdict}: {verdict.describe()}")
    return [(codes[v.suggestion], v) for v in trial.verdicts]


def _write_json(path: str | None, findings, verified, cleared=()) -> None:
    if not path:
        return
    doc = {"findings": [f.to_dict() for f in findings], "verified": [v.to_dict(code) for code, v in verified],
           "cleared": [{**c.finding.to_dict(), "first_epoch": c.first_epoch, "last_epoch": c.last_epoch}
                       for c in cleared]}
    atomic_write_text(Path(path), json.dumps(doc, indent=2) + "\n")
    print(f"wrote {path}")
