"""Which settings bring the bigger SIGNS network to a mean test accuracy of 0.95? A PyTorch sweep.

    python benchmarks/bigger_network_sweep.py [variant ...] [--seeds 3] [--first-seed 0] [--epochs 60] [--threads 1]

Needs PyTorch (`pip install torch`; not in requirements.txt). Every variant starts from
the first design of the bigger network (16 filters 3x3, max-pool 2, 32 filters 3x3,
max-pool 4, dense 6; "same" padding, no conv biases, Glorot-uniform weights; Adam 0.001, batches
of 64, 60 epochs, pixels / 255) and changes one thing; the "wide128-..." variants start from
wide128 (16 filters 5x5, max-pool 4, 128 filters 3x3, max-pool 2) and change one thing of it.
--first-seed and --seeds choose the seeds (seeds 3-5: --first-seed 3). Prints each seed's test
accuracy after each of the last five epochs (to show how much it moves from epoch to epoch: one
test image is 0.0083), then the variant's mean over seeds of the last epoch's accuracy. With no variant named, runs all.
"""
from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from train_signs import data_folder, load, torch_network  # noqa: E402

BASE = dict(lr=0.001, batch=64, init="glorot", bias=False, schedule=None, weight_decay=0.0, flip=False,
            shift=0, dropout=0.0, standardise=False, arch=(3, 16, 2, 3, 32, 4))
VARIANTS = {                                    # name: (what changes, settings)
    "base": ("the first design", {}),
    "batch32": ("mini-batches of 32", dict(batch=32)),
    "cosine0.002": ("Adam 0.002, cosine decay to 0", dict(lr=0.002, schedule="cosine")),
    "cosine0.005": ("Adam 0.005, cosine decay to 0", dict(lr=0.005, schedule="cosine")),
    "decay0.01": ("AdamW, weight decay 0.01", dict(weight_decay=0.01)),
    "decay0.05": ("AdamW, weight decay 0.05", dict(weight_decay=0.05)),
    "dropout": ("dropout 0.5 before the dense layer", dict(dropout=0.5)),
    "flips": ("random horizontal flips", dict(flip=True)),
    "shift4": ("random shifts of up to 4 pixels", dict(shift=4)),
    "shift8": ("random shifts of up to 8 pixels", dict(shift=8)),
    "standardise": ("pixels standardised per channel", dict(standardise=True)),
    "torch-init": ("PyTorch's default init, conv biases", dict(init="torch", bias=True)),
    "pools4-2": ("max-pools 4 then 2", dict(arch=(3, 16, 4, 3, 32, 2))),
    "pools2-2": ("max-pools 2 then 2 (dense sees 16x16x32)", dict(arch=(3, 16, 2, 3, 32, 2))),
    "filters5": ("first filters 5x5", dict(arch=(5, 16, 2, 3, 32, 4))),
    "filters4": ("filters 4x4", dict(arch=(4, 16, 2, 4, 32, 4))),
    "wide32": ("32 filters in both convolutions", dict(arch=(3, 32, 2, 3, 32, 4))),
    "wide64": ("16 filters 5x5, pool 4, 64 filters 3x3, pool 2", dict(arch=(5, 16, 4, 3, 64, 2))),
    "wide128": ("16 filters 5x5, pool 4, 128 filters 3x3, pool 2", dict(arch=(5, 16, 4, 3, 128, 2))),
    "wide32-64": ("32 filters 5x5, pool 4, 64 filters 3x3, pool 2", dict(arch=(5, 32, 4, 3, 64, 2))),
    "wide256": ("16 filters 5x5, pool 4, 256 filters 3x3, pool 2", dict(arch=(5, 16, 4, 3, 256, 2))),
    "wide128-dropout": ("wide128 with dropout 0.5 before the dense layer",
                        dict(arch=(5, 16, 4, 3, 128, 2), dropout=0.5)),
    "wide128-numpy-init": ("wide128 starting from the notebook's initialize_parameters(seed)",
                           dict(arch=(5, 16, 4, 3, 128, 2), init="numpy")),
    "wide128-lr0.0005": ("wide128 with Adam 0.0005", dict(arch=(5, 16, 4, 3, 128, 2), lr=0.0005)),
    "wide128-lr0.002": ("wide128 with Adam 0.002", dict(arch=(5, 16, 4, 3, 128, 2), lr=0.002)),
    "wide128-batch32": ("wide128 with mini-batches of 32", dict(arch=(5, 16, 4, 3, 128, 2), batch=32)),
    "wide128-torch-init": ("wide128 with PyTorch's default init and conv biases",
                           dict(arch=(5, 16, 4, 3, 128, 2), init="torch", bias=True)),
    "wide128-lecun-dense": ("wide128, dense weights uniform within 1/sqrt(fan_in) (PyTorch's bound)",
                            dict(arch=(5, 16, 4, 3, 128, 2), init="glorot-lecun-dense")),
}


