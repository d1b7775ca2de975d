"""How fast is the engine?  Digits, 64-64-64-10, softmax + cross-entropy, Adam (lr 1e-3).

Three implementations train on the same standardized split with the same architecture, batch
size and number of epochs:

* the engine, through ``Trainer`` exactly as the app runs it by default (``train_metrics="auto"``,
  which for this network without dropout or batch norm means running training metrics: each
  training pass's outputs scored once, as MLPClassifier's ``loss_curve_``), an
  evaluation of the validation split, gradient norms, early-stopping bookkeeping, and per-layer
  histograms when ``histograms=True``.  The 'exact' column runs it with
  ``train_metrics="evaluation"``, which adds an evaluation pass over the training split;
* scikit-learn's ``MLPClassifier`` (relu, adam, no L2), timed as the mean per epoch over one
  full fit (``tol=0`` and a huge ``n_iter_no_change``, so every epoch runs);
* a naive implementation in the article's style, written below: per-layer lists of arrays,
  sigmoid hidden layers, new arrays for every intermediate, Adam over a list of tensors, and
  the article's full forward passes over the training and validation sets after every epoch.

Each round runs every implementation once per case, in a different order each round, so that
they share the machine's load alike; the engine's three variants (histograms on, off, and
exact training metrics) run epoch by epoch in turn, a paired comparison.  Each run gives its median time per epoch (MLPClassifier: its
mean), and the table shows the median over ``--repeats`` rounds.  BLAS runs on ``--blas-threads``
threads for everyone (1 by default: these matrices are far too small to gain from threads,
and on a busy machine idle threads make timings erratic).  Times are the CPU time of the
benchmark's thread by default (``--clock cpu``): with one BLAS thread that is the work done,
and unlike wall-clock time it does not count the time other processes hold the CPU.
``--clock wall`` measures elapsed time instead.

Run:  .venv/bin/python benchmarks/bench_engine.py [--epochs 200] [--repeats 3] [--quick]
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from nnstudio.config import DataConfig, ExperimentConfig, LayerConfig  # noqa: E402
from nnstudio.data import load_split  # noqa: E402
from nnstudio.engine import Trainer  # noqa: E402

HIDDEN = (64, 64)
LEARNING_RATE = 1e-3
TARGETS = {"batch": 0.40, "full": 0.60, "record": 0.10, "accuracy": 0.97}
CLOCKS = {"cpu": time.thread_time, "wall": time.perf_counter}
clock = CLOCKS["cpu"]


# -- the naive, article-style implementation ------------------------------------------------

class ArticleStyleNetwork:
    """The article's structure: a list of {'weights', 'biases'} dicts and sigmoid hidden layers.

    Its math is corrected (softmax output, dL/dz = a - y for cross-entropy, Glorot init) so
    that it learns; its style is kept: every step builds fresh arrays, nothing is reused.
    """

    def __init__(self, sizes, rng, dtype):
        self.layers = []
        for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
            limit = np.sqrt(6 / (fan_in + fan_out))
            self.layers.append({"weights": rng.uniform(-limit, limit, (fan_in, fan_out)).astype(dtype),
                                "biases": np.zeros((1, fan_out), dtype=dtype)})
        shapes = [t.shape for layer in self.layers for t in (layer["weights"], layer["biases"])]
        self.m = [np.zeros(s, dtype=dtype) for s in shapes]
        self.v = [np.zeros(s, dtype=dtype) for s in shapes]
        self.t = 0

    @staticmethod
    def sigmoid(x):
        return 1 / (1 + np.exp(-x))

    @staticmethod
    def softmax(x):
        exps = np.exp(x - np.max(x, axis=1, keepdims=True))
        return exps / np.sum(exps, axis=1, keepdims=True)

    def forward(self, X):
        self.a = [X]
        for i, layer in enumerate(self.layers):
            z = np.dot(self.a[-1], layer["weights"]) + layer["biases"]
            self.a.append(self.softmax(z) if i == len(self.layers) - 1 else self.sigmoid(z))
        return self.a[-1]

    def backward(self, y):
        m = y.shape[0]
        dz = [self.a[-1] - y]
        for i in reversed(range(len(self.layers) - 1)):
            dz.append(np.dot(dz[-1], self.layers[i + 1]["weights"].T) * (self.a[i + 1] * (1 - self.a[i + 1])))
        dz = dz[::-1]
        grads = []
        for i in range(len(self.layers)):
            grads.append(np.dot(self.a[i].T, dz[i]) / m)
            grads.append(np.sum(dz[i], axis=0, keepdims=True) / m)
        return grads

    def adam(self, grads, lr, b1=0.9, b2=0.999, eps=1e-8):
        self.t += 1
        params = [t for layer in self.layers for t in (layer["weights"], layer["biases"])]
        for i, (p, g) in enumerate(zip(params, grads)):
            self.m[i] = b1 * self.m[i] + (1 - b1) * g
            self.v[i] = b2 * self.v[i] + (1 - b2) * g ** 2
            m_hat = self.m[i] / (1 - b1 ** self.t)
            v_hat = self.v[i] / (1 - b2 ** self.t)
            p -= lr * m_hat / (np.sqrt(v_hat) + eps)

    @staticmethod
    def loss(p, y):
        return -np.sum(y * np.log(np.clip(p, 1e-12, 1.0))) / len(y)


def article_epochs(split, batch, dtype, epochs, seed=0):
    """Yield seconds per epoch; the last value sent back is the test accuracy."""
    rng = np.random.default_rng(seed)
    X, Xv = split.X_train.astype(dtype), split.X_val.astype(dtype)
    Y = np.eye(10, dtype=dtype)[split.y_train]
    Yv = np.eye(10, dtype=dtype)[split.y_val]
    net = ArticleStyleNetwork((64,) + HIDDEN + (10,), rng, dtype)
    history = []
    for _ in range(epochs):
        start = clock()
        order = rng.permutation(len(X))
        for lo in range(0, len(X), batch):
            idx = order[lo:lo + batch]
            net.forward(X[idx])
            net.adam(net.backward(Y[idx]), LEARNING_RATE)
        # the article's bookkeeping: full passes over both sets for their losses
        train_out = net.forward(X)
        val_out = net.forward(Xv)
        history.append((net.loss(train_out, Y), net.loss(val_out, Yv),
                        np.mean(train_out.argmax(1) == split.y_train), np.mean(val_out.argmax(1) == split.y_val)))
        yield clock() - start
    test_accuracy = float(np.mean(net.forward(split.X_test.astype(dtype)).argmax(1) == split.y_test))
    yield test_accuracy


# -- timed runs ----------------------------------------------------------------------------

def engine_config(batch_size: int, dtype: str, epochs: int, train_metrics: str = "auto") -> ExperimentConfig:
    return ExperimentConfig(layers=tuple(LayerConfig(u, "relu") for u in HIDDEN), optimizer="adam",
                            learning_rate=LEARNING_RATE, batch_size=batch_size, epochs=epochs,
                            early_stopping=False, dtype=dtype, train_metrics=train_metrics)


class EngineRun:
    """One trainer run, timed epoch by epoch: its seconds, the seconds its end-of-epoch
    evaluation took, and the seconds making the record took (early-stopping bookkeeping,
    histograms, the record itself)."""

    def __init__(self, split, batch_size, dtype, epochs, histograms, train_metrics="auto"):
        cfg = engine_config(batch_size, dtype, epochs, train_metrics)
        self.trainer = trainer = Trainer(cfg, split, histograms=histograms)
        self.seconds, self.evaluations, self.records = [], [], []
        self._evaluating = 0.0
        evaluate, end_epoch = trainer._evaluate_splits, trainer._end_epoch

        def timed_evaluate(*args, **kwargs):
            start = clock()
            result = evaluate(*args, **kwargs)
            self._evaluating += clock() - start
            return result

        def timed_end_epoch(*args, **kwargs):
            self._evaluating = 0.0
            start = clock()
            result = end_epoch(*args, **kwargs)
            total = clock() - start
            self.evaluations.append(self._evaluating)
            self.records.append(total - self._evaluating)
            return result

        trainer._evaluate_splits, trainer._end_epoch = timed_evaluate, timed_end_epoch
        self._run = trainer.run()

    def step(self) -> bool:
        """Train one epoch; False when the run is over."""
        start = clock()
        if next(self._run, None) is None:
            return False
        self.seconds.append(clock() - start)
        return True


def time_sklearn(split, batch_size, dtype, epochs):
    """Mean seconds per epoch over one fit of MLPClassifier, and its test accuracy."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    clf = MLPClassifier(HIDDEN, activation="relu", solver="adam", alpha=0.0, batch_size=batch_size,
                        learning_rate_init=LEARNING_RATE, max_iter=epochs, shuffle=True, random_state=0,
                        early_stopping=False, tol=0.0, n_iter_no_change=10 ** 9)
    X = split.X_train.astype(dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        start = clock()
        clf.fit(X, split.y_train)
        seconds = clock() - start
    assert clf.n_iter_ == epochs and clf.coefs_[0].dtype == np.dtype(dtype)
    return seconds / clf.n_iter_, clf.score(split.X_test.astype(dtype), split.y_test)


class ArticleRun:
    """The article-style code, timed epoch by epoch."""

    def __init__(self, split, batch, dtype, epochs):
        self._epochs = article_epochs(split, batch, dtype, epochs)
        self.seconds: list[float] = []
        self.left = epochs

    def step(self) -> bool:
        if self.left == 0:
            return False
        self.seconds.append(next(self._epochs))
        self.left -= 1
        return True


def interleaved(runs) -> None:
    """Advance the runs one epoch each in turn, so that they share the machine's load."""
    active = list(runs)
    while active:
        active = [run for run in active if run.step()]


def run_alone(run):
    while run.step():
        pass
    return run


# -- the report ----------------------------------------------------------------------------

@dataclass
class Case:
    label: str
    batch_size: int   # as in the config: 0 = full batch
    dtype: str
    engine: list = field(default_factory=list)        # median s/epoch per repeat, histograms on
    engine_plain: list = field(default_factory=list)  # histograms off
    engine_exact: list = field(default_factory=list)  # histograms on, train_metrics="evaluation"
    evaluation: list = field(default_factory=list)    # median s/epoch of the end-of-epoch evaluation, histograms on
    record: list = field(default_factory=list)        # median s/epoch making the record, histograms on
    record_plain: list = field(default_factory=list)  # the same without histograms
    sklearn: list = field(default_factory=list)
    article: list = field(default_factory=list)


def run_cases(split, epochs, article_epochs_n, repeats, quiet=False):
    n_train = len(split.y_train)
    cases = [Case(f"batch 64, {dt}", 64, dt) for dt in ("float32", "float64")]
    cases += [Case(f"full batch, {dt}", 0, dt) for dt in ("float32", "float64")]
    med = statistics.median
    for r in range(repeats):
        for case in cases:
            batch = case.batch_size or n_train

            def engine():
                # the variants epoch by epoch in turn: a paired comparison
                runs = [EngineRun(split, case.batch_size, case.dtype, epochs, h, metrics)
                        for h, metrics in ((True, "auto"), (False, "auto"), (True, "evaluation"))]
                interleaved(runs)
                case.engine.append(med(runs[0].seconds))
                case.evaluation.append(med(runs[0].evaluations))
                case.record.append(med(runs[0].records))
                case.engine_plain.append(med(runs[1].seconds))
                case.record_plain.append(med(runs[1].records))
                case.engine_exact.append(med(runs[2].seconds))

            jobs = [engine,
                    lambda: case.sklearn.append(time_sklearn(split, batch, case.dtype, epochs)[0]),
                    lambda: case.article.append(
                        med(run_alone(ArticleRun(split, batch, case.dtype, article_epochs_n)).seconds))]
            for i in range(len(jobs)):  # a different order each round
                jobs[(i + r) % len(jobs)]()
            if not quiet:
                print(f"  round {r + 1}/{repeats}: {case.label} done", file=sys.stderr, flush=True)
    return cases


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:8.2f}"


