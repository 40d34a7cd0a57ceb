"""The grader's own code for the hidden tests of cnn_application: plain references of the
network (written independently of the solutions and of fast_layers.py), the tolerances, and the
networks, cases and checks several test cells share. Never released and never in the sandbox: the
grading process loads it into the test cells' namespace as ``grading`` (``Assignment.reference``)
and sets ``reference``; the checks receive the student's function as ``student``.
"""
from __future__ import annotations

from types import SimpleNamespace

import fast_layers as fl
import numpy as np
from checks import check, check_close_quietly, directional_derivative

reference = SimpleNamespace()   # the notebook's reference solutions, set by the grader on loading this module

TOLERANCES = {          # (float64, float32): rtol and atol of a result against the float64 reference
    "forward": (1e-7, 1e-4),
    "cost": (1e-8, 1e-5),
    "backward": (1e-7, 2e-4),
}


def tolerance(what: str, dtype) -> float:
    """The rtol and atol of ``what`` ("forward", "cost" or "backward") computed in ``dtype``."""
    return TOLERANCES[what][np.dtype(dtype) == np.float32]


ARCHS = {
    "a non-square grey input, odd and even filters, pools 2 and 3":
        {"input_shape": (12, 10, 1), "f1": 3, "n_C1": 5, "pool1": 2, "f2": 2, "n_C2": 7, "pool2": 3, "n_classes": 4},
    "the bigger network": {"input_shape": (64, 64, 3), "f1": 5, "n_C1": 16, "pool1": 4, "f2": 3, "n_C2": 128,
                           "pool2": 2, "n_classes": 6, "keep_prob": 0.5},
    "pools that do not divide the input": {"input_shape": (9, 14, 2), "f1": 2, "n_C1": 3, "pool1": 3, "f2": 1,
                                           "n_C2": 2, "pool2": 2, "n_classes": 3},
}