def copy_numpy_init(torch, net, architecture: dict, seed: int) -> None:
    """Start from the kit's own initial weights: the notebook's initialize_parameters(seed), moved
    from NHWC to PyTorch's NCHW layout (W3's rows from (h, w, c) order to (c, h, w) order)."""
    from coursekit.assignment import Assignment
    from train_signs import REPO
    ref = Assignment.from_source(REPO / "source" / "cnn_application" / "cnn_application.ipynb").reference
    p = ref["initialize_parameters"](architecture, seed)
    conv1, conv2, dense = (layer for layer in net if hasattr(layer, "weight"))
    side = architecture["input_shape"][0] // architecture["pool1"] // architecture["pool2"]
    W3 = p["W3"].reshape(side, side, architecture["n_C2"], -1).transpose(3, 2, 0, 1).reshape(p["W3"].shape[1], -1)
    with torch.no_grad():
        conv1.weight.copy_(torch.from_numpy(p["W1"].transpose(3, 2, 0, 1).copy()))
        conv2.weight.copy_(torch.from_numpy(p["W2"].transpose(3, 2, 0, 1).copy()))
        dense.weight.copy_(torch.from_numpy(W3.copy()))
        dense.bias.copy_(torch.from_numpy(p["b3"].reshape(-1).copy()))


def run(torch, data, seed: int, epochs: int, s: dict) -> tuple[list[float], float]:
    """Test accuracies after each of the last five epochs, and the training time."""
    from torch import nn
    X_orig, y, X_test_orig, y_test = data
    nchw = lambda X: torch.from_numpy(X.astype(np.float32) / 255.0).permute(0, 3, 1, 2).contiguous()  # noqa: E731
    X, X_test, labels = nchw(X_orig), nchw(X_test_orig), torch.from_numpy(y.astype(np.int64))
    if s["standardise"]:
        mean, std = X.mean((0, 2, 3), keepdim=True), X.std((0, 2, 3), keepdim=True)
        X, X_test = (X - mean) / std, (X_test - mean) / std
    torch.manual_seed(seed)
    f1, n_C1, pool1, f2, n_C2, pool2 = s["arch"]
    architecture = {"input_shape": (64, 64, 3), "f1": f1, "n_C1": n_C1, "pool1": pool1, "f2": f2, "n_C2": n_C2,
                    "pool2": pool2, "n_classes": 6}
    net = torch_network(architecture, bias=s["bias"], dropout=s["dropout"])
    if s["init"] == "numpy":
        copy_numpy_init(torch, net, architecture, seed)
    elif s["init"].startswith("glorot"):
        for layer in net:
            if isinstance(layer, (nn.Conv2d, nn.Linear)):
                nn.init.xavier_uniform_(layer.weight)
                if layer.bias is not None:
                    nn.init.zeros_(layer.bias)
            if isinstance(layer, nn.Linear) and s["init"] == "glorot-lecun-dense":
                nn.init.uniform_(layer.weight, -layer.in_features ** -0.5, layer.in_features ** -0.5)
    optimizer = (torch.optim.AdamW(net.parameters(), lr=s["lr"], weight_decay=s["weight_decay"])
                 if s["weight_decay"] else torch.optim.Adam(net.parameters(), lr=s["lr"]))
    m, batch = len(X), s["batch"]
    steps, step, accuracies = epochs * math.ceil(m / batch), 0, []
    started = time.perf_counter()
    for epoch in range(epochs):
        net.train()
        order = torch.from_numpy(np.random.default_rng(seed + 1 + epoch).permutation(m))
        for start in range(0, m, batch):
            rows = order[start:start + batch]
            xb = X[rows]
            if s["flip"]:
                xb = torch.where((torch.rand(len(rows)) < 0.5)[:, None, None, None], xb.flip(3), xb)
            if s["shift"]:
                k = s["shift"]
                dy, dx = np.random.default_rng(step + 1000 * seed).integers(0, 2 * k + 1, 2)   # one shift per batch
                xb = nn.functional.pad(xb, (k,) * 4, mode="replicate")[:, :, dy:dy + 64, dx:dx + 64]
            if s["schedule"] == "cosine":
                for group in optimizer.param_groups:
                    group["lr"] = s["lr"] * 0.5 * (1 + math.cos(math.pi * step / steps))
            optimizer.zero_grad()
            nn.functional.cross_entropy(net(xb), labels[rows]).backward()
            optimizer.step()
            step += 1
        if epoch >= epochs - 5:
            net.eval()
            with torch.no_grad():
                accuracies.append(float((net(X_test).argmax(1).numpy() == y_test).mean()))
    return accuracies, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("variants", nargs="*", metavar="variant", help=f"any of: {', '.join(VARIANTS)}")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--threads", type=int, default=1, help="PyTorch threads (1: two sweeps can share 2 cores)")
    args = parser.parse_args()
    if set(args.variants) - set(VARIANTS):
        parser.error(f"unknown variants {sorted(set(args.variants) - set(VARIANTS))}; known: {', '.join(VARIANTS)}")
    import torch
    torch.set_num_threads(args.threads)
    data = load(data_folder())
    for name in args.variants or VARIANTS:
        what, change = VARIANTS[name]
        finals = []
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            accuracies, seconds = run(torch, data, seed, args.epochs, {**BASE, **change})
            finals.append(accuracies[-1])
            print(f"{name:12s} seed {seed}: test after the last 5 epochs "
                  f"{' '.join(f'{a:.3f}' for a in accuracies)}  ({seconds:.0f} s)", flush=True)
        print(f"== {name} ({what}): mean test accuracy {np.mean(finals):.4f} "
              f"(min {min(finals):.4f}, max {max(finals):.4f})", flush=True)


if __name__ == "__main__":
    main()