def _paired(a: list, b: list) -> float:
    """Median over rounds of a / b, each round's values taken together (the load varies between rounds)."""
    return statistics.median(x / y for x, y in zip(a, b))


def print_table(cases) -> dict:
    med = statistics.median
    verdicts = {}
    print()
    print("Median ms per epoch (digits 64-64-64-10, adam, lr 1e-3).  'engine' runs the trainer as the app does")
    print("by default (histograms on; train_metrics 'auto', here running), 'no hist' as the tuner does, 'exact' with")
    print("train_metrics='evaluation'.  Ratios are engine / peer, the median of the per-round ratios;")
    print("targets apply to float32.")
    header = (f"{'case':<20} {'engine':>8} {'no hist':>8} {'exact':>8} {'sklearn':>8} {'article':>8} "
              f"{'eng/skl':>8} {'nohist/skl':>11} {'exact/skl':>10} {'eng/art':>8} {'target':>14}")
    print(header)
    print("-" * len(header))
    for c in cases:
        ratio = _paired(c.engine, c.sklearn)
        target = ""
        if c.dtype == "float32":
            limit = TARGETS["full" if c.batch_size == 0 else "batch"]
            verdicts[c.label] = ratio <= limit
            target = f"<= {limit:.2f} {'ok' if ratio <= limit else 'MISSED'}"
        print(f"{c.label:<20} {_ms(med(c.engine))} {_ms(med(c.engine_plain))} {_ms(med(c.engine_exact))} "
              f"{_ms(med(c.sklearn))} {_ms(med(c.article))} {ratio:8.2f} {_paired(c.engine_plain, c.sklearn):11.2f} "
              f"{_paired(c.engine_exact, c.sklearn):10.2f} {_paired(c.engine, c.article):8.2f} {target:>14}")
    print()
    print("Per-epoch bookkeeping, ms and share of the epoch (histograms on).  'record' is what the record adds:")
    print("early-stopping bookkeeping, histograms, the record itself; 'evaluation' computes the validation")
    print("loss and accuracy (the running training metrics are scored inside the epoch); 'hist on-off' is")
    print("the epoch-time difference between the paired runs with and without histograms.")
    header = (f"{'case':<20} {'record':>8} {'share':>7} {'target':>9} {'evaluation':>11} {'share':>7} "
              f"{'hist on-off':>12} {'share':>7}")
    print(header)
    print("-" * len(header))
    for c in cases:
        share = _paired(c.record, c.engine)
        differences = [a - b for a, b in zip(c.engine, c.engine_plain)]
        target = ""
        if c.dtype == "float32":
            verdicts[f"record, {c.label}"] = share <= TARGETS["record"]
            target = f"{'ok' if share <= TARGETS['record'] else 'MISSED'}"
        print(f"{c.label:<20} {_ms(med(c.record))} {share:7.1%} {target:>9} {med(c.evaluation) * 1e3:11.2f} "
              f"{_paired(c.evaluation, c.engine):7.1%} {med(differences) * 1e3:12.2f} "
              f"{_paired(differences, c.engine):7.1%}")
    return verdicts


