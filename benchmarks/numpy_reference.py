"""The engine's benchmark workload written out by hand in plain NumPy: the "numpy" peer of
``bench_engine.py``.

One function per step, no classes between the arrays and the arithmetic, every array allocated
once: what a careful person writes when the network is fixed in advance (two relu hidden
layers with inverted dropout, softmax with cross-entropy, global-norm clipping, plain SGD) and
nothing has to be recorded.  Per epoch it shuffles the training rows, trains mini-batch by
mini-batch and evaluates loss and accuracy on the training and validation rows, as the engine
does for a network with dropout.  It keeps none of what the engine's records need (per-layer
gradient norms, histograms, health measures, early stopping's copies), so the engine's time
over this one is the whole cost of being general and of what it shows.
"""

from __future__ import annotations

import time

import numpy as np

clock = time.thread_time


class NumpyRun:
    """Hand-written NumPy training of ``hidden`` relu layers with dropout, timed epoch by epoch."""

    def __init__(self, split, batch_size: int, hidden: tuple[int, ...], dropout: float, lr: float, clip: float):
        dt = np.float32
        rng = np.random.default_rng(0)
        self.X = np.asarray(split.X_train, dt)
        self.X_eval = np.concatenate([self.X, np.asarray(split.X_val, dt)])
        self.labels_eval = np.concatenate([split.y_train, split.y_val])
        n_out = int(self.labels_eval.max()) + 1
        self.Y = np.eye(n_out, dtype=dt)[split.y_train]
        sizes = (self.X.shape[1],) + tuple(hidden) + (n_out,)
        self.W = [(rng.standard_normal((a, b)) * np.sqrt(2.0 / a)).astype(dt) for a, b in zip(sizes[:-1], sizes[1:])]
        self.b = [np.zeros(b, dt) for b in sizes[1:]]
        self.gW = [np.empty_like(w) for w in self.W]
        self.gb = [np.empty_like(b) for b in self.b]
        n = len(self.X)
        self.batch = n if batch_size <= 0 or batch_size >= n else batch_size
        self.lr, self.clip = lr, clip
        self.threshold = np.uint32(min(int((1.0 - dropout) * 2.0**32 + 0.5), 2**32 - 1))
        self.scale = dt(1.0 / (1.0 - dropout))
        self.words = np.random.Generator(np.random.SFC64(1)).bit_generator
        self.shuffle = np.random.default_rng(2)
        self.X_shuffled, self.Y_shuffled = np.empty_like(self.X), np.empty_like(self.Y)
        self.buffers: dict[int, dict] = {}
        self.seconds: list[float] = []

    def _arrays(self, rows: int) -> dict:
        """Every array a step over ``rows`` rows writes, made once per size."""
        if rows not in self.buffers:
            dt, hidden = np.float32, [w.shape[1] for w in self.W[:-1]]
            self.buffers[rows] = {
                "z": [np.empty((rows, w.shape[1]), dt) for w in self.W],
                "a": [np.empty((rows, u), dt) for u in hidden],
                "mask": [np.empty((rows, u), dt) for u in hidden],
                "keep": [np.empty((rows, u), bool) for u in hidden],
                "active": [np.empty((rows, u), bool) for u in hidden],
                "delta": [np.empty((rows, u), dt) for u in hidden],
                "ones": np.ones(rows, dt),
                "row": np.empty((rows, 1), dt),
            }
        return self.buffers[rows]

    def _train_step(self, x: np.ndarray, y: np.ndarray) -> None:
        W, b, gW, gb = self.W, self.b, self.gW, self.gb
        buf = self._arrays(len(x))
        inputs, a = [x], x
        for i in range(len(W) - 1):
            z = np.matmul(a, W[i], out=buf["z"][i])
            z += b[i]
            words = self.words.random_raw((z.size + 1) >> 1).view(np.uint32)[:z.size].reshape(z.shape)
            keep = np.less(words, self.threshold, out=buf["keep"][i])
            active = np.logical_and(keep, np.greater(z, 0, out=buf["active"][i]), out=buf["active"][i])
            mask = buf["mask"][i]
            np.copyto(mask, active)
            mask *= self.scale  # relu's derivative times the dropout factor
            a = np.multiply(z, mask, out=buf["a"][i])
            inputs.append(a)
        z = np.matmul(a, W[-1], out=buf["z"][-1])
        z += b[-1]
        np.subtract(z, z.max(axis=1, keepdims=True, out=buf["row"]), out=z)
        np.exp(z, out=z)
        z /= np.matmul(z, buf["ones"][:z.shape[1]], out=buf["row"][:, 0])[:, None]
        z -= y  # softmax + cross-entropy: the gradient at the logits, times the batch size
        z *= 1.0 / len(x)
        dz = z
        for i in range(len(W) - 1, -1, -1):
            np.matmul(inputs[i].T, dz, out=gW[i])
            np.dot(buf["ones"], dz, out=gb[i])
            if i:
                dz = np.matmul(dz, W[i].T, out=buf["delta"][i - 1])
                dz *= buf["mask"][i - 1]
        square = sum(float(g.ravel() @ g.ravel()) for g in gW) + sum(float(g @ g) for g in gb)
        norm = square ** 0.5
        factor = self.lr * (self.clip / norm if norm > self.clip else 1.0)
        for p, g in zip(W + b, gW + gb):
            g *= factor
            p -= g

    def _evaluate(self) -> tuple[float, float, float, float]:
        a = self.X_eval
        for i, (w, bias) in enumerate(zip(self.W, self.b)):
            a = a @ w
            a += bias
            if i < len(self.W) - 1:
                np.maximum(a, 0, out=a)
        n, labels = len(self.X), self.labels_eval
        a -= a.max(axis=1, keepdims=True)
        nll = np.log(np.exp(a).sum(axis=1)) - a[np.arange(len(a)), labels]
        right = a.argmax(axis=1) == labels
        return float(nll[:n].mean()), float(right[:n].mean()), float(nll[n:].mean()), float(right[n:].mean())

    def step(self) -> None:
        start = clock()
        X, Y, batch = self.X, self.Y, self.batch
        if batch < len(X):
            order = self.shuffle.permutation(len(X))
            X = np.take(X, order, axis=0, out=self.X_shuffled, mode="clip")
            Y = np.take(Y, order, axis=0, out=self.Y_shuffled, mode="clip")
        for lo in range(0, len(X), batch):
            self._train_step(X[lo:lo + batch], Y[lo:lo + batch])
        self.metrics = self._evaluate()
        self.seconds.append(clock() - start)
