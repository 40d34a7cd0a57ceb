"""The grader's own code for the hidden tests of cnn_layers: plain references (vectorised, written
independently of the loop solutions), the tolerances, the test cases several cells share and
the checks they run. Never released and never in the sandbox: the grading process loads it into
the test cells' namespace as ``grading`` (``Assignment.reference``); the hidden tests call the
student's function, which the checks here receive as ``student``.
"""
from __future__ import annotations

import numpy as np
from checks import check, check_close_quietly, directional_derivative

FLOAT64_TOL = 1e-7      # rtol and atol of a float64 result against the float64 reference
FLOAT32_TOL = 1e-4      # of a float32 result: single precision keeps about 7 digits


def tolerance(dtype) -> float:
    """The rtol and atol a result computed in ``dtype`` is compared with."""
    return FLOAT32_TOL if dtype == np.float32 else FLOAT64_TOL


def check_close(got, expected, what, dtype) -> None:
    """``check_close_quietly`` with the tolerance of ``dtype``."""
    tol = tolerance(dtype)
    check_close_quietly(got, expected, what, rtol=tol, atol=tol)


def output_size(n, f, stride, pad=0) -> int:
    """The height (or width) of a convolution's or pooling's output: floor((n + 2 pad - f) / stride) + 1."""
    return (n - f + 2 * pad) // stride + 1


