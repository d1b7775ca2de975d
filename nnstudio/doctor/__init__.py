"""The training doctor outside the engine: trying a suggested fix over several seeds (no Qt)."""

from .verify import DEFAULT_SEEDS, HELPED, HURT, NO_DIFFERENCE, FixTrial, Verdict, paired_verdict

__all__ = ["DEFAULT_SEEDS", "HELPED", "HURT", "NO_DIFFERENCE", "FixTrial", "Verdict", "paired_verdict"]
