"""The audit's contract of cnn_application (grader only: the build never copies it into source/
or release/). ``python -m coursekit audit cnn_application`` reads it; see coursekit/audit/spec.py."""
from __future__ import annotations

import numpy as np

from coursekit.audit.spec import Contract


def _int(rng, low, high):
    return int(rng.integers(low, high + 1))


def _architecture(rng, dropout=None):
    """A tiny network of the assignment's shape: any sizes the docstrings allow."""
    pool1, pool2 = _int(rng, 1, 3), _int(rng, 1, 3)
    arch = {"input_shape": (_int(rng, pool1 * pool2, 12), _int(rng, pool1 * pool2, 12), _int(rng, 1, 3)),
            "f1": _int(rng, 1, 4), "n_C1": _int(rng, 1, 4), "pool1": pool1,
            "f2": _int(rng, 1, 3), "n_C2": _int(rng, 1, 4), "pool2": pool2, "n_classes": _int(rng, 2, 6)}
    if dropout if dropout is not None else rng.random() < 0.3:
        arch["keep_prob"] = float(rng.choice([0.5, 0.8]))
    return arch


def _parameters(arch, rng, dtype):
    n_H0, n_W0, n_C0 = arch["input_shape"]
    n_flat = (n_H0 // arch["pool1"] // arch["pool2"]) * (n_W0 // arch["pool1"] // arch["pool2"]) * arch["n_C2"]
    shapes = {"W1": (arch["f1"], arch["f1"], n_C0, arch["n_C1"]),
              "W2": (arch["f2"], arch["f2"], arch["n_C1"], arch["n_C2"]),
              "W3": (n_flat, arch["n_classes"]), "b3": (1, arch["n_classes"])}
    return {k: (rng.standard_normal(s) * 0.5).astype(dtype) for k, s in shapes.items()}


def _dtype(rng):
    return np.float32 if rng.random() < 0.4 else np.float64


def _images(rng, arch, m, dtype):
    return rng.random((m,) + arch["input_shape"]).astype(dtype)


def _labels(rng, n, m):
    return np.eye(n, dtype=np.float32)[rng.integers(0, n, m)]


def normalize_images_inputs(rng, ref):
    shape = (_int(rng, 1, 3), _int(rng, 1, 6), _int(rng, 1, 6), _int(rng, 1, 3))
    X = rng.integers(0, 256, size=shape, dtype=np.uint8)
    if rng.random() < 0.3:
        X = np.where(X > 127, 255, 0).astype(np.uint8)
    return (X,), {}


def one_hot_inputs(rng, ref):
    n, m = _int(rng, 2, 7), _int(rng, 1, 10)
    y = rng.integers(0, n, m)
    return (y.reshape(1, -1) if rng.random() < 0.3 else y, n), {}


def initialize_parameters_inputs(rng, ref):
    return (_architecture(rng), _int(rng, 0, 1000)), {}


def model_forward_inputs(rng, ref):
    arch, dtype = _architecture(rng), _dtype(rng)
    kwargs = {"dropout_seed": _int(rng, 0, 99)} if "keep_prob" in arch or rng.random() < 0.3 else {}
    return (_images(rng, arch, _int(rng, 1, 3), dtype), _parameters(arch, rng, dtype), arch), kwargs


def compute_cost_inputs(rng, ref):
    m, n = _int(rng, 1, 6), _int(rng, 2, 6)
    return (rng.standard_normal((m, n)) * rng.choice([1.0, 30.0]), _labels(rng, n, m)), {}


def model_backward_inputs(rng, ref):
    arch = _architecture(rng)
    m = _int(rng, 1, 3)
    X, P = _images(rng, arch, m, np.float64), _parameters(arch, rng, np.float64)
    seed = _int(rng, 0, 99) if "keep_prob" in arch else None
    Z3, caches = ref["model_forward"](X, P, arch, seed)
    return (rng.standard_normal(Z3.shape), caches), {}


def random_mini_batches_inputs(rng, ref):
    m = _int(rng, 1, 20)
    X = rng.standard_normal((m, _int(rng, 1, 3), _int(rng, 1, 3), _int(rng, 1, 2)))
    return (X, _labels(rng, _int(rng, 2, 4), m), _int(rng, 1, 8), _int(rng, 0, 99)), {}


def train_model_inputs(rng, ref):
    arch = _architecture(rng)
    m = _int(rng, 2, 8)
    return ((_images(rng, arch, m, np.float32), _labels(rng, arch["n_classes"], m), arch),
            {"learning_rate": float(rng.choice([0.01, 0.05])), "num_epochs": _int(rng, 1, 3),
             "mini_batch_size": _int(rng, 1, 5), "seed": _int(rng, 0, 99)})


def predict_inputs(rng, ref):
    arch = _architecture(rng)
    P = _parameters(arch, rng, np.float64)
    P["W3"] = P["W3"] * 5
    return (_images(rng, arch, _int(rng, 1, 9), np.float64), P, arch), {"batch_size": _int(rng, 1, 5)}


def confusion_matrix_inputs(rng, ref):
    n, m = _int(rng, 2, 6), _int(rng, 1, 20)
    return (rng.integers(0, n, m), rng.integers(0, n, m), n), {}


def _non_square(shape):
    return shape[0] != shape[1]


def _divides(arch):
    n_H0, n_W0, _ = arch["input_shape"]
    return n_H0 % (arch["pool1"] * arch["pool2"]) == 0 and n_W0 % (arch["pool1"] * arch["pool2"]) == 0


FUNCTIONS = {
    "normalize_images": Contract(normalize_images_inputs, {
        "m = 1": lambda c: c.X_orig.shape[0] == 1,
        "one channel": lambda c: c.X_orig.shape[3] == 1,
        "non-square images": lambda c: c.X_orig.shape[1] != c.X_orig.shape[2],
        "the values 0 and 255": lambda c: c.X_orig.min() == 0 and c.X_orig.max() == 255}, exact_dtype=True),
    "one_hot": Contract(one_hot_inputs, {
        "a single label": lambda c: np.size(c.y) == 1,
        "labels as a row vector (1, m)": lambda c: np.ndim(c.y) == 2,
        "classes that never occur": lambda c: len(np.unique(c.y)) < c.n_classes}),
    "initialize_parameters": Contract(initialize_parameters_inputs, {
        "non-square input": lambda c: _non_square(c.architecture["input_shape"]),
        "pools that do not divide the input": lambda c: not _divides(c.architecture),
        "one input channel": lambda c: c.architecture["input_shape"][2] == 1,
        "odd and even filters": lambda c: (c.architecture["f1"] - c.architecture["f2"]) % 2 == 1}, exact_dtype=True),
    "model_forward": Contract(model_forward_inputs, {
        "m = 1": lambda c: c.X.shape[0] == 1,
        "non-square input": lambda c: c.X.shape[1] != c.X.shape[2],
        "one input channel": lambda c: c.X.shape[3] == 1,
        "pools that do not divide the input": lambda c: not _divides(c.architecture),
        "float32": lambda c: c.X.dtype == np.float32,
        "dropout": lambda c: c.dropout_seed is not None and c.architecture.get("keep_prob", 1.0) < 1}),
    "compute_cost": Contract(compute_cost_inputs, {
        "m = 1": lambda c: c.Z3.shape[0] == 1,
        "large logits (|Z3| > 30)": lambda c: np.abs(c.Z3).max() > 30}),
    "model_backward": Contract(model_backward_inputs, {
        "m = 1": lambda c: c.dZ3.shape[0] == 1,
        "dropout": lambda c: c.caches["dropout"] is not None}, samples=40),
    "random_mini_batches": Contract(random_mini_batches_inputs, {
        "batch size dividing m": lambda c: c.X.shape[0] % c.mini_batch_size == 0 and c.X.shape[0] > c.mini_batch_size,
        "a smaller last batch": lambda c: c.X.shape[0] % c.mini_batch_size != 0 and c.X.shape[0] > c.mini_batch_size,
        "batch size larger than m": lambda c: c.mini_batch_size > c.X.shape[0]}),
    "train_model": Contract(train_model_inputs, {
        "several mini-batches per epoch": lambda c: c.X_train.shape[0] > c.mini_batch_size,
        "a smaller last batch": lambda c: c.X_train.shape[0] % c.mini_batch_size != 0,
        "dropout": lambda c: c.architecture.get("keep_prob", 1.0) < 1}, samples=20, rtol=1e-5, atol=1e-7),
    "predict": Contract(predict_inputs, {
        "m = 1": lambda c: c.X.shape[0] == 1,
        "more images than batch_size": lambda c: c.X.shape[0] > c.batch_size,
        "batch_size not dividing m": lambda c: c.X.shape[0] % c.batch_size != 0}),
    "confusion_matrix": Contract(confusion_matrix_inputs, {
        "classes that never occur": lambda c: len(np.union1d(c.y_true, c.y_pred)) < c.n_classes}),
}