def conv(A, W, b, stride, pad):
    """Plain reference: one matrix product per kernel offset over strided views."""
    A = np.pad(np.asarray(A, dtype=np.float64), ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    f = W.shape[0]
    n_H, n_W = output_size(A.shape[1], f, stride), output_size(A.shape[2], f, stride)
    Z = np.zeros((A.shape[0], n_H, n_W, W.shape[3]))
    for di in range(f):
        for dj in range(f):
            Z += A[:, di:di + stride * (n_H - 1) + 1:stride, dj:dj + stride * (n_W - 1) + 1:stride, :] @ W[di, dj]
    return Z + np.asarray(b, dtype=np.float64).reshape(1, 1, 1, -1)


def pool(A, f, stride, mode):
    """Plain reference: reduce over the f x f strided views."""
    A = np.asarray(A, dtype=np.float64)
    n_H, n_W = output_size(A.shape[1], f, stride), output_size(A.shape[2], f, stride)
    views = np.stack([A[:, di:di + stride * (n_H - 1) + 1:stride, dj:dj + stride * (n_W - 1) + 1:stride, :]
                      for di in range(f) for dj in range(f)])
    return views.max(axis=0) if mode == "max" else views.mean(axis=0)


def conv_backward(dZ, A, W, stride, pad):
    """Plain reference: one matrix product per kernel offset over strided views."""
    A = np.asarray(A, dtype=np.float64)
    dZ = np.asarray(dZ, dtype=np.float64)
    A_pad = np.pad(A, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    dA_pad = np.zeros_like(A_pad)
    dW = np.zeros(W.shape)
    f, n_H, n_W = W.shape[0], dZ.shape[1], dZ.shape[2]
    for di in range(f):
        for dj in range(f):
            rows = slice(di, di + stride * (n_H - 1) + 1, stride)
            cols = slice(dj, dj + stride * (n_W - 1) + 1, stride)
            dA_pad[:, rows, cols, :] += dZ @ np.asarray(W[di, dj], dtype=np.float64).T
            dW[di, dj] = np.tensordot(A_pad[:, rows, cols, :], dZ, axes=([0, 1, 2], [0, 1, 2]))
    db = dZ.sum(axis=(0, 1, 2)).reshape(1, 1, 1, -1)
    return dA_pad[:, pad:pad + A.shape[1], pad:pad + A.shape[2], :], dW, db


def pool_backward(dA, A, f, stride, mode):
    """Plain reference: route the gradient through the f x f strided views."""
    A = np.asarray(A, dtype=np.float64)
    dA = np.asarray(dA, dtype=np.float64)
    n_H, n_W = dA.shape[1], dA.shape[2]
    out = pool(A, f, stride, "max")
    dA_prev = np.zeros_like(A)
    for di in range(f):
        for dj in range(f):
            rows = slice(di, di + stride * (n_H - 1) + 1, stride)
            cols = slice(dj, dj + stride * (n_W - 1) + 1, stride)
            if mode == "max":
                dA_prev[:, rows, cols, :] += dA * (A[:, rows, cols, :] == out)
            else:
                dA_prev[:, rows, cols, :] += dA / (f * f)
    return dA_prev


CONV_CASES = [  # (A_prev shape, f, n_C, stride, pad, dtype, description)
    ((2, 8, 5, 3), 3, 2, 2, 0, np.float64, "8 x 5 input, f = 3, stride 2, no padding"),
    ((1, 6, 9, 2), 2, 3, 3, 1, np.float64, "6 x 9 input, f = 2, stride 3, pad 1"),
    ((1, 4, 3, 1), 2, 1, 1, 3, np.float64, "4 x 3 input with one channel, pad 3 wider than the filter"),
    ((2, 9, 7, 2), 2, 4, 3, 0, np.float64, "9 x 7 input, stride 3 larger than the filter f = 2"),
    ((1, 5, 6, 3), 3, 2, 1, 1, np.float32, "float32 5 x 6 input, stride 1, pad 1"),
]


POOL_CASES = [  # (A_prev shape, f, stride, dtype, description)
    ((2, 7, 5, 3), 3, 1, np.float64, "7 x 5 input, overlapping windows f = 3, stride 1"),
    ((1, 6, 8, 2), 2, 2, np.float64, "6 x 8 input, disjoint windows f = 2, stride 2"),
    ((2, 9, 7, 1), 2, 3, np.float64, "9 x 7 input with one channel, stride 3 larger than f = 2"),
    ((3, 8, 5, 4), 3, 2, np.float32, "float32 8 x 5 input, f = 3, stride 2"),
]


CONV_BACKWARD_CASES = [  # (A_prev shape, f, n_C, stride, pad, dtype, description)
    ((2, 7, 5, 3), 3, 2, 2, 1, np.float64, "7 x 5 input, f = 3, stride 2, pad 1"),
    ((1, 6, 9, 2), 2, 3, 3, 2, np.float64, "6 x 9 input, stride 3 larger than f = 2, pad 2"),
    ((2, 4, 3, 1), 2, 1, 1, 3, np.float64, "one channel, pad 3 wider than the filter"),
    ((2, 5, 6, 3), 3, 2, 1, 1, np.float32, "float32 5 x 6 input, stride 1, pad 1"),
]
GRADIENT_NAMES = ("dA_prev", "dW", "db")


def check_conv_backward(student, cases, seed, name):
    """Compare one of the three gradients of the student's conv_backward with the plain reference."""
    k = GRADIENT_NAMES.index(name)
    rng = np.random.default_rng(seed)
    for shape, f, n_C, stride, pad, dtype, case in cases:
        A = rng.standard_normal(shape).astype(dtype)
        W = rng.standard_normal((f, f, shape[3], n_C)).astype(dtype)
        b = rng.standard_normal((1, 1, 1, n_C)).astype(dtype)
        hp = {"stride": stride, "pad": pad}
        n_H, n_W = output_size(shape[1], f, stride, pad), output_size(shape[2], f, stride, pad)
        dZ = rng.standard_normal((shape[0], n_H, n_W, n_C)).astype(dtype)
        result = student(dZ, (A, W, b, hp))
        check(isinstance(result, (tuple, list)) and len(result) == 3,
              "conv_backward must return the triple (dA_prev, dW, db)")
        check_close(result[k], conv_backward(dZ, A, W, stride, pad)[k], f"conv_backward, {case}: {name}", dtype)


def gradient_check_conv_backward(student, seed, name):
    """For the loss sum(Z * dZ), directional derivatives along random directions match one gradient."""
    k = GRADIENT_NAMES.index(name)
    rng = np.random.default_rng(seed)
    for shape, f, nc, s, p, case in [((2, 5, 6, 2), 3, 3, 2, 1, "stride 2, pad 1"),
                                     ((1, 4, 5, 3), 2, 2, 1, 2, "stride 1, pad 2")]:
        A = rng.standard_normal(shape)
        W = rng.standard_normal((f, f, shape[3], nc))
        b = rng.standard_normal((1, 1, 1, nc))
        dZ = rng.standard_normal(conv(A, W, b, s, p).shape)
        result = student(dZ, (A, W, b, {"stride": s, "pad": p}))
        check(isinstance(result, (tuple, list)) and len(result) == 3,
              "conv_backward must return the triple (dA_prev, dW, db)")
        loss = [lambda X: np.sum(conv(X, W, b, s, p) * dZ),
                lambda X: np.sum(conv(A, X, b, s, p) * dZ),
                lambda X: np.sum(conv(A, W, X, s, p) * dZ)][k]
        x, grad = (A, W, b)[k], result[k]
        check(np.shape(grad) == np.shape(x), f"conv_backward, {case}: {name} has the wrong shape")
        for _ in range(3):
            v = rng.standard_normal(x.shape)
            check(np.isclose(np.sum(np.asarray(grad, dtype=float) * v), directional_derivative(loss, x, v),
                             rtol=1e-5, atol=1e-6),
                  f"conv_backward, {case}: {name} does not match the numerical gradient")


def check_pool_backward(student, cases, seed):
    """Compare dA_prev of the student's pool_backward with the plain reference, in both modes."""
    rng = np.random.default_rng(seed)
    for shape, f, stride, dtype, case in cases:
        A = rng.standard_normal(shape).astype(dtype)      # continuous values: no ties
        n_H, n_W = output_size(shape[1], f, stride), output_size(shape[2], f, stride)
        dA = rng.standard_normal((shape[0], n_H, n_W, shape[3])).astype(dtype)
        for mode in ("max", "average"):
            got = student(dA, (A, {"f": f, "stride": stride}), mode=mode)
            check_close(got, pool_backward(dA, A, f, stride, mode), f"pool_backward, {case}, mode {mode!r}", dtype)
