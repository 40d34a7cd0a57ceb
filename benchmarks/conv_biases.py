"""Why the convolutions of cnn_application have no biases: train the course's network from the same
initial weights with and without (zero-initialised) conv biases, and count the seeds that die.

    python benchmarks/conv_biases.py [--seeds 26] [--epochs 8]

Both variants use the worked solutions of the source notebook (initialize_parameters,
random_mini_batches, compute_cost, Adam) on the fast layers students get, Adam 0.009, mini-batches
of 64, as in the course. A seed is "stuck" when its last epoch cost is still that of a guess
(within 0.01 of log 6 = 1.79): its first-layer ReLUs are silent for (almost) every image, so the
network answers every image alike. Prints, per seed, the last epoch cost and the share of
first-layer ReLUs silent on the whole training set for each variant, then the counts.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "notebooks" / "cnn_application"))
sys.path.insert(0, str(REPO / "benchmarks"))

import fast_layers as fl  # noqa: E402
from train_signs import data_folder, load  # noqa: E402
from coursekit.assignment import Assignment  # noqa: E402

SAME = {"stride": 1, "pad": "same"}


def forward(X, p, arch):
    """The course's network, with conv biases p["b1"], p["b2"] when present."""
    Z1, c1 = fl.conv_forward(X, p["W1"], p.get("b1"), SAME)
    A1, r1 = fl.relu_forward(Z1)
    P1, m1 = fl.pool_forward(A1, {"f": arch["pool1"], "stride": arch["pool1"]})
    Z2, c2 = fl.conv_forward(P1, p["W2"], p.get("b2"), SAME)
    A2, r2 = fl.relu_forward(Z2)
    P2, m2 = fl.pool_forward(A2, {"f": arch["pool2"], "stride": arch["pool2"]})
    Z3, c3 = fl.dense_forward(P2.reshape(len(X), -1), p["W3"], p["b3"])
    return Z3, (c1, r1, m1, c2, r2, m2, P2.shape, c3), A1


def backward(dZ3, caches):
    c1, r1, m1, c2, r2, m2, shape, c3 = caches
    dF, dW3, db3 = fl.dense_backward(dZ3, c3)
    dP1, dW2, db2 = fl.conv_backward(fl.relu_backward(fl.pool_backward(dF.reshape(shape), m2), r2), c2)
    _, dW1, db1 = fl.conv_backward(fl.relu_backward(fl.pool_backward(dP1, m1), r1), c1, input_gradient=False)
    grads = {"dW1": dW1, "dW2": dW2, "dW3": dW3, "db3": db3}
    if db1 is not None:
        grads.update(db1=db1, db2=db2)
    return grads


def train(ref, X, Y, seed, epochs, biases):
    arch = ref["COURSE_MODEL"]
    p = ref["initialize_parameters"](arch, seed)
    if biases:
        p["b1"] = np.zeros((1, 1, 1, arch["n_C1"]), np.float32)
        p["b2"] = np.zeros((1, 1, 1, arch["n_C2"]), np.float32)
    state = fl.adam_init(p)
    for epoch in range(epochs):
        cost = 0.0
        for Xb, Yb in ref["random_mini_batches"](X, Y, 64, seed + 1 + epoch):
            Z3, caches, _ = forward(Xb, p, arch)
            batch_cost, dZ3 = ref["compute_cost"](Z3, Yb)
            p, state = fl.adam_update(p, backward(dZ3, caches), state, 0.009)
            cost += batch_cost * len(Xb) / len(X)
    silent = np.ones(arch["n_C1"], bool)
    for start in range(0, len(X), 128):
        silent &= ~(forward(X[start:start + 128], p, arch)[2] > 0).any(axis=(0, 1, 2))
    return cost, silent.mean()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=26)
    parser.add_argument("--epochs", type=int, default=8)
    args = parser.parse_args()
    ref = Assignment.from_source(REPO / "source" / "cnn_application" / "cnn_application.ipynb").reference
    X_orig, y, _, _ = load(data_folder())
    X, Y = ref["normalize_images"](X_orig), ref["one_hot"](y, 6)
    print(f"course network, Adam 0.009, batches of 64, {args.epochs} epochs, seeds 0..{args.seeds - 1}; "
          f"a guess costs log 6 = {np.log(6):.3f}")
    stuck = {False: [], True: []}
    started = time.perf_counter()
    for seed in range(args.seeds):
        line = f"seed {seed:2d}:"
        for biases in (False, True):
            cost, silent = train(ref, X, Y, seed, args.epochs, biases)
            if cost > np.log(6) - 0.01:
                stuck[biases].append(seed)
            line += f"  {'with' if biases else 'without'} conv biases: cost {cost:.3f}, silent first-layer ReLUs {silent:4.0%}"
        print(line, flush=True)
    for biases in (False, True):
        print(f"{'with' if biases else 'without'} conv biases: {len(stuck[biases])} of {args.seeds} seeds stuck at "
              f"the cost of a guess {stuck[biases]}")
    print(f"({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