# For contrast: the default network without batch norm, and narrower.
REFERENCE = {"layers": (LayerConfig(64, "relu"), LayerConfig(64, "relu"))}


def accuracy_over_seeds(split, changes: dict, seeds: int, epochs: int = 200):
    """Test accuracies of ``ExperimentConfig().replace(**changes)`` for seeds 0..seeds-1 (at most ``epochs``)."""
    base = ExperimentConfig().replace(**changes)
    base = base.replace(epochs=min(epochs, base.epochs))
    summaries = []
    for seed in range(seeds):
        trainer = Trainer(base.replace(seed=seed), split, histograms=False)
        for _ in trainer.run():
            pass
        summaries.append(trainer.summary)
    return base, summaries


def describe(cfg: ExperimentConfig) -> str:
    layers = ", ".join(f"{l.units} {l.activation}" + (" +bn" if l.batch_norm else "")
                       + (f" +dropout {l.dropout_rate:g}" if l.dropout_rate else "") for l in cfg.layers)
    return (f"{layers}; {cfg.init_method}, {cfg.optimizer} lr {cfg.learning_rate:g}, batch {cfg.batch_size}, "
            f"early stopping {'on, patience %d' % cfg.patience if cfg.early_stopping else 'off'}")


def print_accuracy(split, seeds: int) -> bool:
    """Print the default config's test accuracy (and a reference's); True if the default reaches the target."""
    print()
    print(f"Test accuracy on digits within 200 epochs, seeds 0-{seeds - 1} (target: mean >= {TARGETS['accuracy']})")
    verdict = True
    for label, changes in (("ExperimentConfig()", {}), ("64-64, no batch norm", REFERENCE)):
        cfg, summaries = accuracy_over_seeds(split, changes, seeds)
        accuracies = [s.test_accuracy for s in summaries]
        mean = statistics.mean(accuracies)
        ok = mean >= TARGETS["accuracy"]
        if label == "ExperimentConfig()":
            verdict = ok
        print(f"  {label:<21} {describe(cfg)}")
        print(f"  {'':<21} seed 0: {accuracies[0]:.4f}; mean {mean:.4f}, min {min(accuracies):.4f}, "
              f"max {max(accuracies):.4f}; epochs run {statistics.mean(s.epochs_run for s in summaries):.0f} "
              f"on average  {'ok' if ok else 'MISSED'}")
    return verdict


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=200, help="epochs per timed run (default 200)")
    parser.add_argument("--article-epochs", type=int, default=40,
                        help="epochs per timed run of the article-style code (default 40; it is slow)")
    parser.add_argument("--repeats", type=int, default=5, help="repetitions (default 5)")
    parser.add_argument("--blas-threads", type=int, default=1, help="BLAS threads for all (0: leave as is)")
    parser.add_argument("--seeds", type=int, default=10, help="seeds for the accuracy check (default 10)")
    parser.add_argument("--clock", choices=sorted(CLOCKS), default="cpu",
                        help="cpu: this thread's CPU time (default); wall: elapsed time")
    parser.add_argument("--quick", action="store_true", help="20 epochs, 1 repeat: a smoke run")
    args = parser.parse_args(argv)
    global clock
    clock = CLOCKS[args.clock]
    if args.quick:
        args.epochs, args.article_epochs, args.repeats, args.seeds = 20, 5, 1, 1

    split = load_split(DataConfig(name="digits"))
    limits = None
    if args.blas_threads:
        from threadpoolctl import threadpool_limits

        limits = threadpool_limits(args.blas_threads)
    try:
        print(f"digits: {split.sizes()}; {args.epochs} epochs per run, {args.repeats} repeats, "
              f"BLAS threads: {args.blas_threads or 'default'}; {args.clock} time; numpy {np.__version__}")
        cases = run_cases(split, args.epochs, args.article_epochs, args.repeats)
        verdicts = print_table(cases)
        accuracy_ok = print_accuracy(split, args.seeds)
    finally:
        if limits is not None:
            limits.restore_original_limits()
    return 0 if all(verdicts.values()) and accuracy_ok else 1


if __name__ == "__main__":
    sys.exit(main())
