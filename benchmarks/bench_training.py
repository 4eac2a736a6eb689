"""How fast is ``dlbasics.training.fit``? One workload, four ways, in one process.

The workload: the 1,797 bundled digits (standardized), a 64-H-10 ReLU network with softmax
cross-entropy, plain SGD (lr 0.1, no momentum, no weight decay), mini-batches of B, 20 epochs,
reshuffled every epoch. "small" is H=128, B=32; "large" is H=512, B=256. Each time covers building
the network and training it. The four ways:

- ``dlbasics``: ``fit(..., progress=False)``;
- ``numpy (fused)``: the same math written as one hand-fused numpy loop, the floor for any
  numpy implementation;
- ``scikit-learn``: ``MLPClassifier(solver="sgd")`` with the same settings;
- ``pytorch``: ``nn.Sequential`` + ``torch.optim.SGD`` on the CPU, if torch is installed
  (float32, torch's default; the others run in float64).

Runs are interleaved (one round runs every implementation once), so a busy machine slows all of
them alike; the table shows the median over the rounds and the ratio to the fused numpy loop,
for wall-clock time and for the process's CPU time (which a shared machine disturbs less; for
multi-threaded PyTorch it adds up the threads).

Run: ``python benchmarks/bench_training.py [--repeats 7] [--workload small|large|all]
[--threads N]``.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import statistics
import time
import warnings
from collections.abc import Callable

import numpy as np
from machine import cpu_name  # benchmarks/machine.py

from dlbasics.datasets import Standardizer, load_digits
from dlbasics.network import mlp
from dlbasics.training import fit

try:  # optional
    import torch
except ImportError:  # pragma: no cover - depends on the machine
    torch = None

EPOCHS, LR = 20, 0.1
WORKLOADS = {"small": (128, 32), "large": (512, 256)}


def run_dlbasics(X: np.ndarray, y: np.ndarray, hidden: int, batch: int, seed: int) -> float:
    net = mlp([64, hidden, 10], rng=seed)
    fit(net, X, y, loss="categorical_cross_entropy_with_logits", optimizer="sgd", lr=LR,
        epochs=EPOCHS, batch_size=batch, rng=seed, progress=False)
    return float(np.mean(net.predict(X).argmax(axis=1) == y))


def run_numpy(X: np.ndarray, y: np.ndarray, hidden: int, batch: int, seed: int) -> float:
    """The same math, hand-fused: no layers, no caches, no dX for the input layer."""
    rng = np.random.default_rng(seed)
    n = len(X)
    W1 = rng.normal(0.0, np.sqrt(2.0 / 64), (64, hidden))
    b1 = np.zeros(hidden)
    W2 = rng.normal(0.0, np.sqrt(2.0 / hidden), (hidden, 10))
    b2 = np.zeros(10)
    rows = np.arange(batch)
    for _ in range(EPOCHS):
        order = rng.permutation(n)
        Xs, ys = X[order], y[order]
        for start in range(0, n, batch):
            Xb, yb = Xs[start:start + batch], ys[start:start + batch]
            m, r = len(Xb), rows[:len(Xb)]
            h = Xb @ W1
            h += b1
            a = np.maximum(h, 0.0)
            z = a @ W2
            z += b2
            z -= z.max(axis=1, keepdims=True)
            true = z[r, yb]
            np.exp(z, out=z)
            s = z.sum(axis=1, keepdims=True)
            _cost = float(np.log(s).sum() - true.sum()) / m  # computed, as every loop does
            s *= m
            z /= s
            z[r, yb] -= 1.0 / m  # dz = (softmax − onehot) / m
            da = z @ W2.T
            da *= h > 0
            W2 -= LR * (a.T @ z)
            b2 -= LR * z.sum(axis=0)
            W1 -= LR * (Xb.T @ da)
            b1 -= LR * da.sum(axis=0)
    return float(np.mean((np.maximum(X @ W1 + b1, 0) @ W2 + b2).argmax(axis=1) == y))


def run_sklearn(X: np.ndarray, y: np.ndarray, hidden: int, batch: int, seed: int) -> float:
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    clf = MLPClassifier(
        hidden_layer_sizes=(hidden,), activation="relu", solver="sgd", learning_rate="constant",
        learning_rate_init=LR, momentum=0.0, nesterovs_momentum=False, batch_size=batch,
        max_iter=EPOCHS, alpha=0.0, shuffle=True, tol=0.0, n_iter_no_change=10**6,
        early_stopping=False, random_state=seed,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # max_iter reached: that is the point
        clf.fit(X, y)
    return float(clf.score(X, y))


def run_torch(X: np.ndarray, y: np.ndarray, hidden: int, batch: int, seed: int) -> float:
    torch.manual_seed(seed)
    Xt = torch.tensor(X, dtype=torch.float32)
    yt = torch.tensor(y, dtype=torch.long)
    model = torch.nn.Sequential(torch.nn.Linear(64, hidden), torch.nn.ReLU(),
                                torch.nn.Linear(hidden, 10))
    opt = torch.optim.SGD(model.parameters(), lr=LR)
    loss_fn = torch.nn.CrossEntropyLoss()
    n = len(Xt)
    for _ in range(EPOCHS):
        order = torch.randperm(n)
        for start in range(0, n, batch):
            idx = order[start:start + batch]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(Xt[idx]), yt[idx])
            loss.backward()
            opt.step()
            _cost = loss.item()  # as the other loops, read the cost every step
    with torch.no_grad():
        return float((model(Xt).argmax(dim=1) == yt).float().mean())


def machine() -> str:
    cpu = cpu_name()
    parts = [f"CPU: {cpu}, {os.cpu_count()} cores", f"Python {platform.python_version()}",
             f"numpy {np.__version__}"]
    try:
        import sklearn

        parts.append(f"scikit-learn {sklearn.__version__}")
    except ImportError:  # pragma: no cover
        pass
    if torch is not None:
        parts.append(f"torch {torch.__version__}")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (f"{datetime.date.today().isoformat()}  " + ", ".join(parts)
            + f"\nload average at start: {load:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7, help="rounds (median; at least 5)")
    parser.add_argument("--workload", choices=[*WORKLOADS, "all"], default="all")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1,
                        help="BLAS and torch threads (default: all cores)")
    args = parser.parse_args()
    if torch is not None:
        torch.set_num_threads(args.threads)
    try:  # numpy's and scikit-learn's BLAS; threadpoolctl comes with scikit-learn
        from threadpoolctl import threadpool_limits

        threadpool_limits(args.threads)
    except ImportError:  # pragma: no cover
        pass
    X, y = load_digits()
    X = Standardizer().fit_transform(X)
    runners: dict[str, Callable[..., float]] = {
        "dlbasics": run_dlbasics, "numpy (fused)": run_numpy, "scikit-learn": run_sklearn}
    if torch is not None:
        runners["pytorch"] = run_torch
    print(machine() + f", {args.threads} BLAS/torch thread(s)")
    names = [args.workload] if args.workload != "all" else list(WORKLOADS)
    for wl in names:
        hidden, batch = WORKLOADS[wl]
        wall: dict[str, list[float]] = {k: [] for k in runners}
        cpu: dict[str, list[float]] = {k: [] for k in runners}
        acc: dict[str, float] = {}
        for name, run in runners.items():  # warm-up (imports, caches), not timed
            acc[name] = run(X, y, hidden, batch, 0)
        for rep in range(max(args.repeats, 5)):
            for name, run in runners.items():
                t0, c0 = time.perf_counter(), time.process_time()
                run(X, y, hidden, batch, rep + 1)
                wall[name].append(time.perf_counter() - t0)
                cpu[name].append(time.process_time() - c0)
        floor = statistics.median(wall["numpy (fused)"])
        cpu_floor = statistics.median(cpu["numpy (fused)"])
        print(f"\n{wl}: digits 1797x64, 64-{hidden}-10 ReLU, batch {batch}, {EPOCHS} epochs, "
              f"SGD lr {LR}; median of {len(wall['dlbasics'])} runs")
        print(f"{'implementation':<15}{'wall s':>8}{'min s':>8}{'vs numpy':>10}{'CPU s':>8}"
              f"{'vs numpy':>10}{'train acc':>11}")
        for name in runners:
            med, cmed = statistics.median(wall[name]), statistics.median(cpu[name])
            print(f"{name:<15}{med:>8.3f}{min(wall[name]):>8.3f}{med / floor:>9.2f}x"
                  f"{cmed:>8.3f}{cmed / cpu_floor:>9.2f}x{acc[name]:>11.3f}")


if __name__ == "__main__":
    main()