def parameter_shapes(a):
    n_H0, n_W0, n_C0 = a["input_shape"]
    n_flat = (n_H0 // a["pool1"] // a["pool2"]) * (n_W0 // a["pool1"] // a["pool2"]) * a["n_C2"]
    return {"W1": (a["f1"], a["f1"], n_C0, a["n_C1"]), "W2": (a["f2"], a["f2"], a["n_C1"], a["n_C2"]),
            "W3": (n_flat, a["n_classes"]), "b3": (1, a["n_classes"])}


def glorot_limits(a):
    shapes = parameter_shapes(a)
    limits = {}
    for _name in ("W1", "W2"):
        f, _, c_in, c_out = shapes[_name]
        limits[_name] = np.sqrt(6.0 / (f * f * c_in + f * f * c_out))
    limits["W3"] = np.sqrt(6.0 / sum(shapes["W3"]))
    return limits


def conv_same_reference(A, W):
    """Stride-1 'same' convolution without bias, float64: one matrix product per kernel offset."""
    f = W.shape[0]
    top, bottom = (f - 1) // 2, f // 2
    A_pad = np.pad(np.asarray(A, dtype=np.float64), ((0, 0), (top, bottom), (top, bottom), (0, 0)))
    n_H, n_W = A.shape[1], A.shape[2]
    Z = np.zeros(A.shape[:3] + (W.shape[3],))
    for di in range(f):
        for dj in range(f):
            Z += A_pad[:, di:di + n_H, dj:dj + n_W, :] @ np.asarray(W[di, dj], dtype=np.float64)
    return Z, A_pad


def maxpool_reference(A, p):
    """Max over non-overlapping p x p tiles (rows and columns that fit no tile are dropped)."""
    m, n_H, n_W, n_C = A.shape[0], A.shape[1] // p, A.shape[2] // p, A.shape[3]
    return A[:, :n_H * p, :n_W * p, :].reshape(m, n_H, p, n_W, p, n_C).max(axis=(2, 4))


def forward_reference(X, P, arch, D=None):
    """The network in plain NumPy (float64): the logits and the values the backward pass needs.
    D: the dropout mask divided by keep_prob, of the shape of F (None: no dropout)."""
    v = {}
    v["Z1"], v["X_pad"] = conv_same_reference(X, P["W1"])
    v["A1"] = np.maximum(v["Z1"], 0)
    v["P1"] = maxpool_reference(v["A1"], arch["pool1"])
    v["Z2"], v["P1_pad"] = conv_same_reference(v["P1"], P["W2"])
    v["A2"] = np.maximum(v["Z2"], 0)
    v["P2"] = maxpool_reference(v["A2"], arch["pool2"])
    v["F"] = v["P2"].reshape(v["P2"].shape[0], -1) * (1.0 if D is None else D)
    v["D"] = D
    return v["F"] @ np.asarray(P["W3"], dtype=np.float64) + np.asarray(P["b3"], dtype=np.float64), v


def maxpool_backward_reference(dP, A, p):
    """The gradient goes to the maxima of each tile (to all of them on a tie)."""
    m, n_H, n_W, n_C = dP.shape
    tiles = A[:, :n_H * p, :n_W * p, :].reshape(m, n_H, p, n_W, p, n_C)
    mask = tiles == tiles.max(axis=(2, 4), keepdims=True)
    dA = np.zeros(A.shape)
    dA[:, :n_H * p, :n_W * p, :] = (mask * dP[:, :, None, :, None, :]).reshape(m, n_H * p, n_W * p, n_C)
    return dA


def conv_same_backward_reference(dZ, A_pad, W):
    """Gradients of a stride-1 'same' convolution from its padded input, offset by offset."""
    f, (n_H, n_W) = W.shape[0], dZ.shape[1:3]
    top = (f - 1) // 2
    W = np.asarray(W, dtype=np.float64)
    dA_pad, dW = np.zeros(A_pad.shape), np.zeros(W.shape)
    for di in range(f):
        for dj in range(f):
            dW[di, dj] = np.tensordot(A_pad[:, di:di + n_H, dj:dj + n_W, :], dZ, axes=([0, 1, 2], [0, 1, 2]))
            dA_pad[:, di:di + n_H, dj:dj + n_W, :] += dZ @ W[di, dj].T
    return dA_pad[:, top:top + n_H, top:top + n_W, :], dW


def backward_reference(dZ3, P, arch, v):
    """The gradients of the network in plain NumPy, from the values of forward_reference."""
    dZ3 = np.asarray(dZ3, dtype=np.float64)
    grads = {"dW3": v["F"].T @ dZ3, "db3": dZ3.sum(axis=0, keepdims=True)}
    dF = dZ3 @ np.asarray(P["W3"], dtype=np.float64).T
    dP2 = (dF * (1.0 if v["D"] is None else v["D"])).reshape(v["P2"].shape)
    dZ2 = maxpool_backward_reference(dP2, v["A2"], arch["pool2"]) * (v["Z2"] > 0)
    dP1, grads["dW2"] = conv_same_backward_reference(dZ2, v["P1_pad"], P["W2"])
    dZ1 = maxpool_backward_reference(dP1, v["A1"], arch["pool1"]) * (v["Z1"] > 0)
    _, grads["dW1"] = conv_same_backward_reference(dZ1, v["X_pad"], P["W1"])
    return grads


NETS = [  # (architecture, number of examples, description)
    ({"input_shape": (12, 10, 2), "f1": 3, "n_C1": 3, "pool1": 2, "f2": 2, "n_C2": 4, "pool2": 3, "n_classes": 4},
     3, "a 12 x 10 input with a 3 x 3 and a 2 x 2 filter, pools 2 and 3"),
    ({"input_shape": (8, 8, 1), "f1": 2, "n_C1": 2, "pool1": 2, "f2": 4, "n_C2": 3, "pool2": 2, "n_classes": 3},
     2, "a grey 8 x 8 input with a 2 x 2 and a 4 x 4 filter"),
    ({"input_shape": (16, 16, 3), "f1": 4, "n_C1": 5, "pool1": 4, "f2": 2, "n_C2": 3, "pool2": 2, "n_classes": 6},
     1, "a single example"),
]


def dropout_mask(arch, m, seed):
    """What dropout_forward(F, keep_prob, np.random.default_rng(seed)) multiplies F by."""
    n_H0, n_W0, _ = arch["input_shape"]
    n_flat = (n_H0 // arch["pool1"] // arch["pool2"]) * (n_W0 // arch["pool1"] // arch["pool2"]) * arch["n_C2"]
    return (np.random.default_rng(seed).random((m, n_flat)) < arch["keep_prob"]) / arch["keep_prob"]


def random_parameters(arch, rng):
    """Parameters with a nonzero b3, float64, in the shapes of initialize_parameters."""
    return {k: rng.standard_normal(s) * (0.5 if k.startswith("W") else 0.2) for k, s in parameter_shapes(arch).items()}


def same_content(got, want):
    """Equal nested tuples, dictionaries, arrays and numbers (arrays up to rounding)."""
    if want is None:
        return got is None
    if isinstance(want, dict):
        return isinstance(got, dict) and sorted(got) == sorted(want) and all(
            same_content(got[k], want[k]) for k in want)
    if isinstance(want, (tuple, list)):
        return isinstance(got, (tuple, list)) and len(got) == len(want) and all(
            same_content(g, w) for g, w in zip(got, want))
    if isinstance(want, np.ndarray):
        return isinstance(got, np.ndarray) and got.shape == want.shape and got.dtype.kind in "fiub" and bool(
            np.allclose(got, want, rtol=1e-6, atol=1e-9))
    if isinstance(want, (int, float)):
        return isinstance(got, (int, float, np.integer, np.floating)) and not isinstance(got, bool) and got == want
    return isinstance(got, str) and got == want


def cost_reference(Z, Y):
    Z = np.asarray(Z, dtype=np.float64)
    shifted = Z - Z.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return float(-np.mean(np.sum(Y * log_p, axis=1))), (np.exp(log_p) - Y) / Z.shape[0]


def labelled_examples(m, n_classes, rng):
    """Images whose pixels all hold the example's number, and random one-hot labels."""
    X = np.arange(m, dtype=np.float64).reshape(m, 1, 1, 1) * np.ones((1, 3, 2, 2))
    y = rng.integers(0, n_classes, m)
    return X, (y.reshape(-1, 1) == np.arange(n_classes)).astype(np.float64), y


BATCH_CASES = [(12, 4, "a batch size that divides m"), (23, 5, "a last, smaller batch"),
                (3, 8, "a batch size larger than m"), (5, 1, "batches of one example")]


TRAIN_CASES = [  # (architecture, m, learning rate, epochs, batch size, seed, description)
    ({"input_shape": (8, 6, 2), "f1": 3, "n_C1": 2, "pool1": 2, "f2": 2, "n_C2": 3, "pool2": 2, "n_classes": 4},
     14, 0.02, 3, 4, 2, "an 8 x 6 input, batches of 4 with a smaller last one"),
    ({"input_shape": (8, 8, 1), "f1": 2, "n_C1": 3, "pool1": 4, "f2": 2, "n_C2": 2, "pool2": 2, "n_classes": 3},
     10, 0.005, 4, 10, 4, "one batch per epoch"),
]


def train_case(case, rng):
    arch, m, lr, epochs, size, seed, name = case
    X = rng.random((m,) + arch["input_shape"]).astype(np.float32)
    Y = (rng.integers(0, arch["n_classes"], m).reshape(-1, 1) == np.arange(arch["n_classes"])).astype(np.float32)
    return X, Y


def layer_caches(X, P, arch):
    """The caches the fast layers return along the network, as model_forward must keep them."""
    same = {"stride": 1, "pad": "same"}
    Z1, c_conv1 = fl.conv_forward(X, P["W1"], None, same)
    A1, c_relu1 = fl.relu_forward(Z1)
    P1, c_pool1 = fl.pool_forward(A1, {"f": arch["pool1"], "stride": arch["pool1"]}, mode="max")
    Z2, c_conv2 = fl.conv_forward(P1, P["W2"], None, same)
    A2, c_relu2 = fl.relu_forward(Z2)
    P2, c_pool2 = fl.pool_forward(A2, {"f": arch["pool2"], "stride": arch["pool2"]}, mode="max")
    _, c_fc = fl.dense_forward(P2.reshape(P2.shape[0], -1), P["W3"], P["b3"])
    return {"conv1": c_conv1, "relu1": c_relu1, "pool1": c_pool1, "conv2": c_conv2, "relu2": c_relu2,
            "pool2": c_pool2, "flatten": P2.shape, "dropout": None, "fc": c_fc}


def backward_case(arch, m, rng, dtype=np.float64):
    """Inputs, parameters, the grader's caches and dZ3 for one network."""
    X = rng.random((m,) + arch["input_shape"]).astype(dtype)
    P = {k: v.astype(dtype) for k, v in random_parameters(arch, rng).items()}
    Z3, caches = reference.model_forward(X, P, dict(arch))
    Y = (rng.integers(0, arch["n_classes"], m).reshape(-1, 1) == np.arange(arch["n_classes"])).astype(dtype)
    return X, P, Y, caches, reference.compute_cost(Z3, Y)[1]


def check_model_backward(student, names, seed, dtypes=(np.float64,)):
    """Compare some of the gradients with the reference, on every network and data type."""
    rng = np.random.default_rng(seed)
    for arch, m, case in NETS:
        for dtype in dtypes:
            X, P, Y, caches, dZ3 = backward_case(arch, m, rng, dtype)
            want = backward_reference(dZ3, P, arch, forward_reference(X, P, arch)[1])
            grads = student(dZ3, caches)
            check(isinstance(grads, dict), "model_backward must return a dictionary of gradients")
            tol = tolerance("backward", dtype)
            for name in names:
                check_close_quietly(grads.get(name), want[name],
                                    f"model_backward, {case} ({np.dtype(dtype).name}): {name}", rtol=tol, atol=tol)


def gradient_check_model_backward(student, parameter_names, seed):
    """The cost's directional derivatives along random directions match these gradients."""
    rng = np.random.default_rng(seed)
    for arch, m, case in NETS[:2]:
        X, P, Y, caches, dZ3 = backward_case(arch, m, rng)
        grads = student(dZ3, caches)
        check(isinstance(grads, dict), "model_backward must return a dictionary of gradients")
        for name in parameter_names:
            def cost_of(value, name=name):
                return reference.compute_cost(reference.model_forward(X, dict(P, **{name: value}), dict(arch))[0], Y)[0]
            grad = grads.get("d" + name)
            check(np.shape(grad) == P[name].shape, f"model_backward, {case}: d{name} has the wrong shape")
            grad = np.asarray(grad, dtype=float)
            for _ in range(2):
                v = rng.standard_normal(P[name].shape)
                check(np.isclose(np.sum(grad * v), directional_derivative(cost_of, P[name], v), rtol=1e-4, atol=1e-7),
                      f"model_backward, {case}: d{name} does not match the numerical gradient of the cost")


def train_reference(X, Y, arch, learning_rate, num_epochs, mini_batch_size, seed):
    """Mini-batch Adam with the grader's functions: (parameters, epoch costs)."""
    parameters = reference.initialize_parameters(arch, seed)
    state = fl.adam_init(parameters)
    m, costs = X.shape[0], []
    for epoch in range(num_epochs):
        order = np.random.default_rng(seed + 1 + epoch).permutation(m)
        total = 0.0
        for t, start in enumerate(range(0, m, mini_batch_size)):
            batch = order[start:start + mini_batch_size]
            Z3, caches = reference.model_forward(X[batch], parameters, arch, [seed, epoch, t])
            cost, dZ3 = reference.compute_cost(Z3, Y[batch])
            parameters, state = fl.adam_update(parameters, reference.model_backward(dZ3, caches), state, learning_rate)
            total += cost * len(batch)
        costs.append(total / m)
    return parameters, costs


def cost_cases():
    """compute_cost's hidden cases (logits, labels, classes, what) and the generator after them."""
    rng = np.random.default_rng(73141)
    cases = [(rng.standard_normal((9, 5)) * 2, rng.integers(0, 5, 9), 5, "a batch of 9, 5 classes"),
             (rng.standard_normal((1, 6)), np.array([4]), 6, "a single example"),
             (rng.standard_normal((5, 3)) * 300, rng.integers(0, 3, 5), 3, "logits in the hundreds"),
             (rng.standard_normal((16, 6)).astype(np.float32), rng.integers(0, 6, 16), 6, "float32 logits")]
    return cases, rng
