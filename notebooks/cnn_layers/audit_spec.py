"""The audit's contract of cnn_layers (grader only: the build never copies it into source/ or
release/). ``python -m coursekit audit cnn_layers`` reads it; see coursekit/audit/spec.py."""
from __future__ import annotations

import numpy as np

from coursekit.audit.spec import Contract


def _dtype(rng):
    return np.float32 if rng.random() < 0.25 else np.float64


def _conv_call(rng):
    """A batch, filters and hyperparameters of any shape the docstring allows."""
    m, n_H, n_W, n_C_prev, n_C = (int(rng.integers(1, k)) for k in (4, 8, 8, 4, 4))
    pad = int(rng.integers(0, 4))
    f = int(rng.integers(1, min(n_H, n_W) + 2 * pad + 1))
    f = min(f, 5)
    stride = int(rng.integers(1, 5))
    dtype = _dtype(rng)
    A = rng.standard_normal((m, n_H, n_W, n_C_prev)).astype(dtype)
    W = rng.standard_normal((f, f, n_C_prev, n_C)).astype(dtype)
    b = rng.standard_normal((1, 1, 1, n_C)).astype(dtype)
    return A, W, b, {"stride": stride, "pad": pad}


def _pool_call(rng):
    m, n_H, n_W, n_C = (int(rng.integers(1, k)) for k in (4, 8, 8, 4))
    f = int(rng.integers(1, min(n_H, n_W) + 1))
    stride = int(rng.integers(1, 5))
    A = rng.standard_normal((m, n_H, n_W, n_C)).astype(_dtype(rng))
    return A, {"f": f, "stride": stride}


def _mode(rng):
    draw = rng.random()
    return {} if draw < 0.2 else {"mode": "max" if draw < 0.6 else "average"}


def zero_pad_inputs(rng, ref):
    m, n_H, n_W, n_C = (int(rng.integers(1, k)) for k in (4, 7, 7, 4))
    return (rng.standard_normal((m, n_H, n_W, n_C)).astype(_dtype(rng)), int(rng.integers(0, 4))), {}


def conv_single_step_inputs(rng, ref):
    f, c = int(rng.integers(1, 5)), int(rng.integers(1, 5))
    dtype = _dtype(rng)
    return tuple(rng.standard_normal(s).astype(dtype) for s in ((f, f, c), (f, f, c), (1, 1, 1))), {}


def conv_forward_inputs(rng, ref):
    return _conv_call(rng), {}


def conv_backward_inputs(rng, ref):
    A, W, b, hp = _conv_call(rng)
    f, pad, stride = W.shape[0], hp["pad"], hp["stride"]
    size = ref["grading"].output_size                 # notebooks/cnn_layers/grading.py
    n_H, n_W = size(A.shape[1], f, stride, pad), size(A.shape[2], f, stride, pad)
    dZ = rng.standard_normal((A.shape[0], n_H, n_W, W.shape[3])).astype(A.dtype)
    return (dZ, (A, W, b, hp)), {}


def pool_forward_inputs(rng, ref):
    return _pool_call(rng), _mode(rng)


def pool_backward_inputs(rng, ref):
    A, hp = _pool_call(rng)
    n_H = (A.shape[1] - hp["f"]) // hp["stride"] + 1
    n_W = (A.shape[2] - hp["f"]) // hp["stride"] + 1
    dA = rng.standard_normal((A.shape[0], n_H, n_W, A.shape[3])).astype(A.dtype)
    return (dA, (A, hp)), _mode(rng)


def mask_inputs(rng, ref):
    shape = (int(rng.integers(1, 5)), int(rng.integers(1, 5)))
    return ((rng.standard_normal(shape) + rng.choice([-10.0, 0.0, 5.0])).astype(_dtype(rng)),), {}


def distribute_value_inputs(rng, ref):
    dz = int(rng.integers(-5, 6)) if rng.random() < 0.3 else float(rng.standard_normal() * 3)
    return (dz, (int(rng.integers(1, 5)), int(rng.integers(1, 5)))), {}


# -- edge cases, as predicates on a call's arguments by name ------------------------------------

def _conv(A, W, hp):
    n_H, n_W, f = A.shape[1], A.shape[2], W.shape[0]
    return {
        "f = 1": f == 1,
        "f equal to the input": f in (n_H, n_W),
        "stride > f": hp["stride"] > f,
        "pad = 0": hp["pad"] == 0,
        "pad > f": hp["pad"] > f,
        "m = 1": A.shape[0] == 1,
        "one channel": A.shape[3] == 1,
        "non-square input": n_H != n_W,
        "float32": A.dtype == np.float32,
    }


def _pool(A, hp, mode):
    n_H, n_W, f = A.shape[1], A.shape[2], hp["f"]
    return {
        "f = 1": f == 1,
        "f equal to the input": f in (n_H, n_W),
        "stride > f": hp["stride"] > f,
        "m = 1": A.shape[0] == 1,
        "one channel": A.shape[3] == 1,
        "non-square input": n_H != n_W,
        "float32": A.dtype == np.float32,
        "mode max": mode == "max",
        "mode average": mode == "average",
    }


def _cases(describe, keys, arguments):
    """One predicate per edge case, each computing the case table of the call."""
    return {key: (lambda c, key=key: describe(*arguments(c))[key]) for key in keys}


CONV_CASES = list(_conv(np.zeros((1, 1, 1, 1)), np.zeros((1, 1, 1, 1)), {"stride": 1, "pad": 0}))
POOL_CASES = list(_pool(np.zeros((1, 1, 1, 1)), {"f": 1, "stride": 1}, "max"))

FUNCTIONS = {
    "zero_pad": Contract(zero_pad_inputs, {
        "pad = 0": lambda c: c.pad == 0,
        "pad wider than the image": lambda c: c.pad > min(c.X.shape[1], c.X.shape[2]),
        "m = 1": lambda c: c.X.shape[0] == 1,
        "one channel": lambda c: c.X.shape[3] == 1,
        "non-square input": lambda c: c.X.shape[1] != c.X.shape[2],
        "float32": lambda c: c.X.dtype == np.float32}),
    "conv_single_step": Contract(conv_single_step_inputs, {
        "f = 1": lambda c: c.W.shape[0] == 1,
        "one channel": lambda c: c.W.shape[2] == 1,
        "float32": lambda c: c.W.dtype == np.float32}),
    "conv_forward": Contract(conv_forward_inputs,
                             _cases(_conv, CONV_CASES, lambda c: (c.A_prev, c.W, c.hparameters))),
    "pool_forward": Contract(pool_forward_inputs,
                             _cases(_pool, POOL_CASES, lambda c: (c.A_prev, c.hparameters, c.mode))),
    "conv_backward": Contract(conv_backward_inputs,
                              _cases(_conv, CONV_CASES, lambda c: (c.cache[0], c.cache[1], c.cache[3]))),
    "create_mask_from_window": Contract(mask_inputs, {
        "1 x 1 window": lambda c: c.x.shape == (1, 1),
        "non-square window": lambda c: c.x.shape[0] != c.x.shape[1],
        "all negative": lambda c: bool(np.all(c.x < 0)),
        "float32": lambda c: c.x.dtype == np.float32}),
    "distribute_value": Contract(distribute_value_inputs, {
        "1 x 1 window": lambda c: tuple(c.shape) == (1, 1),
        "non-square window": lambda c: c.shape[0] != c.shape[1],
        "integer dz": lambda c: isinstance(c.dz, (int, np.integer))}),
    "pool_backward": Contract(pool_backward_inputs,
                              _cases(_pool, POOL_CASES, lambda c: (c.cache[0], c.cache[1], c.mode))),
}
